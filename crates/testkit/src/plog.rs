//! Pandalog helpers, for the plog crate's tests and tests/plog_*.rs: PANDA's real schema
//! (`crates/plog/tests/data`, produced by make_schema.py from the `pandare` package),
//! logs written with the crate's writer or byte by byte, dumps through the library,
//! PANDA's Python reader, and the real `ptest` binary run as `ptest plog …`.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use ptest_plog::{DumpOptions, Format, PlogWriter, ReadOptions, synth};

pub fn data(name: &str) -> PathBuf {
    crate::workspace().join("crates/plog/tests/data").join(name)
}

/// PANDA's schema as a serialized FileDescriptorSet.
pub fn schema_desc() -> PathBuf {
    data("panda-plog.desc")
}

pub fn s(p: &Path) -> &str {
    p.to_str().expect("utf-8 temp path")
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

pub fn put(dir: &Path, name: &str, bytes: &[u8]) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, bytes).unwrap();
    p
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

/// `ptest plog ARGS…` as a command, with nothing from the developer's shell that
/// would change what it does (`$PANDA_BUILD` would select a schema).
pub fn plog_cmd(args: &[&str]) -> assert_cmd::Command {
    let mut c = assert_cmd::Command::new(crate::ptest_bin());
    c.arg("plog")
        .args(args)
        .env_remove("PANDA_BUILD")
        .env_remove("CLICOLOR_FORCE")
        .timeout(Duration::from_secs(120));
    c
}

/// Runs `ptest plog ARGS…`; returns its exit code and stdout. Anything on stderr fails
/// the test unless the exit code is 2 (an error, see [`plog_err`]).
pub fn plog(args: &[&str]) -> (i32, String) {
    run(plog_cmd(args))
}

pub fn run(mut c: assert_cmd::Command) -> (i32, String) {
    let o = c.output().expect("run ptest");
    let code = o.status.code().expect("ptest ended by a signal");
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(code == 2 || err.is_empty(), "exit {code}, stderr: {err}");
    (code, String::from_utf8(o.stdout).expect("utf-8 output"))
}

/// The error `ptest plog ARGS…` fails with: exit code 2 and one line `error: …` on
/// stderr (stdout may hold the entries dumped before the damage). Returns that line
/// without the `error: ` prefix.
pub fn plog_err(args: &[&str]) -> String {
    let o = plog_cmd(args).output().expect("run ptest");
    let out = String::from_utf8_lossy(&o.stdout);
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(
        o.status.code(),
        Some(2),
        "expected exit 2; stdout: {}; stderr: {err}",
        &out[..out.len().min(300)]
    );
    let line = err
        .strip_prefix("error: ")
        .and_then(|e| e.strip_suffix('\n'))
        .unwrap_or_else(|| panic!("not one `error: ` line: {err:?}"));
    assert!(!line.contains('\n'), "one line: {err}");
    line.to_string()
}

/// The `instr` (field 2) of an encoded entry, last occurrence, read off the wire.
pub fn instr_of(mut e: &[u8]) -> u64 {
    fn varint(b: &mut &[u8]) -> u64 {
        let mut v = 0u64;
        for i in 0..10 {
            let x = b[0];
            *b = &b[1..];
            v |= u64::from(x & 0x7f) << (7 * i);
            if x & 0x80 == 0 {
                break;
            }
        }
        v
    }
    let mut instr = None;
    while !e.is_empty() {
        let key = varint(&mut e);
        match key & 7 {
            0 => {
                let v = varint(&mut e);
                if key >> 3 == 2 {
                    instr = Some(v);
                }
            }
            1 => e = &e[8..],
            5 => e = &e[4..],
            2 => {
                let n = varint(&mut e) as usize;
                e = &e[n..];
            }
            wt => panic!("wire type {wt} in a synthetic entry"),
        }
    }
    instr.expect("an entry with instr")
}

/// What `ptest plog dump --format FORMAT [--schema SCHEMA] FILE` prints, through the
/// library.
pub fn dump_string(file: &Path, schema: Option<&Path>, format: Format) -> String {
    let opts = DumpOptions {
        schema,
        read: ReadOptions::default(),
        format,
    };
    let mut out = Vec::new();
    ptest_plog::dump(file, &opts, &mut out).unwrap();
    String::from_utf8(out).unwrap()
}

/// The venv `scripts/install-deps` installs `pandare` and `protobuf` into:
/// `${PTEST_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/ptest}/python`.
pub fn reader_venv() -> PathBuf {
    let var = |k: &str| {
        std::env::var_os(k)
            .filter(|v| !v.is_empty())
            .map(PathBuf::from)
    };
    var("PTEST_CACHE")
        .or_else(|| var("XDG_CACHE_HOME").map(|d| d.join("ptest")))
        .or_else(|| var("HOME").map(|d| d.join(".cache/ptest")))
        .unwrap_or_default()
        .join("python")
}

/// What PANDA's Python reader prints for `file`, under the venv's Python. Panics (fails
/// the test) when the venv or pandare is missing: run `scripts/install-deps`.
pub fn python_reader(file: &Path, backend: &str) -> String {
    let python = reader_venv().join("bin/python3");
    let out = Command::new(&python)
        .arg(data("python_reader.py"))
        .arg(file)
        .env("PROTOCOL_BUFFERS_PYTHON_IMPLEMENTATION", backend)
        .output()
        .unwrap_or_else(|e| {
            panic!(
                "{}: {e}: run scripts/install-deps (it installs pandare and protobuf there)",
                python.display()
            )
        });
    assert!(
        out.status.success(),
        "the Python reference reader failed (run scripts/install-deps, which installs pandare and protobuf into {}): {}",
        reader_venv().display(),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}
