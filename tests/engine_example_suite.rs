//! The QEMU example suite end to end, and a broken analysis failing with a readable diff.

mod common;
use common::engine::*;

#[test]
fn example_suite_passes_then_catches_tampered_output_and_changed_filter_range() {
    require_qemu();
    // exectrace: its raw output differs in every run (host pointers); only its filter
    // lets `test` pass after `bless`.
    let s = Suite::example(&["console", "insntrace", "exectrace"]);
    for step in ["init", "bless", "test"] {
        let out = s.ptest(&[step], &[]);
        assert!(out.status.success(), "ptest {step}:\n{}", text(&out));
    }

    let raw = std::fs::read_to_string(s.regdir().join("blessed/exectrace/exec.txt")).unwrap();
    assert!(
        raw.starts_with("Trace 0: 0x"),
        "references keep the raw output: {raw:.80}"
    );

    // A tampered reference: the diff names the line.
    let blessed = s.regdir().join("blessed/console/console.txt");
    let good = std::fs::read_to_string(&blessed).unwrap();
    std::fs::write(&blessed, good.replace("2 + 3 = 5", "2 + 3 = 6")).unwrap();
    let out = s.ptest(&["test", "console"], &[]);
    let t = text(&out);
    assert_eq!(out.status.code(), Some(100), "{t}");
    assert!(
        t.contains("-2 + 3 = 6") && t.contains("+2 + 3 = 5"),
        "no readable diff:\n{t}"
    );
    std::fs::write(&blessed, good).unwrap();

    // The analysis changed (a shorter -dfilter range): fewer instructions traced.
    let toml = s.suite().join("insntrace/test.toml");
    std::fs::write(&toml, "[env]\nTRACE_BYTES = \"0x40\"\n").unwrap();
    let out = s.ptest(&["test", "insntrace"], &[]);
    let t = text(&out);
    assert_eq!(out.status.code(), Some(100), "{t}");
    assert!(
        t.contains("in_asm.txt"),
        "diff does not name the file:\n{t}"
    );
    assert!(
        t.lines().any(|l| l.trim_start().starts_with("-0x")),
        "no removed instruction lines in the diff:\n{t}"
    );
    assert!(emulators_mentioning(s.dir.path()).is_empty());
}
