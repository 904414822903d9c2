//! Every exit code of `src/exit_code.rs` that `test`, `bless`, `setup`, `accept`, `diff`,
//! `list` and `clean` return, from the real binary, against both the constant and its
//! stable number (CI wrappers depend on the numbers). `plog diff`'s 1 and the engine
//! commands' 3 are checked by the plog and engine tests.

mod common;

use std::time::Duration;

use common::{TestSuite, await_file, finish, signal};
use ptest::exit_code;
use rustix::process::Signal;

#[test]
fn the_numbers_are_stable() {
    assert_eq!(
        [
            exit_code::OK,
            exit_code::DIFFERENT,
            exit_code::USAGE,
            exit_code::ENGINE_FAILED,
            exit_code::TESTS_FAILED,
            exit_code::INTERRUPTED,
        ],
        [0, 1, 2, 3, 100, 130]
    );
}

#[test]
fn ok_when_everything_asked_for_succeeded() {
    let s = TestSuite::new().sh("a", "echo x > \"$PTEST_OUTFILE\"");
    s.ptest(&["bless"]).code(exit_code::OK);
    s.ptest(&["test"]).code(exit_code::OK);
    s.ptest::<&str>(&[]).code(exit_code::OK);
    s.ptest(&["diff"]).code(exit_code::OK);
    s.ptest(&["list"]).code(exit_code::OK);
    s.ptest(&["accept"]).code(exit_code::OK);
    s.ptest(&["clean", "--orphans", "--yes"])
        .code(exit_code::OK);
}

#[test]
fn tests_failed_when_a_test_fails_errors_or_has_no_reference() {
    let s = TestSuite::new()
        .sh("a", "cat \"$PTEST_SCRATCH/out\" > \"$PTEST_OUTFILE\"")
        .sh("broken", "exit 3");
    std::fs::write(s.scratch("out"), "one\n").unwrap();
    // `broken` errors while blessing: the run fails, `a` is still blessed.
    s.ptest(&["bless"]).code(exit_code::TESTS_FAILED);
    s.ptest(&["test", "a"]).code(exit_code::OK);
    std::fs::write(s.scratch("out"), "two\n").unwrap();
    s.ptest(&["test", "a"])
        .code(exit_code::TESTS_FAILED)
        .code(100)
        .says(&["FAIL"]);
    s.ptest(&["test", "broken"])
        .code(exit_code::TESTS_FAILED)
        .says(&["ERROR"]);
}

#[test]
fn usage_for_bad_command_lines_and_configuration() {
    let s = TestSuite::new().sh("a", "echo x > \"$PTEST_OUTFILE\"");
    s.ptest(&["--no-such-flag"]).code(exit_code::USAGE).code(2);
    s.ptest(&["test", "nope"])
        .code(exit_code::USAGE)
        .says(&["unknown test \"nope\""]);
    // `test` on a regression directory that does not exist yet (a mistyped path).
    s.ptest(&["test"]).code(exit_code::USAGE);
    s.ptest(&["bless"]).code(exit_code::OK);
    // accept refuses a test whose last run was a bless.
    s.ptest(&["accept", "a"])
        .code(exit_code::USAGE)
        .says(&["not accepting a"]);
    // A report that cannot be written fails the run of its own.
    s.ptest(&["test", "--junit", "/nonexistent-dir/report.xml"])
        .code(exit_code::USAGE)
        .says(&["could not write the JUnit report"]);
    s.ptest(&["test", "--json", "/nonexistent-dir/report.json"])
        .code(exit_code::USAGE)
        .says(&["could not write the JSON report"]);
    s.write("ptest.toml", "no-such-setting = 1\n");
    s.ptest(&["test"]).code(exit_code::USAGE);
    let bad = TestSuite::new().line("bad name with spaces");
    bad.ptest(&["test"]).code(exit_code::USAGE);
}

/// Writes `started`, then waits for `$PTEST_SCRATCH/release` (about 30 s at most).
const WAITS: &str = "echo started > \"$PTEST_SCRATCH/started\"\n\
                     i=0\n\
                     while [ ! -e \"$PTEST_SCRATCH/release\" ] && [ $i -lt 1500 ]; do sleep 0.02; i=$((i + 1)); done\n\
                     echo x > \"$PTEST_OUTFILE\"";

#[test]
fn usage_when_the_regression_directory_is_locked() {
    let s = TestSuite::new().sh("a", WAITS);
    let first = s.spawn(&["bless"]);
    await_file(s.scratch("started"), Duration::from_secs(20));
    s.ptest(&["test"])
        .code(exit_code::USAGE)
        .says(&["another ptest is already running"]);
    std::fs::write(s.scratch("release"), "").unwrap();
    finish(first, Duration::from_secs(20)).code(exit_code::OK);
}

#[test]
fn interrupted_by_sigint() {
    let s = TestSuite::new().sh("a", WAITS);
    std::fs::write(s.scratch("release"), "").unwrap();
    s.ptest(&["bless"]).code(exit_code::OK);
    std::fs::remove_file(s.scratch("release")).unwrap();
    std::fs::remove_file(s.scratch("started")).unwrap();
    let child = s.spawn(&["test"]);
    await_file(s.scratch("started"), Duration::from_secs(20));
    signal(child.id(), Signal::INT);
    finish(child, Duration::from_secs(20))
        .code(exit_code::INTERRUPTED)
        .code(130)
        .says(&["interrupted"]);
}
