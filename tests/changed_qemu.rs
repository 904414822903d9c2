//! `ptest test --changed` on real QEMU replays (`examples/qemu`): the engine reports what
//! each emulator mapped and was given, so an unchanged test is a cached pass; another
//! QEMU on `PATH`, or that QEMU rebuilt, runs every test; a changed test script runs
//! only its test.

mod common;
use common::engine::*;

use std::path::Path;

#[test]
fn qemu_replays_are_cached_until_the_emulator_or_a_script_changes() {
    require_qemu();
    let tests = ["console", "insntrace"];
    let s = Suite::example(&tests);
    // Our own QEMU first on PATH: a copy of the system's, which this test may "rebuild".
    // QEMU finds its firmware and modules relative to its binary (`../share/qemu`,
    // `../lib/…/qemu`): the copy gets a prefix of its own linking to the system's.
    let prefix = s.dir.path().join("prefix");
    let bin = prefix.join("bin");
    std::fs::create_dir_all(&bin).unwrap();
    for shared in ["share", "lib"] {
        std::os::unix::fs::symlink(Path::new("/usr").join(shared), prefix.join(shared)).unwrap();
    }
    let system = ptest_engine::stamp::which("qemu-system-x86_64").expect("QEMU on PATH");
    let ours = bin.join("qemu-system-x86_64");
    std::fs::copy(&system, &ours).unwrap();
    let path = format!(
        "{}:{}",
        bin.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let env = [("PATH", path.as_str())];
    for step in ["init", "bless", "test"] {
        let out = s.ptest(&[step], &env);
        assert!(out.status.success(), "{step}:\n{}", text(&out));
    }
    let state =
        std::fs::read_to_string(s.regdir().join(".ptest/state/tests/console.json")).unwrap();
    for role in ["\"emulator\"", "\"library\"", "\"emulator-argument\""] {
        assert!(state.contains(role), "no {role} input in {state}");
    }
    assert!(state.contains(&*ours.to_string_lossy()), "{state}");

    let run = |expect: &[(&str, &str)], says: &[&str]| {
        let out = s.ptest(&["test", "--changed"], &env);
        let said = text(&out);
        assert!(out.status.success(), "{said}");
        for (test, label) in expect {
            assert_eq!(common::status_in(&said, test), *label, "{test}:\n{said}");
        }
        for needle in says {
            assert!(said.contains(needle), "lacks {needle:?}:\n{said}");
        }
    };
    run(&[("console", "CACHED"), ("insntrace", "CACHED")], &[]);

    // A test script changed: that test only.
    let script = s.suite().join("insntrace/insntrace-test.py");
    let mut text_of = std::fs::read_to_string(&script).unwrap();
    text_of.push_str("\n# edited\n");
    std::fs::write(&script, text_of).unwrap();
    run(
        &[("console", "CACHED"), ("insntrace", "PASS")],
        &["insntrace runs: test file insntrace-test.py changed"],
    );

    // QEMU "rebuilt" (a trailing byte: the same program, another file): every test.
    append_byte(&ours);
    run(
        &[("console", "PASS"), ("insntrace", "PASS")],
        &[
            "console runs: emulator qemu-system-x86_64 changed",
            "insntrace runs: emulator qemu-system-x86_64 changed",
        ],
    );
}

fn append_byte(path: &Path) {
    let mut bytes = std::fs::read(path).unwrap();
    bytes.push(0);
    std::fs::write(path, bytes).unwrap();
}
