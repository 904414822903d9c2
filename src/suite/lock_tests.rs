use super::*;

fn regdir() -> (tempfile::TempDir, RegressionDir) {
    let tmp = tempfile::tempdir().expect("temp dir");
    let regdir = RegressionDir::new(Some(tmp.path())).expect("regdir");
    (tmp, regdir)
}

// OFD locks conflict between open file descriptions even inside one process, which is
// what lets these run in one test process (classic POSIX locks would not conflict here).

#[test]
fn a_second_lock_on_a_test_is_refused_naming_the_holder() {
    let (_tmp, regdir) = regdir();
    let _first = regdir
        .lock_tests(&["b", "a"], "ptest bless", WhenHeld::Refuse)
        .expect("first");
    let err = regdir
        .lock_tests(&["c", "a"], "ptest test", WhenHeld::Refuse)
        .expect_err("a is held");
    let text = err.to_string();
    assert!(
        text.starts_with("test a: another ptest is already running it (pid "),
        "{text}"
    );
    assert!(
        text.contains(&format!(
            "pid {} on host {}, `ptest bless`",
            std::process::id(),
            hostname()
        )),
        "{text}"
    );
    // All or none: c was not kept locked by the refused attempt.
    regdir
        .lock_tests(&["c"], "ptest test", WhenHeld::Refuse)
        .expect("c is free");
}

#[test]
fn disjoint_tests_lock_side_by_side_and_locks_die_with_their_holder() {
    let (_tmp, regdir) = regdir();
    let a = regdir
        .lock_tests(&["a"], "ptest test", WhenHeld::Refuse)
        .expect("a");
    let _b = regdir
        .lock_tests(&["b"], "ptest test", WhenHeld::Refuse)
        .expect("b beside a");
    drop(a);
    regdir
        .lock_tests(&["a"], "ptest test", WhenHeld::Refuse)
        .expect("a again once released");
}

#[test]
fn the_whole_directory_lock_excludes_test_locks_both_ways() {
    let (_tmp, regdir) = regdir();
    let tests = regdir
        .lock_tests(&["a"], "ptest test", WhenHeld::Refuse)
        .expect("a");
    let err = regdir.lock().expect_err("a test is running");
    assert!(
        err.to_string().contains("another ptest is already running"),
        "{err}"
    );
    drop(tests);
    let _whole = regdir.lock_whole("ptest review").expect("whole");
    let err = regdir
        .lock_tests(&["b"], "ptest test", WhenHeld::Refuse)
        .expect_err("whole directory held");
    assert!(err.to_string().contains("`ptest review`"), "{err}");
}

#[test]
fn waiting_takes_the_lock_once_the_holder_lets_go() {
    let (_tmp, regdir) = regdir();
    let first = regdir
        .lock_tests(&["a"], "ptest init", WhenHeld::Refuse)
        .expect("a");
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::scope(|s| {
        let waiter = s.spawn(|| {
            let mut heard = Vec::new();
            let mut notify = |name: &str, holder: &str| {
                heard.push(format!("{name}: {holder}"));
                let _ = tx.send(());
            };
            let got = regdir.lock_tests(&["a"], "ptest init", WhenHeld::Wait(&mut notify));
            (got.is_ok(), heard)
        });
        rx.recv().expect("the waiter says it waits");
        drop(first);
        let (ok, heard) = waiter.join().expect("thread");
        assert!(ok);
        assert_eq!(heard.len(), 1);
        assert!(heard[0].starts_with("a: pid "), "{heard:?}");
    });
}

#[test]
fn a_suite_larger_than_the_open_file_limit_can_be_locked() {
    use rustix::process::{Resource, getrlimit, setrlimit};
    let before = getrlimit(Resource::Nofile);
    // As on most machines: a soft limit of 1024 under a larger hard one.
    if before.maximum.is_none_or(|hard| hard > 1024) {
        setrlimit(
            Resource::Nofile,
            rustix::process::Rlimit {
                current: Some(1024),
                maximum: before.maximum,
            },
        )
        .expect("lower the soft limit");
    }
    let (_tmp, regdir) = regdir();
    let names: Vec<String> = (0..1500).map(|i| format!("t{i:04}")).collect();
    let refs: Vec<&str> = names.iter().map(String::as_str).collect();
    let held = regdir.lock_tests(&refs, "ptest test", WhenHeld::Refuse);
    let _ = setrlimit(Resource::Nofile, before);
    let held = held.expect("1500 tests locked");
    assert_eq!(held._tests.len(), 1500);
}
