//! Hardening (issue 8): inputs that used to be accepted silently, lose data or grow
//! without bound now get a clear error or the right result.

mod common;

use common::{Run, TestSuite};

/// ptest never panics: a panic message or Rust's exit code 101 fails the test.
#[track_caller]
fn no_panic(run: &Run) {
    assert_ne!(run.status.code(), Some(101), "{}", run.all());
    assert!(!run.stderr.contains("panicked"), "{}", run.all());
}

fn ok_test(s: TestSuite, name: &str) -> TestSuite {
    s.sh(name, "echo ok > \"$PTEST_OUTFILE\"")
}

#[test]
fn report_write_errors_exit_2_naming_the_report() {
    let s = ok_test(TestSuite::new(), "a");
    s.ptest(&["bless"]).code(0);
    for (flag, kind) in [("--json", "JSON"), ("--junit", "JUnit")] {
        let run = s.ptest(&["test", flag, "/dev/full"]);
        no_panic(&run);
        run.code(2)
            .says(&[&format!("{kind} report /dev/full"), "No space left"]);
    }
    // Both are attempted: the good one is still written.
    let good = s.scratch("r.json");
    let run = s
        .cmd()
        .args(["test", "--junit", "/dev/full", "--json"])
        .arg(&good)
        .output()
        .map(Run::from)
        .expect("run");
    run.code(2);
    assert!(common::read(&good).contains("\"passed\": 1"));
}

#[test]
fn a_byte_order_mark_in_config_testing_is_ignored() {
    let s = ok_test(ok_test(TestSuite::new(), "a"), "b");
    std::fs::write(s.dir.join("config.testing"), "\u{feff}a\nb\n").unwrap();
    let run = s.ptest(&["bless"]);
    run.code(0);
    assert!(s.blessed("a").join("a.out").is_file());
    let names: Vec<String> = std::fs::read_dir(s.reg.join("blessed"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert!(names.iter().all(|n| !n.contains('\u{feff}')), "{names:?}");
}

#[test]
fn a_long_hash_line_is_a_comment_and_a_long_name_an_error_with_its_line() {
    let long = "x".repeat(300);
    let s = ok_test(TestSuite::new(), "a").line(&format!("#{long}"));
    s.ptest(&["list"]).code(0).never_says("too long");
    let s = s.line(&long);
    let run = s.ptest(&["list"]);
    no_panic(&run);
    run.code(2).says(&["config.testing:3: ", "255 bytes"]);
}

/// A pandalog with a few entries, written where a test script can copy it from.
fn small_plog(path: &std::path::Path, seed: u64) {
    let mut w = ptest_plog::PlogWriter::create(path).unwrap();
    for e in ptest_plog::synth::entries(seed, 5) {
        w.write_entry(&e).unwrap();
    }
    w.finish().unwrap();
}

#[test]
fn a_too_deep_plog_schema_errors_its_test_and_the_run_goes_on() {
    let s = TestSuite::new()
        .sh(
            "deep",
            "cp \"$PTEST_SCRATCH/log.plog\" \"$PTEST_TMPOUT_DIR/\"",
        )
        .test_toml("deep", "[compare]\nplog-schema = \"deep.proto\"\n");
    let s = ok_test(s, "other");
    small_plog(&s.scratch("log.plog"), 7);
    s.ptest(&["bless"]).code(0);
    // Identical files never reach the decoder: the new run's log differs.
    small_plog(&s.scratch("log.plog"), 8);
    let mut proto = String::from(
        "syntax = \"proto2\";\npackage panda;\nmessage LogEntry { optional M0 m = 1; }\n",
    );
    // The chain: 10,000 levels overflowed the stack and aborted the whole run.
    let n = 10_000;
    for i in 0..n {
        proto.push_str(&format!("message M{i} {{ optional M{} m = 1; }}\n", i + 1));
    }
    proto.push_str(&format!("message M{n} {{ optional uint64 x = 1; }}\n"));
    s.write("deep/deep.proto", &proto);
    let junit = s.scratch("j.xml");
    let run = s
        .cmd()
        .args(["test", "-j2", "--junit"])
        .arg(&junit)
        .output()
        .map(Run::from)
        .unwrap();
    no_panic(&run);
    run.code(100)
        .says(&["nested 101 levels deep", "deep.proto"]);
    assert_eq!(run.status_of("other"), "PASS");
    assert!(common::read(&junit).contains("testcase name=\"deep\""));
}
