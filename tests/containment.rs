//! Containment: nothing a test starts survives it, however it detached (its own session,
//! job control, a new session from Python), nor a SIGKILLed ptest; survivors are reported
//! as leaks, and a late write never reaches a blessed reference.

mod common;

use std::time::Duration;

use common::{TestSuite, await_file, dies_within, finish, gone, read_pid, signal};
use rustix::process::Signal;

/// A daemon in a session of its own that writes its pid, then keeps running.
const SETSID_DAEMON: &str =
    "setsid sh -c 'echo $$ > \"$PTEST_MISC_DIR/daemon.pid\"; exec sleep 600' &\n";

#[test]
fn a_process_in_its_own_session_is_killed_and_reported_as_leaked() {
    let s = TestSuite::new().sh(
        "a",
        &format!("{SETSID_DAEMON}while [ ! -s \"$PTEST_MISC_DIR/daemon.pid\" ]; do sleep 0.01; done\necho x > \"$PTEST_OUTFILE\""),
    );
    let run = s.ptest(&["bless"]);
    run.code(0)
        .says(&["leaked 1 process(es) that outlived the script (killed when it ended)"]);
    let daemon = read_pid(s.misc("a").join("daemon.pid"));
    assert!(gone(daemon), "daemon {daemon} survived its test");
}

#[test]
fn job_control_and_python_new_sessions_do_not_escape() {
    let s = TestSuite::new()
        .sh(
            "jobs",
            "set -m\nsleep 600 &\necho $! > \"$PTEST_MISC_DIR/bg.pid\"\necho x > \"$PTEST_OUTFILE\"",
        )
        .py(
            "popen",
            "import os, subprocess\n\
             p = subprocess.Popen(['sleep', '600'], start_new_session=True)\n\
             open(os.environ['PTEST_MISC_DIR'] + '/bg.pid', 'w').write('%d\\n' % p.pid)\n\
             open(os.environ['PTEST_OUTFILE'], 'w').write('x')\n",
        );
    s.ptest(&["bless", "-j", "2"]).code(0);
    for t in ["jobs", "popen"] {
        let bg = read_pid(s.misc(t).join("bg.pid"));
        assert!(gone(bg), "{t}: {bg} survived");
    }
}

#[test]
fn a_detached_late_writer_never_reaches_the_blessed_reference() {
    let s = TestSuite::new().sh(
        "a",
        // Relative to its working directory: the folder bless renames into blessed/. The
        // writer waits for a marker the test never creates, so only its death stops it.
        "cd \"$PTEST_TMPOUT_DIR\"\n\
         setsid sh -c 'echo $$ > \"$PTEST_MISC_DIR/late.pid\"; \
           while [ ! -e \"$PTEST_SCRATCH/never\" ]; do sleep 0.1; done; echo late > late.out' &\n\
         while [ ! -s \"$PTEST_MISC_DIR/late.pid\" ]; do sleep 0.01; done\n\
         echo x > \"$PTEST_OUTFILE\"",
    );
    s.ptest(&["bless"]).code(0);
    // Dead, it can write nothing later: the state to assert on, not a wait.
    let writer = read_pid(s.misc("a").join("late.pid"));
    assert!(gone(writer), "late writer {writer} survived its test");
    let blessed: Vec<_> = std::fs::read_dir(s.blessed("a"))
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(blessed, vec!["a.out"], "{blessed:?}");
    assert!(!s.tmpout("a").join("late.out").exists());
}

#[test]
fn verbose_output_does_not_wait_for_a_detached_process_holding_it() {
    // The daemon keeps the script's stdout (the -v pipe) open until the test releases it,
    // which it does only after ptest has finished: a ptest waiting for the pipe to close
    // would hang, and `ptest()` fails a run that does not end within its limit.
    let s = TestSuite::new().sh(
        "a",
        "cd \"$PTEST_TMPOUT_DIR\"; echo a > a.out\n\
         setsid sh -c 'while [ ! -e \"$PTEST_SCRATCH/release\" ]; do sleep 0.1; done' &\n\
         sleep 0.5",
    );
    s.ptest(&["bless", "-v", "--timeout", "3s"]).code(0);
    std::fs::write(s.scratch("release"), "").expect("release the daemon");
}

#[test]
fn a_sigkilled_ptest_takes_its_scripts_and_their_daemons_along() {
    let s = TestSuite::new().sh(
        "a",
        &format!(
            "{SETSID_DAEMON}echo $$ > \"$PTEST_MISC_DIR/script.pid\"\ntouch \"$PTEST_SCRATCH/started\"\nsleep 600"
        ),
    );
    let ptest = s.spawn(&["bless"]);
    await_file(s.scratch("started"), Duration::from_secs(20));
    let script = read_pid(s.misc("a").join("script.pid"));
    let daemon = read_pid(s.misc("a").join("daemon.pid"));
    signal(ptest.id(), Signal::KILL);
    let _ = finish(ptest, Duration::from_secs(10));
    for (what, pid) in [("script", script), ("daemon", daemon)] {
        assert!(
            dies_within(pid, Duration::from_secs(5)),
            "{what} {pid} survived a SIGKILLed ptest"
        );
    }
}

#[test]
fn an_ordinary_user_gets_the_same_containment() {
    // Run as root (CI, here), ptest is also tried as `nobody`: containment must not rely on
    // privileges. Run as anyone else, the tests above already are that user's.
    if !rustix::process::getuid().is_root() {
        // Straight to the terminal (the test harness captures only `eprintln!`), so that
        // a run without root shows what it did not check.
        use std::io::Write as _;
        let _ = writeln!(
            std::io::stderr(),
            "SKIPPED an_ordinary_user_gets_the_same_containment: needs root to run ptest as \
             `nobody` (CI runs as root)"
        );
        return;
    }
    let s = TestSuite::new().sh(
        "a",
        &format!("{SETSID_DAEMON}while [ ! -s \"$PTEST_MISC_DIR/daemon.pid\" ]; do sleep 0.01; done\necho x > \"$PTEST_OUTFILE\""),
    );
    // The suite and the regression directory must be nobody's to write.
    let status = std::process::Command::new("chmod")
        .args(["-R", "a+rwX"])
        .arg(s.tmp.path())
        .status()
        .expect("chmod");
    assert!(status.success());
    let out = std::process::Command::new("setpriv")
        .args(["--reuid=nobody", "--regid=nogroup", "--clear-groups", "--"])
        .arg(env!("CARGO_BIN_EXE_ptest"))
        .arg("--regression-dir")
        .arg(&s.reg)
        .arg("bless")
        .current_dir(&s.dir)
        .env("NO_COLOR", "1")
        .env("HOME", s.tmp.path())
        .output()
        .expect("setpriv");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.status.success(), "{text}");
    assert!(text.contains("leaked 1 process(es)"), "{text}");
    use std::os::unix::fs::MetadataExt;
    let blessed = std::fs::metadata(s.blessed("a").join("a.out")).expect("blessed");
    assert_eq!(blessed.uid(), 65534, "the test did not run as nobody");
    let daemon = read_pid(s.misc("a").join("daemon.pid"));
    assert!(
        gone(daemon),
        "daemon {daemon} of user nobody survived its test"
    );
}
