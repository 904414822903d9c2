//! Run options (`--failed`, `--partition`) stand before or after the command, as the
//! README and `ptest --help` say; before a command they mean nothing to, they are refused
//! with one line.

mod common;

use std::collections::BTreeSet;

use common::{Run, TestSuite};

const TESTS: [&str; 6] = ["a", "b", "c", "d", "e", "f"];

fn suite() -> TestSuite {
    let mut s = TestSuite::new();
    for t in TESTS {
        s = s.sh(t, "echo same > \"$PTEST_OUTFILE\"");
    }
    s
}

/// The tests a run reported, from its per-test lines.
fn ran(run: &Run) -> BTreeSet<String> {
    run.all()
        .lines()
        .filter_map(|l| l.split_once("] ")?.1.split_whitespace().next())
        .map(|t| t.trim_end_matches(':'))
        .filter(|t| TESTS.contains(t))
        .map(str::to_string)
        .collect()
}

#[test]
fn partition_before_the_command_runs_the_same_shard_as_after_it() {
    let s = suite();
    s.ptest(&["bless"]).code(0);
    for shard in ["hash:1/3", "count:2/3"] {
        let after = s.ptest(&["test", "--partition", shard]);
        after.code(0);
        let before = s.ptest(&["--partition", shard, "test"]);
        before.code(0);
        assert!(!ran(&after).is_empty(), "{shard}: {}", after.all());
        assert!(ran(&after).len() < TESTS.len(), "{shard}: {}", after.all());
        assert_eq!(ran(&before), ran(&after), "{shard}");
        // Plain `ptest` is `test`.
        let plain = s.ptest(&["--partition", shard]);
        plain.code(0);
        assert_eq!(ran(&plain), ran(&after), "{shard}");
    }
}

#[test]
fn failed_before_the_command_runs_only_what_failed() {
    let s = suite();
    s.ptest(&["bless"]).code(0);
    std::fs::write(s.blessed("c").join("c.out"), "other\n").unwrap();
    s.ptest(&["test"]).code(100);
    for args in [
        &["test", "--failed"][..],
        &["--failed", "test"][..],
        &["--failed"][..],
    ] {
        let run = s.ptest(args);
        run.code(100);
        assert_eq!(ran(&run), BTreeSet::from(["c".to_string()]), "{args:?}");
    }
    // bless too: only c, now its reference again.
    s.ptest(&["--failed", "bless"]).code(0);
    s.ptest(&["test"]).code(0);
}

#[test]
fn a_partition_given_both_before_and_after_is_refused() {
    let s = suite();
    s.ptest(&["--partition", "hash:1/2", "test", "--partition", "hash:2/2"])
        .code(2)
        .says(&["--partition given twice", "give it once"]);
}

#[test]
fn run_options_before_a_command_they_mean_nothing_to_are_refused() {
    let s = suite();
    s.ptest(&["--failed", "list"])
        .code(2)
        .says(&["--failed chooses the tests of", "drop it"]);
    s.ptest(&["--partition", "hash:1/2", "diff"])
        .code(2)
        .says(&["--partition chooses the tests of", "drop it"]);
}
