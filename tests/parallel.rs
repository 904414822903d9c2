//! Scheduling: `-j N` really runs N tests at once, `threads = 2` and `exclusive = true`
//! are counted against `-j`, and the slowest tests (by stored durations) start first.

mod common;

use common::{TestSuite, read};

/// A test that records when it started and ended (seconds since the epoch, from `date`)
/// in `$PTEST_SCRATCH/times/NAME`, sleeping `secs` in between (or running `secs` as
/// shell commands, when it is not a number).
fn timed(s: TestSuite, name: &str, secs: &str) -> TestSuite {
    let wait = if secs.parse::<f64>().is_ok() {
        format!("sleep {secs}")
    } else {
        secs.to_string()
    };
    std::fs::create_dir_all(s.scratch("times")).unwrap();
    s.sh(
        name,
        &format!(
            "t=\"$PTEST_SCRATCH/times/$PTEST_TEST\"\n\
             date +%s.%N > \"$t\"\n\
             echo \"$PTEST_TEST\" >> \"$PTEST_SCRATCH/order\"\n\
             {wait}\n\
             date +%s.%N >> \"$t\"\n\
             echo done > \"$PTEST_OUTFILE\""
        ),
    )
}

/// (start, end) of each named test's last run.
fn interval(s: &TestSuite, name: &str) -> (f64, f64) {
    let text = read(s.scratch(&format!("times/{name}")));
    let v: Vec<f64> = text.lines().map(|l| l.trim().parse().unwrap()).collect();
    assert_eq!(v.len(), 2, "{name}: {text}");
    (v[0], v[1])
}

fn overlap(a: (f64, f64), b: (f64, f64)) -> bool {
    a.0 < b.1 && b.0 < a.1
}

#[test]
fn j_n_runs_n_sleeping_tests_at_once() {
    const N: usize = 6;
    let names: Vec<String> = (0..N).map(|i| format!("sleep{i}")).collect();
    let mut s = TestSuite::new();
    // Each test waits until all N have started (a barrier of marker files), so they
    // overlap by construction when run at once; run fewer at a time, they would wait
    // for ever and time out.
    std::fs::create_dir_all(s.scratch("started")).unwrap();
    let barrier = format!(
        "touch \"$PTEST_SCRATCH/started/$PTEST_TEST\"\n\
         while [ \"$(ls \"$PTEST_SCRATCH/started\" | wc -l)\" -lt {N} ]; do sleep 0.01; done\n\
         sleep 0.1"
    );
    for n in &names {
        s = timed(s, n, &barrier);
    }
    s.ptest(&["bless", "-j", &N.to_string(), "--timeout", "50s"])
        .code(0)
        .says(&["6 at a time"]);
    // All six were running together: the last start precedes the first end.
    let intervals: Vec<(f64, f64)> = names.iter().map(|n| interval(&s, n)).collect();
    let last_start = intervals.iter().map(|i| i.0).fold(f64::MIN, f64::max);
    let first_end = intervals.iter().map(|i| i.1).fold(f64::MAX, f64::min);
    assert!(last_start < first_end, "not all at once: {intervals:?}");
}

#[test]
fn j_1_runs_one_at_a_time() {
    let s = timed(
        timed(timed(TestSuite::new(), "a", "0.2"), "b", "0.2"),
        "c",
        "0.2",
    );
    s.ptest(&["bless", "-j", "1"]).code(0);
    let (a, b, c) = (interval(&s, "a"), interval(&s, "b"), interval(&s, "c"));
    assert!(
        !overlap(a, b) && !overlap(b, c) && !overlap(a, c),
        "{a:?} {b:?} {c:?}"
    );
}

#[test]
fn jobs_in_ptest_toml_is_the_default_and_j_overrides_it() {
    let s = timed(timed(TestSuite::new(), "a", "0.3"), "b", "0.3").ptest_toml("jobs = 1\n");
    s.ptest(&["bless"]).code(0).says(&["1 at a time"]);
    assert!(!overlap(interval(&s, "a"), interval(&s, "b")));
    s.ptest(&["bless", "-j", "2"])
        .code(0)
        .says(&["2 at a time"]);
    assert!(overlap(interval(&s, "a"), interval(&s, "b")));
}

#[test]
fn threads_2_takes_two_slots() {
    // With -j 2, two tests needing 2 CPUs each cannot run together; a 1-CPU test may run
    // beside neither of them.
    let s = timed(timed(TestSuite::new(), "big1", "0.4"), "big2", "0.4")
        .test_toml("big1", "threads = 2\n")
        .test_toml("big2", "threads = 2\n");
    let s = timed(s, "small", "0.4");
    s.ptest(&["bless", "-j", "2"]).code(0);
    let (b1, b2, sm) = (
        interval(&s, "big1"),
        interval(&s, "big2"),
        interval(&s, "small"),
    );
    assert!(!overlap(b1, b2), "big1 {b1:?} overlaps big2 {b2:?}");
    assert!(
        !overlap(b1, sm) && !overlap(b2, sm),
        "small ran beside a big test"
    );
    // Control: without `threads`, the same tests do overlap at -j 2.
    std::fs::remove_file(s.dir.join("big1/test.toml")).unwrap();
    std::fs::remove_file(s.dir.join("big2/test.toml")).unwrap();
    s.ptest(&["bless", "-j", "2", "big1", "big2"]).code(0);
    let (b1, b2) = (interval(&s, "big1"), interval(&s, "big2"));
    assert!(overlap(b1, b2), "control: {b1:?} {b2:?}");
}

#[test]
fn threads_above_j_still_runs() {
    let s = timed(TestSuite::new(), "huge", "0").test_toml("huge", "threads = 64\n");
    s.ptest(&["bless", "-j", "2"]).code(0);
}

#[test]
fn exclusive_test_runs_alone() {
    let mut s = timed(TestSuite::new(), "alone", "0.4").test_toml("alone", "exclusive = true\n");
    for n in ["o1", "o2", "o3"] {
        s = timed(s, n, "0.4");
    }
    s.ptest(&["bless", "-j", "4"]).code(0);
    let alone = interval(&s, "alone");
    let others: Vec<(f64, f64)> = ["o1", "o2", "o3"].iter().map(|n| interval(&s, n)).collect();
    for o in &others {
        assert!(!overlap(alone, *o), "exclusive {alone:?} overlaps {o:?}");
    }
    // The others do run together.
    assert!(
        overlap(others[0], others[1]) && overlap(others[1], others[2]),
        "{others:?}"
    );
}

#[test]
fn slowest_tests_start_first_using_stored_durations() {
    // config order: fast1, fast2, slow
    let s = timed(
        timed(timed(TestSuite::new(), "fast1", "0"), "fast2", "0"),
        "slow",
        "0.6",
    );
    s.ptest(&["bless", "-j", "1"]).code(0);
    let order = s.scratch("order");
    // No stored test durations yet: config order.
    std::fs::remove_file(&order).unwrap();
    s.ptest(&["test", "-j", "1"]).code(0);
    assert_eq!(read(&order), "fast1\nfast2\nslow\n");
    // Now the durations of the last `test` are known: the slow test goes first.
    std::fs::remove_file(&order).unwrap();
    s.ptest(&["test", "-j", "1"]).code(0);
    assert!(read(&order).starts_with("slow\n"), "{}", read(&order));
}
