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

/// Builds a pandalog byte by byte from decompressed chunk contents, so tests can then
/// damage any part. Returns the bytes and the chunk file positions.
pub fn raw_log(chunks: &[Vec<u8>]) -> (Vec<u8>, Vec<u64>) {
    use std::io::Write;
    let mut file = vec![0u8; 128];
    let mut pos = Vec::new();
    for c in chunks {
        pos.push(file.len() as u64);
        let mut z = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::default());
        z.write_all(c).unwrap();
        file.extend(z.finish().unwrap());
    }
    let dir_pos = file.len() as u64;
    file.extend((chunks.len() as u32).to_le_bytes());
    for (i, p) in pos.iter().enumerate() {
        file.extend((i as u64 * 100).to_le_bytes());
        file.extend(p.to_le_bytes());
        file.extend(1u64.to_le_bytes());
    }
    file[0..4].copy_from_slice(&2u32.to_le_bytes());
    file[8..16].copy_from_slice(&dir_pos.to_le_bytes());
    file[16..20].copy_from_slice(&(16u32 << 20).to_le_bytes());
    (file, pos)
}

/// Length-prefixed entries as they appear in a decompressed chunk.
pub fn chunk_of(entries: &[Vec<u8>]) -> Vec<u8> {
    let mut c = Vec::new();
    for e in entries {
        c.extend((e.len() as u32).to_le_bytes());
        c.extend(e);
    }
    c
}

/// A `LogEntry` with `pc`, `instr` and an `asid_info` (field 40) with `pid`.
pub fn entry_pid(instr: u64, pid: u64) -> Vec<u8> {
    use ptest_plog::synth::Enc;
    let mut a = Enc::default();
    a.uint(1, pid)
        .uint(2, 5)
        .uint(3, 1)
        .uint(4, 0x1000)
        .bytes(5, b"bash")
        .uint(7, 1)
        .uint(8, 2);
    let mut e = Enc::default();
    e.uint(1, 0xc12c_3586).uint(2, instr).msg(40, &a);
    e.0
}
