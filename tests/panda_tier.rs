//! The PANDA tier: `examples/panda` on a real PANDA build, end to end. Run with
//! `scripts/panda-tier` (builds PANDA once, cached, and exports PANDA_BUILD); these tests
//! are `#[ignore]`d in the plain `cargo test` and fail — never skip — without PANDA.

mod common;

use common::engine::text;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::OnceLock;

fn panda_build() -> PathBuf {
    common::panda::build(&["x86_64"])
}

/// The example suite with its own regression directory, recorded and blessed once for all
/// the tests of this binary.
struct Blessed {
    regdir: PathBuf,
    _tmp: tempfile::TempDir,
}

impl Blessed {
    fn ptest(&self, args: &[&str]) -> Output {
        let suite = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/panda");
        Command::new(env!("CARGO_BIN_EXE_ptest"))
            .arg("--suite")
            .arg(&suite)
            .arg("--regression-dir")
            .arg(&self.regdir)
            .args(args)
            .env("PANDA_BUILD", panda_build())
            .env("NO_COLOR", "1")
            .output()
            .expect("run ptest")
    }
}

fn blessed() -> &'static Blessed {
    static SUITE: OnceLock<Blessed> = OnceLock::new();
    SUITE.get_or_init(|| {
        let tmp = tempfile::tempdir().expect("temp dir");
        let b = Blessed {
            regdir: tmp.path().join("regression"),
            _tmp: tmp,
        };
        for step in ["init", "bless"] {
            let out = b.ptest(&[step, "-j", "2"]);
            assert!(out.status.success(), "ptest {step}:\n{}", text(&out));
        }
        b
    })
}

fn read(path: impl AsRef<Path>) -> String {
    let path = path.as_ref();
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

#[test]
#[ignore = "PANDA tier: run scripts/panda-tier (needs PANDA_BUILD)"]
fn example_suite_records_blesses_and_passes_then_a_tampered_reference_fails_with_a_diff() {
    let b = blessed();
    let blessed = b.regdir.join("blessed");
    // What each analysis saw, from the real replays.
    let asid = read(blessed.join("asidstory1/asidstory"));
    assert!(
        asid.contains("netstat"),
        "asidstory saw no netstat:\n{asid}"
    );
    // stringsearch writes one line per call stack that touched the string, with a count.
    let matches = read(blessed.join("stringsearch1/stringsearch1.out"));
    assert!(
        matches.contains("(asid=0x"),
        "stringsearch found nothing: {matches}"
    );
    let cd = read(blessed.join("cdrom/cdrom.out"));
    assert!(
        cd.contains("(asid=0x"),
        "the CD's script left no trace: {cd}"
    );
    let rr = read(blessed.join("rr-file/rr-file.out"));
    assert!(
        rr.contains("3 pass record+replay") && rr.contains("RR test PASSED"),
        "{rr}"
    );
    let plog = std::fs::read(blessed.join("asidlog/asidstory.plog")).expect("asidstory.plog");
    assert!(plog.len() > 24, "asidstory.plog is {} bytes", plog.len());

    // Replayed again: the same outputs (the pandalog compared entry by entry).
    let out = b.ptest(&["test", "-j", "2"]);
    assert!(out.status.success(), "ptest test:\n{}", text(&out));

    let reference = blessed.join("stringsearch1/stringsearch1.out");
    let good = read(&reference);
    std::fs::write(&reference, good.replacen("(asid=0x", "(asid=0xbad", 1)).expect("tamper");
    let out = b.ptest(&["test", "stringsearch1"]);
    std::fs::write(&reference, &good).expect("restore");
    let t = text(&out);
    assert_eq!(out.status.code(), Some(100), "{t}");
    assert!(
        t.contains("--- ") && t.contains("+++ ") && t.contains("(asid=0xbad"),
        "no readable diff:\n{t}"
    );
}

#[test]
#[ignore = "PANDA tier: run scripts/panda-tier (needs PANDA_BUILD)"]
fn plog_dump_equals_pandas_own_reader() {
    let build = panda_build();
    let b = blessed();
    let plog = b.regdir.join("blessed/asidlog/asidstory.plog");

    // PANDA's reader, as shipped in the checkout, with the build's generated plog_pb2.py,
    // under Debian's python3 and python3-protobuf (what PANDA's build used).
    let pkg = tempfile::tempdir().expect("temp dir");
    let pandare = pkg.path().join("pandare");
    std::fs::create_dir_all(&pandare).expect("mkdir");
    std::fs::write(pandare.join("__init__.py"), "").expect("write");
    for (from, to) in [
        (build.join("x86_64-softmmu/plog_pb2.py"), "plog_pb2.py"),
        (
            build.join("../panda/python/core/pandare/plog_reader.py"),
            "plog_reader.py",
        ),
    ] {
        std::fs::copy(&from, pandare.join(to))
            .unwrap_or_else(|e| panic!("{}: {e}", from.display()));
    }
    let reference = Command::new("/usr/bin/python3")
        .args(["-m", "pandare.plog_reader"])
        .arg(&plog)
        .env("PYTHONPATH", pkg.path())
        .output()
        .expect("run python3");
    assert!(
        reference.status.success(),
        "plog_reader.py: {}",
        text(&reference)
    );

    let ours = b.ptest(&["plog", "dump", plog.to_str().expect("utf-8 path")]);
    assert!(ours.status.success(), "ptest plog dump: {}", text(&ours));
    assert!(!reference.stdout.is_empty());
    if ours.stdout != reference.stdout {
        let (a, b) = (
            String::from_utf8_lossy(&reference.stdout),
            String::from_utf8_lossy(&ours.stdout),
        );
        let at = a.lines().zip(b.lines()).position(|(x, y)| x != y);
        panic!(
            "ptest plog dump differs from plog_reader.py (first differing line {at:?}):\nreader: {:?}\nptest:  {:?}",
            at.and_then(|i| a.lines().nth(i)),
            at.and_then(|i| b.lines().nth(i)),
        );
    }
}
