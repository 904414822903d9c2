//! Hostile use, round 2 (issue 19 part 2): inputs that hung, polluted a reference, drove
//! the terminal, grew memory without bound or got a misleading message.

mod common;

use std::fmt::Write as _;
use std::time::Duration;

use common::{Run, TestSuite, await_file, finish, no_panic, signal};
use rustix::process::Signal;

/// A test `t` whose only output is `$PTEST_SCRATCH/out.txt`, copied.
fn copies_out_txt() -> TestSuite {
    TestSuite::new().sh("t", "cp \"$PTEST_SCRATCH/out.txt\" \"$PTEST_TMPOUT_DIR/\"")
}

/// `n` distinct lines; every third one changed when `changed` says how.
fn scattered(n: usize, changed: Option<&dyn Fn(usize) -> String>) -> String {
    let mut text = String::new();
    for i in 0..n {
        match changed {
            Some(f) if i % 3 == 0 => text.push_str(&f(i)),
            _ => {
                let _ = writeln!(text, "line {i}");
            }
        }
    }
    text
}

// ---- 1. a text diff with many scattered changes is bounded ----

/// 160k lines, a third changed (each to a distinct line, or all to the same one): the
/// unbounded diff took minutes; the bounded one finishes far within the harness limit and
/// still shows a cut unified diff.
#[test]
fn a_diff_with_many_scattered_changes_finishes() {
    let s = copies_out_txt();
    let out = s.scratch("out.txt");
    std::fs::write(&out, scattered(160_000, None)).unwrap();
    s.ptest(&["bless"]).code(0);
    let distinct = |i: usize| format!("changed {i}\n");
    let same = |_: usize| "CHANGED\n".to_string();
    for how in [&distinct as &dyn Fn(usize) -> String, &same] {
        std::fs::write(&out, scattered(160_000, Some(how))).unwrap();
        let run = s.ptest(&["test"]);
        run.code(100).says(&["@@ -1,", "more diff lines cut"]);
        assert_eq!(run.status_of("t"), "FAIL", "{}", run.all());
    }
}

/// Many differing files make a comparison far longer than the test's timeout: the test
/// times out in the comparison, named as such, instead of running on.
fn many_differing_files(s: &TestSuite, version: &str) {
    let dir = s.scratch("many");
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    for i in 0..4000 {
        let body = scattered(40, Some(&|j| format!("{version} {j}\n")));
        std::fs::write(dir.join(format!("f{i:05}.txt")), body).unwrap();
    }
}

fn copies_many() -> TestSuite {
    TestSuite::new()
        .sh(
            "t",
            "cp -r \"$PTEST_SCRATCH/many/.\" \"$PTEST_TMPOUT_DIR/\"\ntouch \"$PTEST_SCRATCH/compared\"",
        )
        .test_toml("t", "[compare]\ndiff-lines = 5\n")
}

#[test]
fn a_comparison_longer_than_the_timeout_times_the_test_out() {
    let s = copies_many();
    many_differing_files(&s, "old");
    s.ptest(&["bless"]).code(0);
    many_differing_files(&s, "new");
    // The script copies 4000 files in well under the timeout; comparing 4000 diffs takes
    // several times longer (about 7 s in a debug build).
    let run = s.ptest(&["test", "--timeout", "2s"]);
    no_panic(&run);
    run.code(100).says(&["timed out", "compar"]);
    assert_eq!(run.status_of("t"), "TIMEOUT", "{}", run.all());
}

#[test]
fn ctrl_c_and_sigterm_stop_a_comparison() {
    let s = copies_many();
    many_differing_files(&s, "old");
    s.ptest(&["bless"]).code(0);
    many_differing_files(&s, "new");
    for sig in [Signal::INT, Signal::TERM] {
        let _ = std::fs::remove_file(s.scratch("compared"));
        let child = s.spawn(&["test"]);
        await_file(s.scratch("compared"), Duration::from_secs(30));
        std::thread::sleep(Duration::from_millis(300));
        signal(child.id(), sig);
        let run: Run = finish(child, Duration::from_secs(30));
        run.code(130);
        assert_eq!(run.status_of("t"), "INTERRUPTED", "{}", run.all());
    }
}

// ---- 2. an output hard-linked to a file outside is copied when blessed ----

#[test]
fn a_hard_linked_output_is_blessed_as_a_copy() {
    let s = TestSuite::new().sh(
        "t",
        "ln -f \"$PTEST_SCRATCH/outside\" \"$PTEST_TMPOUT_DIR/x\"",
    );
    let outside = s.scratch("outside");
    std::fs::write(&outside, "first\n").unwrap();
    s.ptest(&["bless"]).code(0);
    // Changed in place (same inode): a shared inode would change the reference too.
    std::fs::OpenOptions::new()
        .write(true)
        .open(&outside)
        .and_then(|mut f| std::io::Write::write_all(&mut f, b"other\n"))
        .unwrap();
    assert_eq!(common::read(s.blessed("t").join("x")), "first\n");
    let run = s.ptest(&["test"]);
    run.code(100).says(&["-first", "+other"]);
    // `accept` takes the run's outputs the same way.
    s.ptest(&["accept", "t"]).code(0);
    // std::fs::write truncates and writes in place: the same inode.
    std::fs::write(&outside, "third\n").unwrap();
    assert_eq!(common::read(s.blessed("t").join("x")), "other\n");
}

// ---- 3. control characters reach the terminal visibly ----

#[test]
fn control_characters_in_names_and_diffs_are_shown_in_caret_notation() {
    // The script writes through Python so that names may hold ESC, BEL and a newline.
    let s = TestSuite::new().py(
        "t",
        "import os\n\
         d = os.environ['PTEST_TMPOUT_DIR']\n\
         v = open(os.path.join(os.environ['PTEST_SCRATCH'], 'version')).read()\n\
         open(os.path.join(d, 'a\\x1b[31m\\nb.txt'), 'w').write(v)\n\
         if v != 'old':\n    open(os.path.join(d, 'x\\x1b]0;title\\x07'), 'w').write('y')\n",
    );
    std::fs::write(s.scratch("version"), "old").unwrap();
    s.ptest(&["bless"]).code(0);
    std::fs::write(s.scratch("version"), "\x1b]0;pwned\x07\n").unwrap();
    for args in [&["test"][..], &["diff", "t"]] {
        let run = s.ptest(args);
        no_panic(&run);
        let all = run.all();
        assert!(!all.contains('\x1b') && !all.contains('\x07'), "{all:?}");
        run.says(&["a^[[31m^Jb.txt", "+^[]0;pwned^G", "x^[]0;title^G"]);
    }
}
