//! Bad input to `ptest record`/`ptest replay`: each gets a clear message in bounded time,
//! the emulator's output lands in the test's log, and no emulator survives.

mod common;
use std::time::Duration;

use common::engine::*;

/// Short enough to keep the tests quick, long enough for a loaded 2-core CI machine
/// (an unloaded recording takes ~4 s; a replay never pauses for seconds).
const TOML: &str =
    "image = \"qemu-busybox\"\n[engine]\nstall-timeout = \"5s\"\nrecord-timeout = \"90s\"\n";

/// A suite with test `t` and the `qemu-busybox` image in its regression directory.
fn suite(toml: &str) -> Suite {
    require_qemu();
    let s = Suite::new(toml, &[("t", "", "")]);
    seed_image(&s.regdir());
    s
}

/// `ptest ARGS` inside test `t`. A hang fails [`Suite::ptest`]'s limit; how the command
/// ended is asserted on its exit code and message, not on how long it took.
fn in_test(s: &Suite, args: &[&str]) -> std::process::Output {
    s.ptest(args, &[("PTEST_TEST", "t")])
}

#[test]
fn unknown_image_names_the_known_ones() {
    // Refused before any image or emulator is needed: no QEMU, no image, no network.
    let s = Suite::new(TOML, &[("t", "", "")]);
    let out = in_test(
        &s,
        &["record", "--image", "nope", "--name", "r", "--", "true"],
    );
    let t = text(&out);
    assert_eq!(out.status.code(), Some(2), "{t}");
    assert!(
        t.contains("unknown image \"nope\"") && t.contains("qemu-busybox"),
        "{t}"
    );
}

#[test]
fn missing_and_unexecutable_qemu_are_named() {
    // The emulator is checked before the image is built: no image, no network.
    let s = Suite::new(
        &format!("{TOML}qemu = \"/nonexistent/qemu-system-x86_64\"\n"),
        &[("t", "", "")],
    );
    let out = in_test(&s, &["record", "--name", "r", "--", "true"]);
    let t = text(&out);
    assert_eq!(out.status.code(), Some(2), "{t}");
    assert!(
        t.contains("/nonexistent/qemu-system-x86_64` not found"),
        "{t}"
    );

    let fake = s.dir.path().join("qemu-not-exec");
    std::fs::write(&fake, "#!/bin/sh\n").unwrap();
    std::fs::write(
        s.suite().join("ptest.toml"),
        format!("{TOML}qemu = {:?}\n", fake),
    )
    .unwrap();
    let out = in_test(&s, &["record", "--name", "r", "--", "true"]);
    let t = text(&out);
    assert_eq!(out.status.code(), Some(2), "{t}");
    assert!(t.contains("is not executable"), "{t}");
}

#[test]
fn an_emulator_that_ignores_sigterm_is_killed_after_record_timeout() {
    require_qemu();
    use std::os::unix::fs::PermissionsExt;
    let s = suite("image = \"qemu-busybox\"\n[engine]\nrecord-timeout = \"2s\"\n");
    let fake = s.dir.path().join("fake-qemu");
    std::fs::write(
        &fake,
        "#!/bin/sh\n[ \"$1\" = --version ] && { echo 'QEMU emulator version 7.2.0'; exit 0; }\n\
         trap '' TERM\n[ \"$1\" = child ] && while :; do sleep 1; done\n\
         echo 'fake qemu starting' >&2\n\"$0\" child &\nwhile :; do sleep 1; done\n",
    )
    .unwrap();
    std::fs::set_permissions(&fake, std::fs::Permissions::from_mode(0o755)).unwrap();
    let toml =
        format!("image = \"qemu-busybox\"\n[engine]\nrecord-timeout = \"2s\"\nqemu = {fake:?}\n");
    std::fs::write(s.suite().join("ptest.toml"), toml).unwrap();
    let out = in_test(&s, &["record", "--name", "r", "--", "true"]);
    let t = text(&out);
    assert_eq!(out.status.code(), Some(3), "{t}");
    assert!(
        t.contains("did not finish within record-timeout (2s)"),
        "{t}"
    );
    let log = std::fs::read_to_string(s.regdir().join("logs/t/r-record.log")).unwrap();
    assert!(log.contains("fake qemu starting"), "{log}");
    // The fake and its child (`fake-qemu child`, also ignoring SIGTERM) must both be
    // gone; the kernel may take a moment to tear down a SIGKILLed group.
    let fake_path = fake.display().to_string();
    assert!(
        wait_until(Duration::from_secs(5), || processes_mentioning(&fake_path)
            .is_empty()),
        "processes survived: {:?}",
        processes_mentioning(&fake_path)
    );
    assert!(emulators_mentioning(s.dir.path()).is_empty());
}

#[test]
fn a_guest_command_that_never_returns_is_stopped() {
    require_qemu();
    let s = suite("image = \"qemu-busybox\"\n[engine]\nrecord-timeout = \"8s\"\n");
    let out = in_test(&s, &["record", "--name", "r", "--", "sleep", "1000"]);
    let t = text(&out);
    assert_eq!(out.status.code(), Some(3), "{t}");
    assert!(
        t.contains("the guest command did not finish within record-timeout (8s)"),
        "{t}"
    );
    assert!(!s.regdir().join("replays/t/r.meta.json").exists());
    assert!(emulators_mentioning(s.dir.path()).is_empty());
}

/// One real recording, then every way its replay can go wrong.
#[test]
fn broken_replays_are_refused_or_stopped_with_a_message() {
    require_qemu();
    let s = suite(TOML);
    let out = in_test(&s, &["record", "--name", "r", "--", "echo", "hi"]);
    assert!(out.status.success(), "{}", text(&out));
    let out = in_test(&s, &["replay", "r"]);
    assert!(out.status.success(), "{}", text(&out));
    let replays = s.regdir().join("replays/t");

    // Settings that change the machine: refused before QEMU starts, naming the option.
    std::fs::write(
        s.suite().join("ptest.toml"),
        format!("{TOML}memory = 300\n"),
    )
    .unwrap();
    let out = in_test(&s, &["replay", "r"]);
    let t = text(&out);
    assert_eq!(out.status.code(), Some(2), "{t}");
    assert!(
        t.contains("machine line: recorded `-m 256`, now `-m 300`"),
        "{t}"
    );
    std::fs::write(s.suite().join("ptest.toml"), TOML).unwrap();

    // Analysis arguments that make the replay diverge: the watchdog kills it.
    let out = in_test(&s, &["replay", "r", "--", "-m", "512"]);
    let t = text(&out);
    assert_eq!(out.status.code(), Some(3), "{t}");
    assert!(t.contains("replay r stalled at instruction"), "{t}");
    assert!(emulators_mentioning(s.dir.path()).is_empty());
    let log = std::fs::read_to_string(s.regdir().join("logs/t/r-replay.log")).unwrap();
    assert!(log.contains("-m 512"), "log lacks the command line: {log}");

    // ptest killed (by the runner's timeout, Ctrl-C, or SIGKILL) mid-replay: the
    // emulator, in its own process group, must not survive it.
    for sig in ["-TERM", "-INT", "-KILL"] {
        let mut child = std::process::Command::new(ptest_bin())
            .arg("--suite")
            .arg(s.suite())
            .arg("--regression-dir")
            .arg(s.regdir())
            .args(["replay", "r", "--", "-m", "512"])
            .env("PTEST_TEST", "t")
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        assert!(
            wait_until(Duration::from_secs(10), || !emulators_mentioning(
                s.dir.path()
            )
            .is_empty()),
            "QEMU never started"
        );
        let pid = child.id().to_string();
        std::process::Command::new("kill")
            .args([sig, &pid])
            .status()
            .unwrap();
        child.wait().unwrap();
        assert!(
            wait_until(Duration::from_secs(5), || emulators_mentioning(
                s.dir.path()
            )
            .is_empty()),
            "QEMU survived kill {sig} of ptest"
        );
    }

    // A recording from another QEMU version.
    let meta_path = replays.join("r.meta.json");
    let meta = std::fs::read_to_string(&meta_path).unwrap();
    let mut v: serde_json::Value = serde_json::from_str(&meta).unwrap();
    v["emulator_version"] = "QEMU emulator version 6.0.0".into();
    std::fs::write(&meta_path, v.to_string()).unwrap();
    let out = in_test(&s, &["replay", "r"]);
    let t = text(&out);
    assert!(
        t.contains(
            "emulator version: recorded QEMU emulator version 6.0.0, now QEMU emulator version"
        ),
        "{t}"
    );
    std::fs::write(&meta_path, &meta).unwrap();

    // A truncated replay file: its hash no longer matches.
    let rr = replays.join("r.rr");
    let bytes = std::fs::read(&rr).unwrap();
    std::fs::write(&rr, &bytes[..bytes.len() / 2]).unwrap();
    let out = in_test(&s, &["replay", "r"]);
    let t = text(&out);
    assert!(t.contains("replay file sha256: recorded"), "{t}");

    // Cut short *and* vouched for by its metadata: QEMU replays to the cut; the end
    // marker (or the watchdog) tells it did not finish.
    let sha = ptest_engine::parts::sha256_bytes;
    v["emulator_version"] =
        serde_json::from_str::<serde_json::Value>(&meta).unwrap()["emulator_version"].clone();
    v["replay_sha256"] = sha(&bytes[..bytes.len() / 2]).into();
    std::fs::write(&meta_path, v.to_string()).unwrap();
    let out = in_test(&s, &["replay", "r"]);
    let t = text(&out);
    assert_eq!(out.status.code(), Some(3), "{t}");
    assert!(
        t.contains("end marker") || t.contains("stalled") || t.contains("QEMU failed"),
        "{t}"
    );

    // Garbage: QEMU's own refusal is reported with its log.
    std::fs::write(&rr, b"this is not a replay log").unwrap();
    v["replay_sha256"] = sha(b"this is not a replay log").into();
    std::fs::write(&meta_path, v.to_string()).unwrap();
    let out = in_test(&s, &["replay", "r"]);
    let t = text(&out);
    assert_eq!(out.status.code(), Some(3), "{t}");
    assert!(t.contains("QEMU failed"), "{t}");

    // Missing.
    std::fs::remove_file(&rr).unwrap();
    let out = in_test(&s, &["replay", "r"]);
    let t = text(&out);
    assert!(t.contains("r.rr does not exist; record it first"), "{t}");
    assert!(emulators_mentioning(s.dir.path()).is_empty());
}
