//! Pandalog benchmark (not a timed test): `cargo bench -p ptest-plog --bench plog`.
//!
//! Writes a 1,000,000-entry log with a realistic field mix (and a copy differing in 5
//! entries), then measures, each in a fresh child process so peak RSS is its own:
//! `plog dump --format jsonl|json`, `plog info` and `plog diff`, next to PANDA's Python
//! reader (`PLogReader` + `MessageToJson`) with the pure-Python and upb backends.
//!
//! It also dumps a one-chunk log (PLOG_BENCH_ONE_CHUNK entries, default 100000: most
//! logs of short replays are one chunk) and prints the diff/dump time ratio. Each
//! command runs PLOG_BENCH_REPS times (default 3); the table shows the medians.
//!
//! Env: PLOG_BENCH_ENTRIES (default 1000000), PLOG_BENCH_DIR (default $TMPDIR),
//! PLOG_BENCH_PY_ENTRIES (entries the Python reader gets, default 50000).
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use ptest_plog::{DiffOptions, DumpOptions, Format, PlogWriter, ReadOptions, synth};

fn env_num(k: &str, d: usize) -> usize {
    std::env::var(k)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(d)
}

/// User + system CPU seconds of this process (from /proc/self/stat, 100 Hz ticks).
fn cpu_secs() -> f64 {
    let s = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    let rest = s.rsplit_once(')').map_or("", |r| r.1);
    let f: Vec<&str> = rest.split_whitespace().collect();
    let tick = |i: usize| f.get(i).and_then(|v| v.parse::<f64>().ok()).unwrap_or(0.0);
    (tick(11) + tick(12)) / 100.0
}

fn peak_rss_kib() -> u64 {
    let s = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    s.lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0)
}

/// Child: run one command with output to /dev/null; print "seconds exit peak_kib".
/// The exit code is the binary's (0 ok or identical, 1 different, 2 error).
fn child(what: &str, a: &Path, b: &Path, one: &Path, schema: &Path) {
    let read = ReadOptions::default();
    let mut out = std::io::BufWriter::new(std::fs::File::create("/dev/null").expect("/dev/null"));
    let dump = |format, schema: Option<&Path>, out: &mut dyn Write| {
        let opts = DumpOptions {
            schema,
            read,
            format,
        };
        ptest_plog::dump(a, &opts, out).map(|_| 0)
    };
    let t = Instant::now();
    let r = match what {
        "jsonl" => dump(Format::Jsonl, Some(schema), &mut out),
        "one" => {
            let opts = DumpOptions {
                schema: Some(schema),
                read,
                format: Format::Jsonl,
            };
            ptest_plog::dump(one, &opts, &mut out).map(|_| 0)
        }
        "json" => dump(Format::Json, Some(schema), &mut out),
        "text" => dump(Format::Text, Some(schema), &mut out),
        "generic" => dump(Format::Jsonl, None, &mut out),
        "info" => ptest_plog::info(a, &read).map(|_| 0),
        _ => {
            let opts = DiffOptions {
                schema: Some(schema),
                read,
                max_lines: 50,
            };
            ptest_plog::diff_files(a, b, &opts).map(|d| if d.equal { 0 } else { 1 })
        }
    };
    let code = r.unwrap_or(2);
    let _ = out.flush();
    println!(
        "{:.3} {code} {} {:.2}",
        t.elapsed().as_secs_f64(),
        peak_rss_kib(),
        cpu_secs()
    );
}

fn write(path: &Path, n: usize, changes: usize) {
    let mut w = PlogWriter::create(path).expect("create log");
    for e in synth::entries_with_changes(1, n, changes) {
        w.write_entry(&e).expect("write entry");
    }
    w.finish().expect("finish log");
}

fn main() {
    let dir = std::env::var_os("PLOG_BENCH_DIR").map_or_else(std::env::temp_dir, PathBuf::from);
    let n = env_num("PLOG_BENCH_ENTRIES", 1_000_000);
    let a = dir.join(format!("ptest-plog-bench-{n}-a.plog"));
    let b = dir.join(format!("ptest-plog-bench-{n}-b.plog"));
    let n1 = env_num("PLOG_BENCH_ONE_CHUNK", 100_000);
    let one = dir.join(format!("ptest-plog-bench-{n1}-a.plog"));
    let reps = env_num("PLOG_BENCH_REPS", 3).max(1);
    let data = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data");
    let schema = data.join("panda-plog.desc");
    if let Ok(what) = std::env::var("PLOG_BENCH_CHILD") {
        return child(&what, &a, &b, &one, &schema);
    }
    if !a.exists() || !b.exists() {
        write(&a, n, 0);
        write(&b, n, 5);
    }
    if !one.exists() {
        write(&one, n1, 0);
    }
    let size = std::fs::metadata(&a).map(|m| m.len()).unwrap_or(0);
    let cores = std::thread::available_parallelism().map_or(1, |c| c.get());
    println!(
        "log: {} entries, {:.1} MB compressed, {cores} cores",
        n,
        size as f64 / 1e6
    );
    println!("| command | entries | wall s | entries/s | CPU s | entries per CPU-s | peak RSS |");
    println!("|---|---:|---:|---:|---:|---:|---:|");
    let exe = std::env::current_exe().expect("current exe");
    let whats = ["jsonl", "one", "json", "text", "generic", "info", "diff"];
    // Runs interleaved (every command once per round) so load changes hit all alike.
    let mut runs: Vec<Vec<[f64; 3]>> = vec![Vec::new(); whats.len()];
    let mut codes = vec![String::from("?"); whats.len()];
    for _ in 0..reps {
        for (k, what) in whats.iter().enumerate() {
            let out = Command::new(&exe)
                .env("PLOG_BENCH_CHILD", what)
                .output()
                .expect("run child");
            let s = String::from_utf8_lossy(&out.stdout);
            let f: Vec<&str> = s.split_whitespace().collect();
            let num = |i: usize| {
                f.get(i)
                    .and_then(|x| x.parse::<f64>().ok())
                    .unwrap_or(f64::NAN)
            };
            codes[k] = f.get(1).copied().unwrap_or("?").to_string();
            runs[k].push([num(0), num(2), num(3)]);
        }
    }
    let median = |v: &[[f64; 3]], i: usize| {
        let mut x: Vec<f64> = v.iter().map(|r| r[i]).collect();
        x.sort_by(f64::total_cmp);
        x[x.len() / 2]
    };
    let mut wall = vec![0.0; whats.len()];
    let mut cpus = vec![0.0; whats.len()];
    for (k, what) in whats.iter().enumerate() {
        let (secs, rss, cpu) = (
            median(&runs[k], 0),
            median(&runs[k], 1),
            median(&runs[k], 2),
        );
        wall[k] = secs;
        cpus[k] = cpu;
        let code = &codes[k];
        let label = match *what {
            "jsonl" | "json" | "text" => format!("ptest plog dump --format {what}"),
            "one" => "ptest plog dump --format jsonl (one-chunk log)".into(),
            "generic" => "ptest plog dump --format jsonl (no schema)".into(),
            "info" => "ptest plog info".into(),
            _ => format!("ptest plog diff A B (exit {code})"),
        };
        let count = match *what {
            "diff" => 2 * n,
            "one" => n1,
            _ => n,
        };
        println!(
            "| {label} | {count} | {secs:.2} | {:.0} | {cpu:.2} | {:.0} | {:.0} MiB |",
            count as f64 / secs,
            count as f64 / cpu,
            rss / 1024.0
        );
    }
    println!(
        "diff / dump --format jsonl: {:.2} in wall time, {:.2} in CPU time (medians of {reps})",
        wall[6] / wall[0],
        cpus[6] / cpus[0]
    );
    let py_n = env_num("PLOG_BENCH_PY_ENTRIES", 50_000);
    // The venv scripts/install-deps puts pandare and protobuf into, else PATH's python3.
    let venv = std::env::var_os("PTEST_CACHE")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("XDG_CACHE_HOME").map(|d| Path::new(&d).join("ptest")))
        .or_else(|| std::env::var_os("HOME").map(|d| Path::new(&d).join(".cache/ptest")))
        .map(|c| c.join("python/bin/python3"))
        .filter(|p| p.exists());
    let python = venv.unwrap_or_else(|| "python3".into());
    for backend in ["python", "upb"] {
        let out = Command::new(&python)
            .arg(data.join("python_reader.py"))
            .args(["--bench", &a.to_string_lossy(), &py_n.to_string()])
            .env("PROTOCOL_BUFFERS_PYTHON_IMPLEMENTATION", backend)
            .output();
        match out {
            Ok(o) if o.status.success() => {
                let s = String::from_utf8_lossy(&o.stdout);
                let f: Vec<&str> = s.split_whitespace().collect();
                if let [impl_, cnt, secs, rate, rss, cpu] = f[..] {
                    let per_cpu =
                        cnt.parse::<f64>().unwrap_or(0.0) / cpu.parse::<f64>().unwrap_or(f64::NAN);
                    println!(
                        "| Python PLogReader + MessageToJson ({impl_}) | {cnt} | {secs} | {rate} | {cpu} | {per_cpu:.0} | {} MiB |",
                        rss.parse::<u64>().unwrap_or(0) / 1024
                    );
                }
            }
            Ok(o) => println!(
                "| Python reader ({backend}) | failed: {} | | | | | |",
                String::from_utf8_lossy(&o.stderr)
                    .lines()
                    .last()
                    .unwrap_or("")
            ),
            Err(e) => println!("| Python reader ({backend}) | not run: {e} | | | | | |"),
        }
    }
}
