//! Shared helpers: PANDA's real schema (tests/data, produced by make_schema.py from
//! the `pandare` package), logs written with our writer, and dumps through the library.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::Command;

use ptest_plog::{DumpOptions, Format, PlogWriter, ReadOptions, synth};

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
