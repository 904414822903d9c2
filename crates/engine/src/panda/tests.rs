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
        Path::new("/t/mon"),
        Path::new("/t/ser"),
    );
    assert_eq!(
        a.join(" "),
        "/reg/qcows/wheezy_panda2.qcow2 -loadvm root -m 128M -monitor unix:/t/mon,server,nowait \
         -serial unix:/t/ser,server,nowait -display none"
    );
}

#[test]
fn arm_extra_args_point_into_qcows() {
    let arm = crate::catalog::builtin("arm").unwrap();
    let a = record_args(
        &arm,
        &ctx(),
        Path::new("/q.qcow"),
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
fn replay_command_line_has_os_and_replay_base() {
    let mut c = ctx();
    c.settings.memory = Some(256);
    let a = replay_args(&spec(), &c, Path::new("/reg/replays/t/foo")).join(" ");
    assert_eq!(
        a,
        "-m 256M -display none -os linux-32-debian:3.2.0-4-686-pae -replay /reg/replays/t/foo"
    );
}

#[test]
fn dialogue_types_the_command_before_begin_record() {
    let t = Duration::from_secs(5);
    let steps = record_steps(
        Some(("ide1-cd0", Path::new("/r/foo.iso"))),
        "./prog arg",
        Path::new("/r/foo"),
        t,
    );
    assert_eq!(
        steps[0],
        Step::Monitor("change ide1-cd0 \"/r/foo.iso\"".into())
    );
    let n = steps.len();
    assert_eq!(steps[n - 4], Step::Type("./prog arg".into()));
    assert_eq!(
        steps[n - 3],
        Step::Monitor("begin_record \"/r/foo\"".into())
    );
    assert_eq!(steps[n - 2], Step::Enter(t));
    assert_eq!(steps[n - 1], Step::Monitor("end_record".into()));
    assert!(matches!(&steps[3], Step::Console(c, _) if c == "cd /mnt/ptest"));
    // No host files: no CD.
    assert_eq!(record_steps(None, "ls", Path::new("/r/x"), t).len(), 4);
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
    let err = binary("i386", Some(dir.path().to_str().unwrap()))
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("PANDA not found") && err.contains("i386-softmmu/panda-system-i386"),
        "{err}"
    );
    let soft = dir.path().join("i386-softmmu");
    std::fs::create_dir_all(&soft).unwrap();
    let bin = soft.join("panda-system-i386");
    std::fs::write(&bin, "").unwrap();
    let err = binary("i386", Some(dir.path().to_str().unwrap()))
        .unwrap_err()
        .to_string();
    assert!(err.contains("is not executable"), "{err}");
    std::fs::set_permissions(&bin, std::fs::Permissions::from_mode(0o755)).unwrap();
    assert_eq!(
        binary("i386", Some(dir.path().to_str().unwrap())).unwrap(),
        bin
    );
}
