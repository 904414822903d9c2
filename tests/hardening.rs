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
