//! Writes a synthetic pandalog: `cargo run --release -p ptest-plog --example synth_plog -- OUT N [SEED] [CHANGES]`.
//! CHANGES > 0 adds a field to that many entries spread over the log (for diffs).
fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().collect();
    let out = args
        .get(1)
        .ok_or("usage: synth_plog OUT N [SEED] [CHANGES]")?;
    let n: usize = args.get(2).map_or(Ok(1000), |s| s.parse())?;
    let seed: u64 = args.get(3).map_or(Ok(1), |s| s.parse())?;
    let changes: usize = args.get(4).map_or(Ok(0), |s| s.parse())?;
    let mut w = ptest_plog::PlogWriter::create(std::path::Path::new(out))?;
    for e in ptest_plog::synth::entries_with_changes(seed, n, changes) {
        w.write_entry(&e)?;
    }
    w.finish()?;
    Ok(())
}
