//! Every status a test can end in, kept apart: pass, fail (with a diff), error (exit ≠ 0,
//! a signal, no output, no reference), timeout (killing the whole process tree), flaky
//! after retries; and the exit codes 0 / 100 / 2.

mod common;

use std::time::{Duration, Instant};

use common::{TestSuite, dies_within, gone, read, read_pid};

/// A test writing the content of `$PTEST_SCRATCH/NAME.d/` files into its tmpout.
fn copying(s: TestSuite, name: &str) -> TestSuite {
    let src = s.scratch(&format!("{name}.d"));
    std::fs::create_dir_all(&src).unwrap();
    s.sh(
        name,
        &format!("cp -R \"$PTEST_SCRATCH/{name}.d/.\" \"$PTEST_TMPOUT_DIR/\""),
    )
}

fn put(s: &TestSuite, name: &str, file: &str, text: &str) {
    std::fs::write(s.scratch(&format!("{name}.d/{file}")), text).unwrap();
}

fn remove(s: &TestSuite, name: &str, file: &str) {
    std::fs::remove_file(s.scratch(&format!("{name}.d/{file}"))).unwrap();
}

#[test]
fn pass_and_exit_code_0() {
    let s = copying(TestSuite::new(), "a");
    put(&s, "a", "a.out", "same\n");
    s.ptest(&["bless"]).code(0);
    let run = s.ptest(&["test"]);
    run.code(0);
    assert_eq!(run.status_of("a"), "PASS");
    assert_eq!(
        run.stdout.lines().last(),
        Some("ptest test: all 1 test(s) succeeded")
    );
}

#[test]
fn mismatch_fails_with_a_readable_unified_diff_and_exit_code_100() {
    let s = copying(TestSuite::new(), "a");
    let lines: Vec<String> = (1..=30).map(|i| format!("line {i}")).collect();
    put(&s, "a", "trace.txt", &(lines.join("\n") + "\n"));
    s.ptest(&["bless"]).code(0);
    let mut changed = lines.clone();
    changed[14] = "line 15 CHANGED".into();
    put(&s, "a", "trace.txt", &(changed.join("\n") + "\n"));
    let run = s.ptest(&["test", "-j", "1"]);
    run.code(100);
    assert_eq!(run.status_of("a"), "FAIL");
    run.says(&["1 file(s) differ", "ptest test: 1 of 1 test(s) FAILED"]);
    // A unified diff: headers, a hunk, the changed line on both sides, some context,
    // and not the whole file.
    let diff: Vec<&str> = run
        .stdout
        .lines()
        .map(str::trim_start)
        .skip_while(|l| !l.starts_with("---"))
        .take_while(|l| !l.starts_with("last lines") && !l.starts_with("Summary"))
        .collect();
    assert!(
        diff[0].starts_with("--- ") && diff[0].contains("trace.txt"),
        "{diff:?}"
    );
    assert!(
        diff[1].starts_with("+++ ") && diff[1].contains("trace.txt"),
        "{diff:?}"
    );
    assert!(diff[2].starts_with("@@ -"), "{diff:?}");
    assert!(
        diff.contains(&"-line 15") && diff.contains(&"+line 15 CHANGED"),
        "{diff:?}"
    );
    assert!(
        diff.contains(&"line 14") && diff.contains(&"line 16"),
        "{diff:?}"
    );
    assert!(
        !diff.contains(&"line 1") && !diff.contains(&"line 30"),
        "{diff:?}"
    );
    let snapshot = s.redact(&run.stdout);
    insta::assert_snapshot!(snapshot);
}

#[test]
fn script_exit_code_is_an_error_showing_the_log_tail() {
    let s = TestSuite::new().sh(
        "a",
        "echo partial > \"$PTEST_OUTFILE\"\necho 'replay diverged at instr 42' >&2\nexit 3",
    );
    let run = s.ptest(&["bless"]);
    run.code(100);
    assert_eq!(run.status_of("a"), "ERROR");
    run.says(&[
        "a-test.sh exited with code 3",
        "replay diverged at instr 42",
        "logs/a/bless.log",
    ]);
    // Nothing was blessed from a failing script.
    assert!(!s.blessed("a").join("a.out").exists());
    assert!(read(s.reg.join("logs/a/bless.log")).contains("replay diverged at instr 42"));
}

#[test]
fn script_killed_by_a_signal_is_an_error_naming_the_signal() {
    let s = TestSuite::new().sh("a", "echo x > \"$PTEST_OUTFILE\"\nkill -SEGV $$");
    let run = s.ptest(&["bless"]);
    run.code(100).says(&["killed by SIGSEGV"]);
    assert_eq!(run.status_of("a"), "ERROR");
}

#[test]
fn no_output_is_an_error_not_a_pass() {
    // ptest.py passed this: the loop over produced files never ran.
    let s = TestSuite::new().sh("a", "echo 'I forgot to write my output'");
    s.ptest(&["bless"]).code(100).says(&["produced no output"]);
    let run = s.ptest(&["test"]);
    run.code(100).says(&["produced no output"]);
    assert_eq!(run.status_of("a"), "ERROR");
}

#[test]
fn empty_folders_are_no_output() {
    // "Produced at least one file": an empty subfolder is not output.
    let s = TestSuite::new().sh("a", "mkdir -p \"$PTEST_TMPOUT_DIR/sub/deeper\"");
    let run = s.ptest(&["bless"]);
    run.code(100).says(&["produced no output"]);
    assert_eq!(run.status_of("a"), "ERROR");
    assert!(common::tree(&s.blessed("a")).is_empty());
    assert!(
        !s.blessed("a").join("sub").exists(),
        "an empty reference was blessed"
    );
    // A reference of empty folders is no reference either.
    std::fs::create_dir_all(s.blessed("a").join("sub")).unwrap();
    let s = s.sh("b", "echo b > \"$PTEST_OUTFILE\"");
    std::fs::create_dir_all(s.blessed("b").join("sub")).unwrap();
    s.ptest(&["test", "b"])
        .code(100)
        .says(&["no blessed reference"]);
}

#[test]
fn no_blessed_reference_is_an_error_with_the_fix() {
    let s = copying(TestSuite::new(), "a");
    put(&s, "a", "a.out", "x\n");
    // `test` needs an existing regression directory (it never creates one).
    s.ptest(&["init"]).code(0);
    let run = s.ptest(&["test"]);
    run.code(100)
        .says(&["no blessed reference", "ptest bless a"]);
    assert_eq!(run.status_of("a"), "ERROR");
}

#[test]
fn blessed_file_no_longer_produced_fails() {
    let s = copying(TestSuite::new(), "a");
    put(&s, "a", "a.out", "x\n");
    put(&s, "a", "extra.out", "y\n");
    s.ptest(&["bless"]).code(0);
    remove(&s, "a", "extra.out");
    let run = s.ptest(&["test"]);
    run.code(100).says(&[
        "extra.out: blessed, but the new run did not produce it",
        "missing",
    ]);
    assert_eq!(run.status_of("a"), "FAIL");
}

#[test]
fn new_file_not_blessed_fails() {
    let s = copying(TestSuite::new(), "a");
    put(&s, "a", "a.out", "x\n");
    s.ptest(&["bless"]).code(0);
    put(&s, "a", "surprise.out", "new\n");
    let run = s.ptest(&["test"]);
    run.code(100)
        .says(&["surprise.out: produced by the new run, but not in the blessed reference"]);
    assert_eq!(run.status_of("a"), "FAIL");
}

#[test]
fn files_in_subfolders_are_compared_too() {
    let s = TestSuite::new().sh(
        "a",
        "mkdir -p \"$PTEST_TMPOUT_DIR/sub\"\ncat \"$PTEST_SCRATCH/v\" > \"$PTEST_TMPOUT_DIR/sub/deep.txt\"",
    );
    std::fs::write(s.scratch("v"), "1\n").unwrap();
    s.ptest(&["bless"]).code(0);
    s.ptest(&["test"]).code(0);
    std::fs::write(s.scratch("v"), "2\n").unwrap();
    s.ptest(&["test"])
        .code(100)
        .says(&["sub/deep.txt", "-1", "+2"]);
}

/// The script and its background grandchild write their pids; the script then blocks.
/// Both die on SIGTERM, so the kill needs no escalation.
const HANGS: &str = "sleep 600 &\n\
                     echo $! > \"$PTEST_MISC_DIR/grandchild.pid\"\n\
                     echo $$ > \"$PTEST_MISC_DIR/script.pid\"\n\
                     echo started > \"$PTEST_OUTFILE\"\n\
                     wait";

#[test]
fn timeout_kills_the_whole_process_tree() {
    let s = TestSuite::new()
        .sh("hang", HANGS)
        .sh("quick", "echo ok > \"$PTEST_OUTFILE\"");
    let run = s.ptest(&["bless", "--timeout", "1s", "-j", "2"]);
    run.code(100);
    assert_eq!(run.status_of("hang"), "TIMEOUT");
    assert_eq!(run.status_of("quick"), "PASS");
    run.says(&["timed out after 1s", "1 timed out"]);
    let script = read_pid(s.misc("hang").join("script.pid"));
    let grandchild = read_pid(s.misc("hang").join("grandchild.pid"));
    assert!(gone(script), "script {script} survived the timeout");
    assert!(
        gone(grandchild),
        "grandchild {grandchild} survived the timeout"
    );
    // Both died: of SIGTERM, as neither ignores it (that no grace period was waited out
    // is a matter of time, for the runner's unit tests; a hang fails `ptest()`'s limit).
    // A timed-out bless blesses nothing.
    assert!(!s.blessed("hang").join("hang.out").exists());
}

#[test]
fn timeout_escalates_to_sigkill_for_processes_ignoring_sigterm() {
    let s = TestSuite::new().sh(
        "stubborn",
        "trap '' TERM\n\
         sh -c 'trap \"\" TERM; while :; do sleep 0.1; done' &\n\
         echo $! > \"$PTEST_MISC_DIR/grandchild.pid\"\n\
         echo $$ > \"$PTEST_MISC_DIR/script.pid\"\n\
         while :; do sleep 0.1; done",
    );
    s.ptest(&["init"]).code(0);
    let start = Instant::now();
    let run = s.ptest(&["test", "--timeout", "500ms"]);
    let took = start.elapsed();
    run.code(100);
    assert_eq!(run.status_of("stubborn"), "TIMEOUT");
    for f in ["script.pid", "grandchild.pid"] {
        let pid = read_pid(s.misc("stubborn").join(f));
        assert!(gone(pid), "{f} {pid} survived SIGKILL");
    }
    // A lower bound only: the grace period is a wait the code makes, so a busy machine
    // can only lengthen it. (An upper bound would be wall time; a hang fails `ptest()`.)
    assert!(took >= Duration::from_secs(5), "no grace period: {took:?}");
}

#[test]
fn leftover_background_process_dies_with_the_script() {
    // An emulator the script started and did not wait for must not outlive the test.
    let s = TestSuite::new().sh(
        "a",
        "sleep 600 &\necho $! > \"$PTEST_MISC_DIR/bg.pid\"\necho x > \"$PTEST_OUTFILE\"",
    );
    s.ptest(&["bless"]).code(0);
    let bg = read_pid(s.misc("a").join("bg.pid"));
    assert!(
        dies_within(bg, Duration::from_secs(2)),
        "background {bg} survived"
    );
}

#[test]
fn timeout_from_test_toml_applies() {
    let s = TestSuite::new()
        .sh("hang", HANGS)
        .test_toml("hang", "timeout = \"1s\"\n");
    let run = s.ptest(&["bless"]);
    run.code(100).says(&["timed out after 1s"]);
    let grandchild = read_pid(s.misc("hang").join("grandchild.pid"));
    assert!(gone(grandchild));
}

/// Fails on its first attempt of each run, passes on the second.
const FAILS_ONCE: &str = "n=$(cat \"$PTEST_MISC_DIR/count\" 2>/dev/null || echo 0)\n\
                          echo $((n + 1)) > \"$PTEST_MISC_DIR/count\"\n\
                          echo stable > \"$PTEST_OUTFILE\"\n\
                          if [ $((n % 2)) -eq 0 ]; then echo unstable >> \"$PTEST_OUTFILE\"; fi";

#[test]
fn retries_report_a_pass_after_retry_as_flaky() {
    let s = TestSuite::new()
        .sh("flaky", FAILS_ONCE)
        .test_toml("flaky", "retries = 2\n")
        .sh("steady", "echo ok > \"$PTEST_OUTFILE\"");
    // Bless the stable output directly.
    s.ptest(&["bless", "steady"]).code(0);
    std::fs::create_dir_all(s.blessed("flaky")).unwrap();
    std::fs::write(s.blessed("flaky").join("flaky.out"), "stable\n").unwrap();
    let junit = s.scratch("junit.xml");
    let json = s.scratch("report.json");
    let run = s.ptest(&[
        "test",
        "--junit",
        junit.to_str().unwrap(),
        "--json",
        json.to_str().unwrap(),
    ]);
    // Flaky is a success for the exit code, but never hidden.
    run.code(0)
        .says(&["RETRY", "FLAKY", "passed on attempt 2 of 3", "1 flaky"]);
    let summary: Vec<&str> = run
        .stdout
        .lines()
        .skip_while(|l| !l.contains("Summary"))
        .collect();
    assert!(
        summary
            .iter()
            .any(|l| l.contains("FLAKY") && l.contains("flaky")),
        "flaky test not listed in the summary:\n{}",
        run.stdout
    );
    assert_eq!(read(s.misc("flaky").join("count")).trim(), "2");
    let xml = read(&junit);
    assert!(xml.contains("flakyFailure"), "{xml}");
    let report: serde_json::Value = serde_json::from_str(&read(&json)).unwrap();
    let flaky = report["tests"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["name"] == "flaky")
        .unwrap();
    assert_eq!(flaky["status"], "flaky");
    assert_eq!(flaky["attempts"], 2);
    assert_eq!(report["summary"]["flaky"], 1);
}

#[test]
fn retries_exhausted_still_fail() {
    let s = TestSuite::new()
        .sh("bad", "echo x > \"$PTEST_OUTFILE\"; exit 1")
        .test_toml("bad", "retries = 2\n");
    let run = s.ptest(&["bless"]);
    run.code(100);
    assert_eq!(run.status_of("bad"), "RETRY");
    assert_eq!(run.stdout.matches("RETRY").count(), 2, "{}", run.stdout);
    run.says(&["1 errored"]);
}

#[test]
fn configuration_error_exits_2_before_running_anything() {
    let s = TestSuite::new()
        .sh(
            "a",
            "echo ran > \"$PTEST_SCRATCH/ran\"; echo x > \"$PTEST_OUTFILE\"",
        )
        .test_toml("a", "timeout = \"soon\"\n");
    s.ptest(&["bless"])
        .code(2)
        .says(&["test.toml", "timeout", "20m"]);
    assert!(!s.scratch("ran").exists());
}

#[test]
fn mixed_statuses_are_counted_apart_in_the_summary() {
    let s = copying(TestSuite::new(), "pass");
    put(&s, "pass", "p.out", "p\n");
    let s = copying(s, "fail");
    put(&s, "fail", "f.out", "f\n");
    let s = s
        .sh("error", "[ -e \"$PTEST_BLESSED_DIR/e.out\" ] && exit 1; echo e > \"$PTEST_TMPOUT_DIR/e.out\"")
        .sh("timeout", "[ -e \"$PTEST_BLESSED_DIR/t.out\" ] && exec sleep 30; echo t > \"$PTEST_TMPOUT_DIR/t.out\"");
    s.ptest(&["bless"]).code(0);
    put(&s, "fail", "f.out", "F\n");
    let run = s.ptest(&["test", "--timeout", "1s", "-j", "4"]);
    run.code(100);
    for (name, label) in [
        ("pass", "PASS"),
        ("fail", "FAIL"),
        ("error", "ERROR"),
        ("timeout", "TIMEOUT"),
    ] {
        assert_eq!(run.status_of(name), label, "{}", run.stdout);
    }
    run.says(&[
        "4 test(s): 1 passed, 1 failed, 1 errored, 1 timed out",
        "ptest test: 3 of 4 test(s) FAILED",
    ]);
}

/// A test writing `$PTEST_SCRATCH/NAME.d/*` as its outputs, used with config below.
fn outputs(s: &TestSuite, name: &str, files: &[(&str, &str)]) {
    for (file, text) in files {
        put(s, name, file, text);
    }
}

#[test]
fn filters_and_modes_from_the_config_decide_what_differs() {
    let s = copying(TestSuite::new(), "a")
        .ptest_toml("[[filters]]\npreset = \"host-pointers\"\n")
        .test_toml(
            "a",
            "[[filters]]\nregex = 'took \\d+ms'\nreplace = \"took Nms\"\nfiles = \"timing.txt\"\n\
             [compare.modes]\n\"rows.txt\" = \"sorted\"\n\"crlf.txt\" = \"text\"\n",
        );
    outputs(
        &s,
        "a",
        &[
            ("ptr.txt", "buffer at 0x7f1234567890\n"),
            ("timing.txt", "took 12ms\n"),
            ("other.txt", "took 12ms\n"),
            ("rows.txt", "b\na\nc\n"),
            ("crlf.txt", "x\ny\n"),
        ],
    );
    s.ptest(&["bless"]).code(0);
    // Only incidental differences: all filtered or allowed by the file's mode.
    outputs(
        &s,
        "a",
        &[
            ("ptr.txt", "buffer at 0x7fabcdef0123\n"),
            ("timing.txt", "took 977ms\n"),
            ("rows.txt", "c\nb\na\n"),
            ("crlf.txt", "x  \r\ny\r\n"),
        ],
    );
    s.ptest(&["test"]).code(0);
    // The references keep what was produced: filters apply at comparison time.
    assert_eq!(
        read(s.blessed("a").join("ptr.txt")),
        "buffer at 0x7f1234567890\n"
    );
    // The filter limited to timing.txt does not apply to other.txt.
    put(&s, "a", "other.txt", "took 977ms\n");
    s.ptest(&["test"])
        .code(100)
        .says(&["other.txt", "+took 977ms"]);
    put(&s, "a", "other.txt", "took 12ms\n");
    // Sorted mode still catches a changed row.
    put(&s, "a", "rows.txt", "c\nb\nZ\n");
    s.ptest(&["test"])
        .code(100)
        .says(&["rows.txt", "+Z"])
        .never_says("ptr.txt");
}

#[test]
fn long_diffs_are_cut_with_a_note() {
    let s = copying(TestSuite::new(), "a").test_toml("a", "[compare]\ndiff-lines = 5\n");
    let old: Vec<String> = (0..100).map(|i| format!("row {i}")).collect();
    put(&s, "a", "big.txt", &(old.join("\n") + "\n"));
    s.ptest(&["bless"]).code(0);
    let new: Vec<String> = (0..100).map(|i| format!("ROW {i}")).collect();
    put(&s, "a", "big.txt", &(new.join("\n") + "\n"));
    let run = s.ptest(&["test"]);
    run.code(100).says(&["more diff lines cut", "ptest diff a"]);
    assert!(!run.stdout.contains("ROW 99"), "{}", run.stdout);
}

#[test]
fn binary_mismatch_shows_offset_and_hex_not_garbage() {
    let s = TestSuite::new().sh(
        "bin",
        "cp \"$PTEST_SCRATCH/blob\" \"$PTEST_TMPOUT_DIR/memory.bin\"",
    );
    let mut blob: Vec<u8> = (0..=255u8).cycle().take(4096).collect();
    std::fs::write(s.scratch("blob"), &blob).unwrap();
    s.ptest(&["bless"]).code(0);
    blob[1000] ^= 0xff;
    std::fs::write(s.scratch("blob"), &blob).unwrap();
    let run = s.ptest(&["test"]);
    run.code(100).says(&[
        "Binary files blessed/memory.bin and new/memory.bin differ",
        "first difference at byte offset 1000 (0x3e8)",
    ]);
    // Raw bytes never reach the terminal.
    assert!(!run.stdout.contains('\u{fffd}'), "{}", run.stdout);
    assert!(run.stdout.len() < 4000, "{}", run.stdout);
}
