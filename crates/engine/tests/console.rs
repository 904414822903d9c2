//! The console/monitor automation (the same code that drives PANDA's record dialogue),
//! for real: upstream QEMU boots the busybox guest to a shell prompt on a serial console
//! over a Unix socket, with the human monitor on another.

use std::path::Path;
use std::process::Command;
use std::time::Duration;

use ptest_engine::parts::{
    Group, Session, Step, build_iso, converse, ensure_qemu_image, record_steps, run_steps,
    shell_initramfs,
};
use ptest_engine::{Context, catalog};
use ptest_testkit::engine::{emulators_mentioning, require_qemu};
use regex::Regex;

/// Boots the shell guest with PANDA-style sockets (and, if `cd`, the CD-ROM modules);
/// returns the running group.
fn boot(dir: &Path, cd: bool) -> Group {
    let ctx = Context {
        regression_dir: dir.join("reg"),
        ..Default::default()
    };
    let spec = catalog::builtin(catalog::QEMU_BUSYBOX).unwrap();
    let img = ensure_qemu_image(&ctx, catalog::QEMU_BUSYBOX, &spec).unwrap();
    let initrd = dir.join("shell.gz");
    let modules: Vec<(String, Vec<u8>)> = match cd {
        true => img
            .info
            .modules
            .iter()
            .cloned()
            .zip(img.modules.iter().map(|m| std::fs::read(m).unwrap()))
            .collect(),
        false => Vec::new(),
    };
    let busybox = std::fs::read(&img.busybox).unwrap();
    std::fs::write(&initrd, shell_initramfs(&busybox, &modules)).unwrap();
    let mut cmd = Command::new("qemu-system-x86_64");
    cmd.args([
        "-M",
        "pc",
        "-accel",
        "tcg",
        "-m",
        "256",
        "-display",
        "none",
        "-no-reboot",
        "-net",
        "none",
    ])
    .arg("-kernel")
    .arg(&img.kernel)
    .arg("-initrd")
    .arg(&initrd)
    .args(["-append", "console=ttyS0 panic=-1 quiet"])
    .arg("-monitor")
    .arg(format!(
        "unix:{},server=on,wait=off",
        dir.join("mon").display()
    ))
    .arg("-serial")
    .arg(format!(
        "unix:{},server=on,wait=off",
        dir.join("ser").display()
    ))
    .stdout(std::process::Stdio::null())
    .stderr(std::process::Stdio::null());
    Group::spawn(&mut cmd, "QEMU", &ptest_engine::process::Cancel::noop()).unwrap()
}

#[test]
fn console_and_monitor_dialogue_against_a_real_guest() {
    require_qemu();
    let dir = tempfile::tempdir().unwrap();
    let mut group = boot(dir.path(), false);
    let transcript = dir.path().join("transcript.log");
    let prompt = Regex::new(r"guest# ").unwrap();
    let steps = [
        Step::Console(
            "mkdir -p /tmp/work && cd /tmp/work".into(),
            Duration::from_secs(30),
        ),
        Step::Type("echo typed-before-enter $((6 * 7))".into()),
        Step::Monitor("info status".into()),
        Step::Enter(Duration::from_secs(30)),
    ];
    converse(
        &mut group,
        &dir.path().join("mon"),
        &dir.path().join("ser"),
        &transcript,
        &prompt,
        Duration::from_secs(120),
        &steps,
    )
    .unwrap();
    assert!(
        group.wait_for(Duration::from_secs(10)).is_some(),
        "quit did not stop QEMU"
    );
    let t = std::fs::read_to_string(&transcript).unwrap();
    assert!(t.contains("typed-before-enter 42"), "transcript:\n{t}");
    assert!(
        t.contains("VM status: running"),
        "monitor answer missing:\n{t}"
    );
    assert!(t.contains("(qemu)"));
}

#[test]
fn sessions_match_regexes_in_order_and_time_out_with_the_last_output() {
    require_qemu();
    let dir = tempfile::tempdir().unwrap();
    let mut group = boot(dir.path(), false);
    let transcript = dir.path().join("t.log");
    let mut alive = || true;
    let limit = Duration::from_secs(30);
    let mut mon = Session::connect(
        "monitor",
        &dir.path().join("mon"),
        &transcript,
        limit,
        &mut alive,
    )
    .unwrap();
    let mut con = Session::connect(
        "console",
        &dir.path().join("ser"),
        &transcript,
        limit,
        &mut alive,
    )
    .unwrap();
    let qemu_prompt = Regex::new(r"\(qemu\) ").unwrap();
    mon.expect(&qemu_prompt, Duration::from_secs(10)).unwrap();
    let prompt = Regex::new(r"guest# ").unwrap();
    con.sendline("").unwrap();
    con.expect(&prompt, Duration::from_secs(120)).unwrap();
    con.sendline("echo A-$((1+1)); echo B-$((2+2))").unwrap();
    let a = con
        .expect(&Regex::new(r"A-(\d)").unwrap(), Duration::from_secs(10))
        .unwrap();
    assert!(a.ends_with("A-2"), "{a:?}");
    con.expect(&Regex::new(r"B-4").unwrap(), Duration::from_secs(10))
        .unwrap();
    con.expect(&prompt, Duration::from_secs(10)).unwrap();

    // A prompt that never comes: a bounded wait (its bound in the message) and what came
    // instead.
    con.sendline("echo still-here").unwrap();
    let err = con
        .expect(
            &Regex::new("root@never:~# ").unwrap(),
            Duration::from_secs(2),
        )
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("no match for /root@never:~# / within 2s"),
        "{err}"
    );
    assert!(err.contains("still-here") && err.contains("t.log"), "{err}");

    run_steps(
        &mut mon,
        &mut con,
        &qemu_prompt,
        &prompt,
        &[Step::Monitor("info name".into())],
    )
    .unwrap();
    mon.sendline("quit").unwrap();
    assert!(group.wait_for(Duration::from_secs(10)).is_some());
}

#[test]
fn a_guest_that_never_shows_its_prompt_is_reported_and_killed() {
    require_qemu();
    let dir = tempfile::tempdir().unwrap();
    let mut group = boot(dir.path(), false);
    let transcript = dir.path().join("t.log");
    let wrong = Regex::new(r"root@debian-i386:~# ").unwrap();
    let err = converse(
        &mut group,
        &dir.path().join("mon"),
        &dir.path().join("ser"),
        &transcript,
        &wrong,
        // Long enough for the guest to reach its own prompt on a loaded 2-core machine
        // (a TCG boot takes ~4 s unloaded), so the transcript below shows it.
        Duration::from_secs(20),
        &[],
    )
    .unwrap_err()
    .to_string();
    group.kill_tree();
    assert!(err.contains("never showed its prompt"), "{err}");
    let seen = std::fs::read_to_string(&transcript).unwrap();
    assert!(seen.contains("guest# "), "{seen}");
    assert!(emulators_mentioning(dir.path()).is_empty());
}

/// PANDA's whole record dialogue, host file on a CD included, with only its two
/// PANDA-only monitor commands (`begin_record`, `end_record`) swapped for upstream ones.
#[test]
fn panda_record_dialogue_with_a_cd_runs_against_upstream_qemu() {
    require_qemu();
    let dir = tempfile::tempdir().unwrap();
    let host = dir.path().join("Hello_World.TXT");
    std::fs::write(&host, "hello from the host via the CD\n").unwrap();
    let iso = dir.path().join("rec.iso");
    build_iso(&[host], &iso).unwrap();
    let mut group = boot(dir.path(), true);
    let mut steps = record_steps(
        Some(("ide1-cd0", &iso)),
        std::path::Path::new("/tmp/ptest-cd"),
        "cat /tmp/ptest-cd/Hello_World.TXT",
        &dir.path().join("rec"),
        Duration::from_secs(30),
    );
    let panda_only: Vec<&Step> = steps
        .iter()
        .filter(|s| matches!(s, Step::Monitor(c) if c.contains("_record")))
        .collect();
    assert_eq!(panda_only.len(), 2, "{steps:?}");
    for s in steps.iter_mut() {
        if matches!(s, Step::Monitor(c) if c.contains("_record")) {
            *s = Step::Monitor("info status".into());
        }
    }
    let transcript = dir.path().join("t.log");
    let prompt = Regex::new(r"guest# ").unwrap();
    let result = converse(
        &mut group,
        &dir.path().join("mon"),
        &dir.path().join("ser"),
        &transcript,
        &prompt,
        Duration::from_secs(120),
        &steps,
    );
    let t = std::fs::read_to_string(&transcript).unwrap_or_default();
    group.kill_tree();
    result.unwrap_or_else(|e| panic!("{e}\ntranscript:\n{t}"));
    assert!(
        t.contains("hello from the host via the CD"),
        "transcript:\n{t}"
    );
}
