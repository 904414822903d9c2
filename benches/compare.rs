//! Compare benchmark (issue 2): throughput on two identical 1 GiB files, and time and peak
//! memory of the diff of two 100 MB texts with 10 changed lines (plain, with a filter, in
//! `sorted` mode), next to GNU `cmp` and `diff -u` on the same files.
//!
//! Run: `cargo bench --bench compare` (release build). Files go to a temporary folder
//! under `$PTEST_BENCH_DIR` (default: the system temp dir); about 2.3 GB of disk.
//! Sizes can be shrunk for a quick try: `PTEST_BENCH_BIG_MB=64 PTEST_BENCH_TEXT_MB=10`.
//!
//! Each scenario runs in a child process of this binary so that its peak RSS (VmHWM)
//! is its own; external tools are measured with `/usr/bin/time -f '%e %M'`.

use std::fs;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use ptest::compare::{CompareLayer, CompareSpec, Comparer, FileVerdict, FilterSpec};

const MB: u64 = 1_000_000;
const MIB: u64 = 1 << 20;

fn env_mb(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// Peak resident set of this process, from /proc/self/status.
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

/// A deterministic pseudo-random generator (xorshift), so runs generate the same files.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
}

/// Text of about `bytes` bytes: numbered lines with a host pointer, a hex word and filler,
/// like an analysis plugin's output.
/// `ptr_salt` changes every host pointer and nothing else (what a filter should hide).
fn write_text(path: &Path, bytes: u64, seed: u64, ptr_salt: u64) -> u64 {
    let mut w = BufWriter::with_capacity(1 << 20, fs::File::create(path).expect("create"));
    let mut rng = Rng(seed);
    let mut written = 0u64;
    let mut line = 0u64;
    while written < bytes {
        let r = rng.next();
        let s = format!(
            "{line:09} pc=0x{:08x} buf=0x7ffd{:08x} asid=0x{:x} call {} ret {}\n",
            r & 0xffff_ffff,
            ((r >> 16) ^ ptr_salt) & 0xffff_ffff,
            (r >> 40) & 0xfff,
            r % 977,
            (r >> 8) % 61
        );
        w.write_all(s.as_bytes()).expect("write");
        written += s.len() as u64;
        line += 1;
    }
    w.flush().expect("flush");
    line
}

/// A copy of `src` with `changes` lines (evenly spread) replaced.
fn write_changed(src: &Path, dst: &Path, lines: u64, changes: u64) {
    let text = fs::read(src).expect("read");
    let step = lines / (changes + 1);
    let mut out = BufWriter::with_capacity(1 << 20, fs::File::create(dst).expect("create"));
    for (i, l) in text.split_inclusive(|&b| b == b'\n').enumerate() {
        let i = i as u64;
        if i > 0 && i.is_multiple_of(step) && i / step <= changes {
            writeln!(out, "{i:09} CHANGED LINE").expect("write");
        } else {
            out.write_all(l).expect("write");
        }
    }
    out.flush().expect("flush");
}

fn layer(filters: Vec<FilterSpec>, mode: Option<&str>) -> CompareLayer {
    CompareLayer {
        origin: "bench".into(),
        filters,
        compare: CompareSpec {
            mode: mode.map(str::to_string),
            ..Default::default()
        },
    }
}

fn host_pointers() -> Vec<FilterSpec> {
    vec![FilterSpec {
        preset: Some("host-pointers".into()),
        regex: None,
        replace: String::new(),
        files: None,
    }]
}

/// Child side: run one scenario on `blessed`/`new` dirs, print "secs kib outcome".
fn scenario(name: &str, blessed: &Path, new: &Path) {
    let comparer = match name {
        "exact" => Comparer::new(&[layer(vec![], None)]),
        "filtered" => Comparer::new(&[layer(host_pointers(), None)]),
        "sorted" => Comparer::new(&[layer(vec![], Some("sorted"))]),
        other => panic!("unknown scenario {other}"),
    }
    .expect("comparer");
    let start = Instant::now();
    let result = comparer.compare_dirs(blessed, new).expect("compare");
    let secs = start.elapsed().as_secs_f64();
    let outcome = match &result.files[0].verdict {
        FileVerdict::Same => "same".to_string(),
        FileVerdict::Differs { difference } => format!(
            "differs({}-line-diff)",
            ptest::compare::render_difference(difference)
                .lines()
                .count()
        ),
        other => format!("{other:?}"),
    };
    println!("{secs:.3} {} {outcome}", vm_hwm_kib());
}

struct Measured {
    secs: f64,
    peak_mib: f64,
    note: String,
}

fn run_child(name: &str, blessed: &Path, new: &Path) -> Measured {
    let out = Command::new(std::env::current_exe().expect("exe"))
        .args(["--scenario", name])
        .arg(blessed)
        .arg(new)
        .output()
        .expect("spawn scenario");
    let text = String::from_utf8_lossy(&out.stdout);
    let mut parts = text.split_whitespace();
    let secs = parts
        .next()
        .and_then(|s| s.parse().ok())
        .unwrap_or(f64::NAN);
    let kib: f64 = parts
        .next()
        .and_then(|s| s.parse().ok())
        .unwrap_or(f64::NAN);
    Measured {
        secs,
        peak_mib: kib / 1024.0,
        note: parts.next().unwrap_or("?").to_string(),
    }
}

/// Run an external command under /usr/bin/time; wall seconds and peak RSS.
fn run_tool(args: &[&str]) -> Option<Measured> {
    let out = Command::new("/usr/bin/time")
        .args(["-f", "%e %M"])
        .args(args)
        .stdout(std::process::Stdio::null())
        .output()
        .ok()?;
    let err = String::from_utf8_lossy(&out.stderr);
    let last = err.lines().last()?;
    let mut p = last.split_whitespace();
    let secs: f64 = p.next()?.parse().ok()?;
    let kib: f64 = p.next()?.parse().ok()?;
    Some(Measured {
        secs,
        peak_mib: kib / 1024.0,
        note: format!("exit {}", out.status.code().unwrap_or(-1)),
    })
}

fn dirs(root: &Path, name: &str) -> (PathBuf, PathBuf) {
    let (b, n) = (root.join(name).join("blessed"), root.join(name).join("new"));
    fs::create_dir_all(&b).expect("mkdir");
    fs::create_dir_all(&n).expect("mkdir");
    (b, n)
}

/// One table row; throughput (file size / time) only where the whole file was read.
fn row(what: &str, size: u64, m: &Measured) {
    let early =
        m.note.starts_with("differs(") && size > 256 * MIB || what.contains("first difference");
    let gbs = if early {
        "(stops early)".to_string()
    } else {
        format!("{:.2} GB/s", size as f64 / 1e9 / m.secs)
    };
    println!(
        "| {what:<44} | {:>8.3} s | {gbs:>13} | {:>8.1} MiB | {} |",
        m.secs, m.peak_mib, m.note
    );
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if args.len() == 5 && args[1] == "--scenario" {
        scenario(&args[2], Path::new(&args[3]), Path::new(&args[4]));
        return;
    }
    let big = env_mb("PTEST_BENCH_BIG_MB", 1024) * MIB;
    let text = env_mb("PTEST_BENCH_TEXT_MB", 100) * MB;
    let base = std::env::var_os("PTEST_BENCH_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(std::env::temp_dir);
    let tmp = tempfile::Builder::new()
        .prefix("ptest-bench-compare")
        .tempdir_in(base)
        .expect("tempdir");
    let root = tmp.path();

    eprintln!("generating files in {} …", root.display());
    let (bb, bn) = dirs(root, "big");
    write_text(&bb.join("out.txt"), big, 1, 0);
    fs::copy(bb.join("out.txt"), bn.join("out.txt")).expect("copy");
    let (_, bp) = dirs(root, "big-pointers");
    write_text(&bp.join("out.txt"), big, 1, 0x5a5a);
    let big = fs::metadata(bb.join("out.txt")).expect("stat").len();

    let (tb, tn) = dirs(root, "text");
    let lines = write_text(&tb.join("out.txt"), text, 2, 0);
    write_changed(&tb.join("out.txt"), &tn.join("out.txt"), lines, 10);
    let text = fs::metadata(tb.join("out.txt")).expect("stat").len();

    // Warm the page cache so every row reads from memory, as a re-run would.
    for p in [&bb, &bn, &bp, &tb, &tn] {
        let _ = run_tool(&["cat", &p.join("out.txt").to_string_lossy()]);
    }

    println!(
        "\ncompare benchmark: {} CPUs, identical files {} bytes, texts {} bytes ({lines} lines, 10 changed)\n",
        std::thread::available_parallelism().map_or(0, |n| n.get()),
        big,
        text
    );
    println!("| what | time | throughput | peak RSS | result |");
    println!("|---|---|---|---|---|");
    let s = |p: &Path| p.join("out.txt").to_string_lossy().into_owned();
    let gib = if big >= 1 << 30 {
        format!("{} GiB", big >> 30)
    } else {
        format!("{} MiB", big >> 20)
    };
    let mb = format!("{} MB", text / MB);
    row(
        &format!("ptest exact, identical {gib}"),
        big,
        &run_child("exact", &bb, &bn),
    );
    if let Some(m) = run_tool(&["cmp", &s(&bb), &s(&bn)]) {
        row(&format!("GNU cmp, identical {gib}"), big, &m);
    }
    row(
        &format!("ptest exact, {gib}, every host pointer differs"),
        big,
        &run_child("exact", &bb, &bp),
    );
    row(
        &format!("ptest exact + host-pointers filter, same {gib} pair"),
        big,
        &run_child("filtered", &bb, &bp),
    );
    row(
        &format!("ptest exact, {mb}, 10 changes"),
        text,
        &run_child("exact", &tb, &tn),
    );
    row(
        &format!("ptest exact + host-pointers filter, {mb}, 10 changes"),
        text,
        &run_child("filtered", &tb, &tn),
    );
    row(
        &format!("ptest sorted, {mb}, 10 changes"),
        text,
        &run_child("sorted", &tb, &tn),
    );
    if let Some(m) = run_tool(&["diff", "-u", &s(&tb), &s(&tn)]) {
        row(&format!("GNU diff -u, {mb}, 10 changes"), text, &m);
    }
    if let Some(m) = run_tool(&["cmp", &s(&tb), &s(&tn)]) {
        row(
            &format!("GNU cmp, {mb}, 10 changes (first difference only)"),
            text,
            &m,
        );
    }
}
