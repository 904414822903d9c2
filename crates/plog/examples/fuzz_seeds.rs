//! Writes a seed corpus for the fuzz targets: `cargo run --example fuzz_seeds -- DIR`
//! creates DIR/read_log (small multi-chunk logs, one crashed) and DIR/decode_entry.
use std::path::Path;

use ptest_plog::{PlogWriter, synth};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let dir = std::env::args().nth(1).ok_or("usage: fuzz_seeds DIR")?;
    let logs = Path::new(&dir).join("read_log");
    let entries = Path::new(&dir).join("decode_entry");
    std::fs::create_dir_all(&logs)?;
    std::fs::create_dir_all(&entries)?;
    for seed in 1..=8u64 {
        let p = logs.join(format!("log{seed}.plog"));
        let mut w =
            PlogWriter::with_chunk_size(&p, 64 * seed as u32)?.compression(seed as u32 % 10);
        for e in synth::entries(seed, 4 + seed as usize * 3) {
            w.write_entry(&e)?;
        }
        if seed == 8 {
            w.end_chunk()?;
            w.abandon()?;
        } else {
            w.finish()?;
        }
    }
    for (i, e) in synth::entries(42, 64).enumerate() {
        std::fs::write(entries.join(format!("entry{i}")), e)?;
    }
    Ok(())
}
