use super::*;

fn spec() -> ImageSpec {
    crate::catalog::builtin("i386_wheezy").unwrap()
}

fn ctx() -> Context {
    Context {
        regression_dir: "/reg".into(),
        ..Default::default()
    }
}

#[test]
fn record_command_line_is_run_guest_py_s() {
    let a = record_args(
        &spec(),
        &ctx(),
        Path::new("/reg/qcows/wheezy_panda2.qcow2"),
        "root",
        Path::new("/t/monitor"),
        Path::new("/t/serial"),
    );
    // run_guest.py: [qcow, -monitor, -serial, -loadvm, -display none] + extra_args; no -m.
    assert_eq!(
        a.join(" "),
        "/reg/qcows/wheezy_panda2.qcow2 -monitor unix:/t/monitor,server,nowait \
         -serial unix:/t/serial,server,nowait -loadvm root -display none"
    );
    // Memory only when asked for, after the image's own arguments.
    let mut c = ctx();
    c.settings.memory = Some(256);
    let a = record_args(
        &spec(),
        &c,
        Path::new("/q"),
        "s",
        Path::new("/m"),
        Path::new("/s"),
    );
    assert_eq!(a[a.len() - 2..], ["-m", "256M"]);
}

#[test]
fn arm_extra_args_point_into_qcows() {
    let arm = crate::catalog::builtin("arm").unwrap();
    let a = record_args(
        &arm,
        &ctx(),
        Path::new("/q.qcow"),
        "root",
        Path::new("/m"),
        Path::new("/s"),
    )
    .join(" ");
    assert!(
        a.contains(
            "-M versatilepb -append root=/dev/sda1 -kernel /reg/qcows/vmlinuz-3.2.0-4-versatile"
        ),
        "{a}"
    );
    assert_eq!(a.matches("-display").count(), 1, "{a}");
}

#[test]
fn replay_command_line_is_the_originals() {
    // run_test_debian: `-replay R/NAME ARGS`; never -os, -display or an unasked -m.
    let a = replay_args(&spec(), &ctx(), Path::new("/reg/replays/t/foo")).join(" ");
    assert_eq!(a, "-replay /reg/replays/t/foo");
    let mut c = ctx();
    c.settings.memory = Some(256);
    let a = replay_args(&spec(), &c, Path::new("/r/foo")).join(" ");
    assert_eq!(a, "-m 256M -replay /r/foo");
    let arm = crate::catalog::builtin("arm").unwrap();
    let a = replay_args(&arm, &ctx(), Path::new("/r/foo")).join(" ");
    assert!(a.starts_with("-M versatilepb") && !a.contains("-os"), "{a}");
}

#[test]
fn dialogue_types_the_command_before_begin_record() {
    let t = Duration::from_secs(5);
    let short = Duration::from_secs(30);
    let dir = Path::new("/w/replays/prog/cdrom");
    let steps = record_steps(
        Some(("ide1-cd0", Path::new("/w/replays/prog/cdrom.iso"))),
        dir,
        "/w/replays/prog/cdrom/prog arg",
        Path::new("/r/foo"),
        t,
    );
    // run_guest.py's create_recording, step for step.
    assert_eq!(
        steps,
        [
            Step::Monitor("change ide1-cd0 \"/w/replays/prog/cdrom.iso\"".into()),
            Step::Console("mkdir -p /w/replays/prog/cdrom".into(), short),
            Step::Console(
                "while ! mount /dev/cdrom /w/replays/prog/cdrom; do sleep 0.3; umount /dev/cdrom; done"
                    .into(),
                short
            ),
            Step::Console(
                "/w/replays/prog/cdrom/setup.sh &> /dev/null || true".into(),
                short
            ),
            Step::Type("/w/replays/prog/cdrom/prog arg".into()),
            Step::Monitor("begin_record \"/r/foo\"".into()),
            Step::Enter(t),
            Step::Monitor("end_record".into()),
        ]
    );
    // No host files: no CD, but setup.sh is still tried; a path with a space is quoted.
    let steps = record_steps(None, Path::new("/a b/cdrom"), "ls", Path::new("/r/x"), t);
    assert_eq!(steps.len(), 5);
    assert_eq!(
        steps[0],
        Step::Console("'/a b/cdrom'/setup.sh &> /dev/null || true".into(), short)
    );
}

#[test]
fn progress_lines_give_the_instruction_count() {
    assert_eq!(
        parse_progress("foo:    123456789 ( 12.34%) instrs.    1.50 sec.  0.12 GB ram."),
        Some(123456789)
    );
    assert_eq!(
        parse_progress("opening nondet log for read :\t./foo-rr-nondet.log"),
        None
    );
    assert_eq!(parse_progress("foo:  0 (  0.00%) instrs."), Some(0));
}

#[test]
fn nondet_log_starts_with_the_instruction_count() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("x-rr-nondet.log");
    let mut bytes = 987654321u64.to_le_bytes().to_vec();
    bytes.extend_from_slice(b"rest of the log");
    std::fs::write(&p, bytes).unwrap();
    assert_eq!(instruction_count(&p).unwrap(), 987654321);
    std::fs::write(&p, b"abc").unwrap();
    assert!(
        instruction_count(&p)
            .unwrap_err()
            .to_string()
            .contains("too short")
    );
}

#[test]
fn binary_is_found_in_panda_build_or_reported() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let err = binary("i386", Some(dir.path())).unwrap_err().to_string();
    assert!(
        err.contains("PANDA not found") && err.contains("i386-softmmu/panda-system-i386"),
        "{err}"
    );
    let soft = dir.path().join("i386-softmmu");
    std::fs::create_dir_all(&soft).unwrap();
    let bin = soft.join("panda-system-i386");
    std::fs::write(&bin, "").unwrap();
    let err = binary("i386", Some(dir.path())).unwrap_err().to_string();
    assert!(err.contains("is not executable"), "{err}");
    std::fs::set_permissions(&bin, std::fs::Permissions::from_mode(0o755)).unwrap();
    assert_eq!(binary("i386", Some(dir.path())).unwrap(), bin);
}

#[test]
fn panda_is_looked_for_in_the_checkouts_build_folder() {
    // PANDA_BUILD is unset in unit tests unless the developer set it; then it wins.
    if std::env::var_os("PANDA_BUILD").is_some() {
        return;
    }
    let mut c = ctx();
    c.suite_dir = Some("/src/panda/panda/testing/tests".into());
    assert_eq!(build_dir(&c), Some("/src/panda/build".into()));
    c.suite_dir = Some("/src/panda/panda/testing".into());
    assert_eq!(build_dir(&c), Some("/src/panda/build".into()));
}

#[test]
fn the_arch_picks_the_image_unless_the_configured_one_is_of_that_arch() {
    let mut c = ctx();
    let (name, s, note) = pick_image(&c, None, Some("x86_64")).unwrap();
    assert_eq!(
        (name.as_str(), s.file.as_deref()),
        ("x86_64", Some("wheezy_x64.qcow2"))
    );
    assert!(note.is_none());
    c.default_image = Some("i386".into());
    let (name, _, note) = pick_image(&c, None, Some("i386")).unwrap();
    assert_eq!((name.as_str(), note), ("i386", None));
    let (name, _, note) = pick_image(&c, None, Some("x86_64")).unwrap();
    assert_eq!(name, "x86_64");
    assert!(note.unwrap().contains("image i386 is i386, not x86_64"));
    assert_eq!(pick_image(&c, None, None).unwrap().0, "i386");
}

#[test]
fn exit_status_is_read_from_the_answer_not_the_echo() {
    let answer = format!("{EXIT_QUERY}\r\nptest-guest-exit=3\r\nroot@debian-i386:~#");
    assert_eq!(parse_exit(&answer), Some(3));
    assert_eq!(parse_exit(EXIT_QUERY), None);
}
