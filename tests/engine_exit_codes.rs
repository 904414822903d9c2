//! Every exit code an engine command (`ptest record|replay|images|replays`) returns, each
//! with its message: 0 done, 2 (`USAGE`) bad input, configuration or environment, 3
//! (`ENGINE_FAILED`) the emulator's run failed, stalled or timed out. Stand-in emulators
//! (shell scripts) test ptest's own handling; only the record timeout needs the real
//! `qemu-busybox` image (from the per-machine cache).

mod common;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use common::engine::*;

const OK: i32 = 0;
const USAGE: i32 = 2;
const ENGINE_FAILED: i32 = 3;

/// A suite with test `t` whose replay folder holds PANDA recording `foo` (5000
/// instructions), and a stand-in `panda-system-i386` that prints progress, then runs `then`.
fn panda_suite(toml: &str, then: &str) -> (Suite, PathBuf) {
    let s = Suite::new(toml, &[("t", "", "")]);
    let replays = s.regdir().join("replays/t");
    std::fs::create_dir_all(&replays).expect("replay folder");
    std::fs::write(replays.join("foo-rr-nondet.log"), 5000u64.to_le_bytes()).expect("nondet");
    std::fs::write(replays.join("foo-rr-snp"), b"snapshot").expect("snp");
    let build = s.dir.path().join("panda-build");
    executable(
        &build.join("i386-softmmu/panda-system-i386"),
        &format!(
            "#!/bin/sh\necho 'foo:        2500 ( 50.00%) instrs.    0.10 sec.  0.10 GB ram.'\n{then}\n"
        ),
    );
    (s, build)
}

fn executable(path: &Path, script: &str) {
    std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
    std::fs::write(path, script).expect("write script");
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o755)).expect("chmod");
}

fn replay_foo(s: &Suite, build: &Path) -> std::process::Output {
    s.ptest(
        &["replay", "--arch", "i386", "foo"],
        &[
            ("PTEST_TEST", "t"),
            ("PANDA_BUILD", build.to_str().expect("utf-8 path")),
        ],
    )
}

fn code(out: &std::process::Output, want: i32, says: &str) {
    let t = text(out);
    assert_eq!(out.status.code(), Some(want), "{t}");
    assert!(t.contains(says), "expected {says:?} in:\n{t}");
}

#[test]
fn ok_for_listings_and_a_replay_that_finished() {
    let (s, build) = panda_suite("", "exit 0");
    code(&s.ptest(&["images"], &[]), OK, "qemu-busybox");
    code(&s.ptest(&["replays"], &[]), OK, "foo");
    code(&replay_foo(&s, &build), OK, "");
}

#[test]
fn usage_for_bad_input_configuration_and_environment() {
    let (s, build) = panda_suite("", "exit 0");
    // An image nobody declared.
    let out = s.ptest(
        &["record", "--image", "nope", "--name", "r", "--", "true"],
        &[("PTEST_TEST", "t")],
    );
    code(&out, USAGE, "unknown image \"nope\"; known images:");
    // Not inside a test.
    code(
        &s.ptest(&["replay", "foo"], &[]),
        USAGE,
        "no current test: run this from a test script",
    );
    // No image to fetch.
    code(
        &s.ptest(&["images", "fetch"], &[]),
        USAGE,
        "no image: pass --image NAME",
    );
    // A recording whose metadata names an engine ptest does not know.
    let meta = s.regdir().join("replays/t/foo.meta.json");
    std::fs::write(
        &meta,
        r#"{"format":1,"engine":"bochs","image":"i","arch":"i386","emulator_version":"v",
            "machine":[],"command":[],"copied":[],"kernel_sha256":"","initramfs_sha256":"",
            "replay_sha256":"","replay_size":0,"instructions":5000,"guest_exit":0}"#,
    )
    .expect("metadata");
    code(
        &replay_foo(&s, &build),
        USAGE,
        "engine = \"bochs\" is not an engine ptest knows; use one of panda, qemu",
    );
    std::fs::remove_file(&meta).expect("remove metadata");
    // No PANDA where PANDA_BUILD says.
    let out = s.ptest(
        &["replay", "--arch", "i386", "foo"],
        &[
            ("PTEST_TEST", "t"),
            ("PANDA_BUILD", "/nonexistent/build"),
            ("PATH", "/usr/bin:/bin"),
        ],
    );
    code(&out, USAGE, "PANDA not found");
    // An image declared for an engine ptest does not know: refused when the suite loads.
    let (s, _) = panda_suite("[images.x]\nengine = \"qmeu\"\n", "exit 0");
    code(
        &s.ptest(&["images"], &[]),
        USAGE,
        "unknown engine; use one of panda, qemu",
    );
}

#[test]
fn engine_failed_for_a_failed_or_stalled_replay() {
    let (s, build) = panda_suite("", "echo 'panda: plugin not found' >&2\nexit 7");
    code(
        &replay_foo(&s, &build),
        ENGINE_FAILED,
        "replay foo: PANDA failed",
    );
    let (s, build) = panda_suite(
        "[engine]\nstall-timeout = \"1s\"\n",
        "while :; do sleep 1; done",
    );
    code(
        &replay_foo(&s, &build),
        ENGINE_FAILED,
        "replay foo stalled at instruction 2500 of 5000",
    );
}

#[test]
fn engine_failed_for_a_recording_that_timed_out() {
    require_qemu();
    let s = Suite::new("", &[("t", "", "")]);
    seed_image(&s.regdir());
    // Answers `--version` like QEMU, then never boots anything.
    let fake = s.dir.path().join("fake-qemu");
    executable(
        &fake,
        "#!/bin/sh\n[ \"$1\" = --version ] && { echo 'QEMU emulator version 7.2.0'; exit 0; }\nexec sleep 600\n",
    );
    std::fs::write(
        s.suite().join("ptest.toml"),
        format!("image = \"qemu-busybox\"\n[engine]\nrecord-timeout = \"1s\"\nqemu = {fake:?}\n"),
    )
    .expect("ptest.toml");
    let out = s.ptest(
        &["record", "--name", "r", "--", "true"],
        &[("PTEST_TEST", "t")],
    );
    code(
        &out,
        ENGINE_FAILED,
        "recording: the guest command did not finish within record-timeout (1s); QEMU was killed",
    );
}

/// Inside a test, a stalled `ptest replay` is the script's failure; how far the replay got
/// reaches the reports as data (the runner only sees the script's exit).
#[test]
fn a_replay_that_stalls_inside_a_test_reaches_the_reports_as_data() {
    let (s, build) = panda_suite(
        "[engine]\nstall-timeout = \"1s\"\n",
        "while :; do sleep 1; done",
    );
    std::fs::write(
        s.suite().join("t/t-test.py"),
        "import os, subprocess, sys\n\
         sys.exit(subprocess.call([os.environ['PTEST_EXE'], 'replay', '--arch', 'i386', 'foo']))\n",
    )
    .expect("test script");
    let init = s.ptest(&["init", "--force"], &[]);
    assert_eq!(init.status.code(), Some(0), "{}", text(&init));
    let json = s.dir.path().join("run.json");
    let html = s.dir.path().join("run.html");
    let out = s.ptest(
        &[
            "test",
            "--json",
            json.to_str().expect("utf-8"),
            "--html",
            html.to_str().expect("utf-8"),
            "t",
        ],
        &[("PANDA_BUILD", build.to_str().expect("utf-8 path"))],
    );
    assert_eq!(out.status.code(), Some(100), "{}", text(&out));
    let report: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&json).expect("json report")).expect("json");
    let stall = &report["tests"][0]["stall"];
    assert_eq!(stall["replay"], "foo", "{report:#}");
    assert_eq!(stall["at"], 2500, "{report:#}");
    assert_eq!(stall["total"], 5000, "{report:#}");
    let page = std::fs::read_to_string(&html).expect("html report");
    assert!(
        page.contains("replay foo stalled at instruction 2500 of 5000 (50.0%)"),
        "{page}"
    );
    // The next attempt starts without it: a passing run shows no stall.
    std::fs::write(s.suite().join("t/t-test.py"), "").expect("test script");
    let out = s.ptest(&["test", "--json", json.to_str().expect("utf-8"), "t"], &[]);
    assert_ne!(out.status.code(), Some(0), "no reference: {}", text(&out));
    let report: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&json).expect("json report")).expect("json");
    assert!(report["tests"][0].get("stall").is_none(), "{report:#}");
}
