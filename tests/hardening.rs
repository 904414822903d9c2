//! Hardening (issue 8): inputs that used to be accepted silently, lose data or grow
//! without bound now get a clear error or the right result.

mod common;

use common::{Run, TestSuite, no_panic, ok_test, read};

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
    // The issue's chain: 10,000 levels overflowed the stack and aborted the whole run.
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

#[test]
fn a_script_that_replaces_its_output_folder_with_a_link_is_not_blessed() {
    // The check before the run saw a folder; the script swaps it for a link afterwards.
    let outside = "$PTEST_SCRATCH/outside";
    let s = TestSuite::new().sh(
        "a",
        &format!(
            "mkdir -p {outside}; echo secret > {outside}/a.out\nrm -rf \"$PTEST_TMPOUT_DIR\"\nln -s {outside} \"$PTEST_TMPOUT_DIR\""
        ),
    );
    let run = s.ptest(&["bless"]);
    no_panic(&run);
    run.code(100).says(&[
        "replaced by a symbolic link",
        "nothing was compared or blessed",
    ]);
    let blessed = s.blessed("a");
    assert!(!blessed.is_symlink(), "blessed/a became a link");
    assert!(!blessed.join("a.out").exists());
    // And `test` does not compare what the link points at.
    let s = s.sh("b", "echo ok > \"$PTEST_OUTFILE\"");
    s.ptest(&["bless", "b"]).code(0);
    std::fs::write(
        s.dir.join("b/b-test.sh"),
        common::sh_script(&format!(
            "mkdir -p {outside}b; echo ok > {outside}b/b.out\nrm -rf \"$PTEST_TMPOUT_DIR\"\nln -s {outside}b \"$PTEST_TMPOUT_DIR\""
        )),
    )
    .unwrap();
    s.ptest(&["test", "b"])
        .code(100)
        .says(&["replaced by a symbolic link"]);
}

#[test]
fn an_unreadable_output_is_not_blessed() {
    let s = TestSuite::new().sh(
        "a",
        "echo x > \"$PTEST_OUTFILE\"; chmod 000 \"$PTEST_OUTFILE\"",
    );
    let run = s.ptest(&["bless"]);
    no_panic(&run);
    run.code(100)
        .says(&["a.out is not readable (mode 000)", "chmod u+r"]);
    assert!(!s.blessed("a").join("a.out").exists());
}

#[test]
fn zero_timeouts_are_refused_with_file_and_line() {
    let s = ok_test(TestSuite::new(), "a");
    s.ptest(&["test", "--timeout", "0"])
        .code(2)
        .says(&["longer than zero"]);
    let s = s.test_toml("a", "retries = 1\ntimeout = \"0s\"\n");
    let run = s.ptest(&["bless"]);
    run.code(2)
        .says(&["a/test.toml:2:", "timeout", "longer than zero"]);
    assert_eq!(run.stderr.lines().count(), 1, "{}", run.all());
}

#[test]
fn config_values_are_checked_at_load_naming_file_line_and_key() {
    for (text, needles) in [
        (
            "[engine]\nstall-timeout = \"x\"\n",
            vec!["ptest.toml:2:", "stall-timeout", "\"x\""],
        ),
        (
            "[engine]\nshift = 40\n",
            vec!["ptest.toml:2:", "shift", "0 to 10"],
        ),
        ("jobs = 0\n", vec!["ptest.toml:1:", "jobs", "at least 1"]),
        (
            "[images.mine]\nengine = \"qmeu\"\narch = \"x86_64\"\n",
            vec!["ptest.toml:2:", "images.mine", "\"qmeu\"", "panda, qemu"],
        ),
        (
            "[images.mine]\nengine = \"qemu\"\nmemory = \"5000000G\"\n",
            vec!["ptest.toml:3:", "memory", "1024 GiB"],
        ),
        (
            "[compare]\nmode = \"exact\"\n[compare.modes]\n\"*.txt\" = \"sortd\"\n",
            vec!["ptest.toml:4:", "\"sortd\"", "sorted"],
        ),
    ] {
        let s = ok_test(TestSuite::new(), "a").ptest_toml(text);
        for cmd in ["test", "list"] {
            let run = s.ptest(&[cmd]);
            no_panic(&run);
            run.code(2).says(&needles);
            assert_eq!(run.stderr.lines().count(), 1, "{}", run.all());
        }
    }
    // The same in a test's test.toml.
    let s =
        ok_test(TestSuite::new(), "a").test_toml("a", "[engine]\nrecord-timeout = \"5 parsecs\"\n");
    s.ptest(&["bless"])
        .code(2)
        .says(&["a/test.toml:2:", "record-timeout"]);
}

#[test]
fn a_byte_order_mark_in_toml_is_ignored() {
    let s = ok_test(TestSuite::new(), "a").ptest_toml("\u{feff}retries = 1\n");
    s.ptest(&["bless"]).code(0);
}

#[test]
fn a_damaged_state_file_is_an_error_for_failed_and_diff() {
    let s = ok_test(TestSuite::new(), "a");
    s.ptest(&["bless"]).code(0);
    std::fs::write(
        s.reg.join(".ptest/state.json"),
        "{\"version\": 1, \"tests\": {",
    )
    .unwrap();
    for args in [vec!["test", "--failed"], vec!["diff"], vec!["accept"]] {
        let run = s.ptest(&args);
        no_panic(&run);
        run.code(2).says(&["state.json: damaged", "delete it"]);
    }
    // A plain run only warns (the file is a cache) and then replaces it.
    s.ptest(&["test"]).code(0).says(&["warning", "state.json"]);
    s.ptest(&["test", "--failed"]).code(0);
}

#[test]
fn a_state_file_of_an_older_ptest_is_named_with_the_fix_and_test_rewrites_it() {
    let s = ok_test(TestSuite::new(), "a");
    s.ptest(&["bless"]).code(0);
    // What ptest wrote before outcomes were typed: an invalid file's reason under "diff".
    let old = r#"{"version": 1, "tests": {"a": {"durations": {"test": 0.1}, "last": {
        "mode": "test", "status": "failed", "duration_secs": 0.1, "script_ok": true,
        "message": "1 file(s) invalid", "log": "/x/test.log", "finished": 1,
        "files": [{"name": "a.out", "mode": "exact", "outcome": "invalid", "diff": "is a FIFO"}]}}}}"#;
    std::fs::write(s.reg.join(".ptest/state.json"), old).unwrap();
    for args in [vec!["test", "--failed"], vec!["diff"], vec!["accept"]] {
        let run = s.ptest(&args);
        no_panic(&run);
        run.code(2).says(&[
            "state.json: written by an older ptest",
            "run `ptest test` again to refresh it",
        ]);
        assert_eq!(run.stderr.lines().count(), 1, "{args:?}: {}", run.all());
    }
    // `test` (and `bless`) only warn, run, and write the current version.
    s.ptest(&["test"])
        .code(0)
        .says(&["warning", "written by an older ptest"]);
    s.ptest(&["diff"]).code(0).never_says("older ptest");
    // Now one file per test (version 4: differences as data); the old single file is gone.
    assert!(!s.reg.join(".ptest/state.json").exists());
    let state: serde_json::Value =
        serde_json::from_str(&read(s.reg.join(".ptest/state/tests/a.json"))).unwrap();
    assert_eq!(state["version"], 4);
    assert_eq!(state["last"]["files"][0]["outcome"], "same");
}

#[test]
fn test_with_a_mistyped_regression_dir_creates_nothing() {
    let s = ok_test(TestSuite::new(), "a");
    let typo = s.scratch("regresion");
    let run = s
        .cmd()
        .arg("test")
        .arg("--regression-dir")
        .arg(&typo)
        .output()
        .map(Run::from)
        .unwrap();
    run.code(2).says(&["does not exist", "ptest init"]);
    assert!(!typo.exists());
}

#[test]
fn a_dangling_link_as_regression_dir_is_named() {
    let s = ok_test(TestSuite::new(), "a");
    let link = s.scratch("reglink");
    std::os::unix::fs::symlink(s.scratch("gone"), &link).unwrap();
    for cmd in ["init", "bless"] {
        let run = s
            .cmd()
            .arg(cmd)
            .arg("--regression-dir")
            .arg(&link)
            .output()
            .map(Run::from)
            .unwrap();
        no_panic(&run);
        run.code(2)
            .says(&["symbolic link to", "which does not exist"])
            .never_says("os error 17");
    }
}

#[test]
fn log_tails_never_carry_terminal_escapes() {
    let s = TestSuite::new().sh(
        "a",
        "printf '\\033[31mred\\033[0m \\033]0;title\\007 bell\\n'; exit 3",
    );
    let run = s.ptest(&["bless", "--color", "never"]);
    run.code(100).says(&["red", "bell"]);
    assert!(
        !run.stdout.contains('\u{1b}') && !run.stdout.contains('\u{7}'),
        "{:?}",
        run.stdout
    );
}

#[test]
fn accept_is_suggested_only_where_it_would_work_and_reads_well() {
    let s = TestSuite::new()
        .sh("good", "echo $(cat \"$PTEST_SCRATCH/v\" 2>/dev/null) > \"$PTEST_OUTFILE\"")
        .sh("link", "echo x > \"$PTEST_OUTFILE\"; [ -e \"$PTEST_SCRATCH/v\" ] && ln -s /etc/hostname \"$PTEST_TMPOUT_DIR/l\" || true");
    s.ptest(&["bless"]).code(0);
    std::fs::write(s.scratch("v"), "2").unwrap();
    let run = s.ptest(&["test"]);
    run.code(100);
    let next = run
        .stdout
        .lines()
        .find(|l| l.contains("next:"))
        .unwrap_or_default()
        .to_string();
    assert!(
        next.contains("ptest diff good link") || next.contains("ptest diff link good"),
        "{next}"
    );
    assert!(next.contains("ptest accept good`"), "{next}");
    let run = s.ptest(&["accept", "link"]);
    run.code(2).never_says("it its");
}

#[test]
fn diff_output_of_a_run_is_capped_with_a_note() {
    // 400 tests whose three-line output changed: 9 diff lines each, 3600 in all.
    let mut s = TestSuite::new();
    for i in 0..400 {
        s = s.sh(
            &format!("t{i}"),
            "v=\"$PTEST_SCRATCH/v\"; cat \"$v\" \"$v\" \"$v\" > \"$PTEST_OUTFILE\"",
        );
    }
    std::fs::write(s.scratch("v"), "1\n").unwrap();
    s.ptest(&["bless"]).code(0);
    std::fs::write(s.scratch("v"), "2\n").unwrap();
    let run = s.ptest(&["bless"]);
    run.code(0);
    // Diff lines are indented by four spaces (result lines are right-aligned labels).
    let diff_lines = run
        .stdout
        .lines()
        .filter(|l| l.starts_with("    ") && !l.starts_with("     ") && !l.contains("not shown"))
        .count();
    assert_eq!(diff_lines, 2000, "{diff_lines} diff lines printed");
    run.says(&["diff line(s) not shown: at most 2000 are printed per run"]);
}

#[test]
fn config_errors_show_the_line_with_a_caret_when_colour_is_on() {
    let s = ok_test(TestSuite::new(), "a").ptest_toml("jobs = 2\n[engine]\nshift = 40\n");
    let run = s.ptest(&["list", "--color", "always"]);
    run.code(2);
    let stderr = console::strip_ansi_codes(&run.stderr).to_string();
    let lines: Vec<&str> = stderr.lines().collect();
    assert_eq!(
        lines[1..],
        ["  |", "3 | shift = 40", "  |         ^^"],
        "{stderr}"
    );
    assert!(
        lines[0].contains("ptest.toml:3:9: `[engine] shift = 40`"),
        "{stderr}"
    );
    // Without colour (logs, scripts, pipes): the one line only.
    let run = s.ptest(&["list", "--color", "never"]);
    assert_eq!(run.code(2).stderr.lines().count(), 1, "{}", run.all());
}
