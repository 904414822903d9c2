//! Writes a synthetic pandalog: `cargo run --release -p ptest-plog --example synth_plog -- OUT N [SEED] [CHANGES]`.
//! CHANGES > 0 alters that many entries spread over the log (for diff benchmarks).
fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().collect();
    let out = args
        .get(1)
        .ok_or("usage: synth_plog OUT N [SEED] [CHANGES]")?;
    let n: usize = args.get(2).map_or(Ok(1000), |s| s.parse())?;
    let seed: u64 = args.get(3).map_or(Ok(1), |s| s.parse())?;
    let changes: usize = args.get(4).map_or(Ok(0), |s| s.parse())?;
    let mut w = ptest_plog::PlogWriter::create(std::path::Path::new(out))?;
    let every = n.checked_div(changes).unwrap_or(usize::MAX).max(1);
    for (i, mut e) in ptest_plog::synth::entries(seed, n).enumerate() {
        if i > 0 && i % every == every / 2 {
            // Append an extra field (label_liveness) so the entry differs.
            let mut l = ptest_plog::synth::Enc::default();
            l.uint(1, 1).uint(2, i as u64);
            let mut x = ptest_plog::synth::Enc(e);
            x.msg(45, &l);
            e = x.0;
        }
        w.write_entry(&e)?;
    }
    w.finish()?;
    Ok(())
}
