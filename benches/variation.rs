//! Variation benchmark (issue 22): the time and peak memory of `variation::analyse` (what
//! `bless --repeat 3` computes after the runs) on three runs of a 100 MB output, in three
//! shapes: a host pointer on every line (the analysis stops at its bound of differing
//! lines), one varying line near the end (every byte read in step), and every line in
//! another order (`sorted` suggested and checked).
//!
//! Run: `cargo bench --bench variation` (release build). Files go to a temporary folder
//! under `$PTEST_BENCH_DIR` (default: the system temp dir), 300 MB at a time. Shrink with
//! `PTEST_BENCH_TEXT_MB=10`. Each shape runs in a child process of this binary so its
//! peak RSS (VmHWM) is its own.

use std::fs;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

const MB: u64 = 1_000_000;

fn vm_hwm_kib() -> u64 {
    fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find_map(|l| l.strip_prefix("VmHWM:"))
                .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        })
        .unwrap_or(0)
}

/// Line `i` of run `run` in `shape`.
fn line(shape: &str, run: u64, i: u64, lines: u64) -> String {
    match shape {
        "pointers" => format!(
            "entry {i:>9} at 0x7f{:010x} value {} ok\n",
            (i * 7919 + run * 104_729) & 0xff_ffff_ffff,
            i % 1000
        ),
        "one-line" if i == lines - 10 => {
            format!("entry {i:>9} finished at 12:03:{:02}\n", 10 + run)
        }
        "one-line" => format!("entry {i:>9} value {} ok ok ok ok ok ok\n", i % 1000),
        // A different permutation per run: i * step mod lines, step coprime with lines.
        _ => {
            let step = [1u64, 7, 13][run as usize % 3];
            let j = (i * step) % lines;
            format!("entry {j:>9} value {} ok ok ok ok ok ok\n", j % 1000)
        }
    }
}

fn write_runs(dir: &Path, shape: &str, bytes: u64) -> Vec<PathBuf> {
    let per_line = line(shape, 0, 1, 10).len() as u64;
    // An odd count keeps the permutation steps coprime with it.
    let lines = (bytes / per_line) | 1;
    (0..3)
        .map(|run| {
            let d = dir.join(format!("{shape}-{}", run + 1));
            fs::create_dir_all(&d).unwrap();
            let mut w =
                BufWriter::with_capacity(1 << 20, fs::File::create(d.join("out.txt")).unwrap());
            for i in 0..lines {
                w.write_all(line(shape, run, i, lines).as_bytes()).unwrap();
            }
            w.flush().unwrap();
            d
        })
        .collect()
}

fn child(shape: &str, dir: &Path) {
    let mb = std::env::var("PTEST_BENCH_TEXT_MB")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(100u64);
    let runs = write_runs(dir, shape, mb * MB);
    let t = Instant::now();
    let v = ptest::variation::analyse(&[], &runs).unwrap();
    let secs = t.elapsed().as_secs_f64();
    let spots: usize = v.files.iter().map(|f| f.spots.len()).sum();
    let fixed = v.files.iter().all(|f| f.fixed_by_suggestions);
    println!(
        "| {shape} | {mb} MB × 3 | {secs:.2} s | {} MiB | {spots} | {fixed} |",
        vm_hwm_kib() / 1024
    );
    for r in runs {
        let _ = fs::remove_dir_all(r);
    }
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if let Some(i) = args.iter().position(|a| a == "--shape") {
        child(&args[i + 1], Path::new(&args[i + 2]));
        return;
    }
    let base = std::env::var_os("PTEST_BENCH_DIR").map_or_else(std::env::temp_dir, PathBuf::from);
    let tmp = tempfile::tempdir_in(base).unwrap();
    println!("| output shape | size | analyse | peak RSS | spots | fixed by the suggestions |");
    println!("|---|---|---:|---:|---:|---|");
    for shape in ["pointers", "one-line", "shuffled"] {
        let status = Command::new(&args[0])
            .args(["--shape", shape])
            .arg(tmp.path())
            .status()
            .unwrap();
        assert!(status.success());
    }
}
