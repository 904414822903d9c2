//! PANDA replay failure handling with a stand-in `panda-system-i386` (no PANDA build is
//! available here): a replay whose progress output stops is killed and reported with
//! where it stopped; a missing or non-executable PANDA is named.

mod common;
use std::os::unix::fs::PermissionsExt;
use std::time::Duration;

use common::engine::*;

/// A suite with test `t`, a PANDA recording `foo` of 5000 instructions, and a fake
/// PANDA printing `progress` and then doing `then`.
fn setup(then: &str) -> (Suite, std::path::PathBuf) {
    let s = Suite::new("[engine]\nstall-timeout = \"2s\"\n", &[("t", "", "")]);
    let replays = s.regdir().join("replays/t");
    std::fs::create_dir_all(&replays).unwrap();
    std::fs::write(replays.join("foo-rr-nondet.log"), 5000u64.to_le_bytes()).unwrap();
    std::fs::write(replays.join("foo-rr-snp"), b"snapshot").unwrap();
    let build = s.dir.path().join("panda-build");
    let soft = build.join("i386-softmmu");
    std::fs::create_dir_all(&soft).unwrap();
    let bin = soft.join("panda-system-i386");
    std::fs::write(
        &bin,
        format!(
            "#!/bin/sh\necho \"args: $*\"\necho 'foo:        1000 ( 20.00%) instrs.    0.10 sec.  0.10 GB ram.'\n\
             echo 'foo:        2500 ( 50.00%) instrs.    0.20 sec.  0.10 GB ram.'\n{then}\n"
        ),
    )
    .unwrap();
    std::fs::set_permissions(&bin, std::fs::Permissions::from_mode(0o755)).unwrap();
    (s, build)
}

/// `ptest replay foo` on the fake PANDA; a hang fails [`Suite::ptest`]'s limit.
fn replay(s: &Suite, build: &std::path::Path) -> std::process::Output {
    s.ptest(
        &[
            "replay",
            "--arch",
            "i386",
            "foo",
            "--",
            "-panda",
            "asidstory",
        ],
        &[
            ("PTEST_TEST", "t"),
            ("PANDA_BUILD", build.to_str().unwrap()),
        ],
    )
}

#[test]
fn a_replay_whose_progress_stops_is_killed_with_its_position() {
    // A child of its own (the script again, as `child`) that also ignores SIGTERM.
    let (s, build) = setup(
        "trap '' TERM\n[ \"$1\" = child ] && while :; do sleep 1; done\n\"$0\" child &\nwhile :; do sleep 1; done",
    );
    let out = replay(&s, &build);
    let t = text(&out);
    assert_eq!(out.status.code(), Some(3), "{t}");
    assert!(
        t.contains("replay foo stalled at instruction 2500 of 5000"),
        "{t}"
    );
    let log = std::fs::read_to_string(s.regdir().join("logs/t/foo-replay.log")).unwrap();
    assert!(
        log.contains("-replay") && log.contains("-panda asidstory"),
        "{log}"
    );
    assert!(log.contains("( 50.00%)"), "{log}");
    let build = build.display().to_string();
    assert!(
        wait_until(Duration::from_secs(5), || processes_mentioning(&build)
            .is_empty()),
        "PANDA survived: {:?}",
        processes_mentioning(&build)
    );
}

#[test]
fn a_finished_replay_runs_in_tmpout_and_a_failed_one_shows_its_log() {
    let (s, build) = setup("echo 'Replay completed successfully' > replay-done.txt\nexit 0");
    let out = replay(&s, &build);
    assert!(out.status.success(), "{}", text(&out));
    assert!(s.regdir().join("tmpout/t/replay-done.txt").exists());

    let (s, build) = setup("echo 'panda: plugin asidstory not found' >&2\nexit 3");
    let out = replay(&s, &build);
    let t = text(&out);
    assert_eq!(out.status.code(), Some(3), "{t}");
    assert!(
        t.contains("PANDA failed") && t.contains("plugin asidstory not found"),
        "{t}"
    );
}

#[test]
fn missing_panda_is_named() {
    let (s, _) = setup("exit 0");
    let out = s.ptest(
        &["replay", "--arch", "i386", "foo"],
        &[
            ("PTEST_TEST", "t"),
            ("PANDA_BUILD", "/nonexistent/build"),
            ("PATH", "/usr/bin:/bin"),
        ],
    );
    let t = text(&out);
    assert_eq!(out.status.code(), Some(2), "{t}");
    assert!(
        t.contains("PANDA not found")
            && t.contains("/nonexistent/build/i386-softmmu/panda-system-i386"),
        "{t}"
    );
}

#[test]
fn a_signal_to_replay_kills_its_emulator_and_exits_with_128_plus_the_signal() {
    // PANDA in its own process group, out of reach of a signal to ptest alone: ptest must
    // pass it on, then say so, and exit as the signal would have ended it.
    let (s, build) = setup("touch \"$PWD/started\"\nwhile :; do sleep 1; done");
    let mut cmd = std::process::Command::new(ptest_bin());
    cmd.arg("--suite")
        .arg(s.suite())
        .arg("--regression-dir")
        .arg(s.regdir())
        .args(["replay", "--arch", "i386", "foo"])
        .env("PTEST_TEST", "t")
        .env("PANDA_BUILD", &build)
        .env("NO_COLOR", "1")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped());
    let child = cmd.spawn().unwrap();
    let started = s.regdir().join("tmpout/t/started");
    assert!(
        wait_until(Duration::from_secs(60), || started.exists()),
        "the fake PANDA never started"
    );
    let pid = rustix::process::Pid::from_raw(child.id() as i32).unwrap();
    rustix::process::kill_process(pid, rustix::process::Signal::TERM).unwrap();
    let out = child.wait_with_output().unwrap();
    let t = text(&out);
    assert_eq!(out.status.code(), Some(128 + 15), "{t}");
    assert!(
        t.contains("stopped by signal 15; the emulator was killed"),
        "{t}"
    );
    assert!(!t.contains("PANDA failed"), "{t}");
    let build = build.display().to_string();
    assert!(
        wait_until(Duration::from_secs(5), || processes_mentioning(&build)
            .is_empty()),
        "PANDA survived: {:?}",
        processes_mentioning(&build)
    );
}
