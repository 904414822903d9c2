//! Shared helpers: PANDA's real schema (tests/data, produced by make_schema.py from
//! the `pandare` package), logs written with our writer, and `ptest plog` via cli::run.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::Command;

use ptest_plog::cli::{self, PlogCommand};
use ptest_plog::{PlogError, PlogWriter, synth};

pub fn data(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data")
        .join(name)
}

/// PANDA's schema as a serialized FileDescriptorSet.
pub fn schema_desc() -> PathBuf {
    data("panda-plog.desc")
}

/// Writes `entries` with the given chunk size and returns the path.
pub fn write_log(
    dir: &Path,
    name: &str,
    chunk: u32,
    entries: impl IntoIterator<Item = Vec<u8>>,
) -> PathBuf {
    let p = dir.join(name);
    let mut w = PlogWriter::with_chunk_size(&p, chunk).unwrap();
    for e in entries {
        w.write_entry(&e).unwrap();
    }
    w.finish().unwrap();
    p
}

/// A synthetic log with `n` entries in small chunks (many chunks).
pub fn synth_log(dir: &Path, name: &str, seed: u64, n: usize) -> PathBuf {
    write_log(dir, name, 4096, synth::entries(seed, n))
}

/// Runs `ptest plog ARGS…` in-process; returns (exit code or error, stdout).
pub fn plog(args: &[&str]) -> (Result<i32, PlogError>, String) {
    use clap::Parser;
    #[derive(clap::Parser)]
    struct P {
        #[command(subcommand)]
        cmd: PlogCommand,
    }
    let mut argv = vec!["plog"];
    argv.extend_from_slice(args);
    let p = P::try_parse_from(argv).unwrap();
    let mut out = Vec::new();
    let r = cli::run(p.cmd, &mut out);
    (r, String::from_utf8(out).unwrap())
}

/// The error line `ptest plog ARGS…` fails with.
pub fn plog_err(args: &[&str]) -> String {
    match plog(args) {
        (Err(e), _) => e.to_string(),
        (Ok(c), out) => panic!(
            "expected an error, got exit {c}: {}",
            &out[..out.len().min(300)]
        ),
    }
}

/// What PANDA's Python reader prints for `file`. Panics (fails the test) when python3
/// or pandare is missing: CI must `pip install pandare protobuf`.
pub fn python_reader(file: &Path, backend: &str) -> String {
    let out = Command::new("python3")
        .arg(data("python_reader.py"))
        .arg(file)
        .env("PROTOCOL_BUFFERS_PYTHON_IMPLEMENTATION", backend)
        .output()
        .expect("python3 must be installed (with `pip install pandare protobuf`)");
    assert!(
        out.status.success(),
        "the Python reference reader failed (is `pip install pandare protobuf` done?): {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}
