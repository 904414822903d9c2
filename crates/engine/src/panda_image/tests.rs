use super::snapshot::has_snapshot;
use super::*;
use regex::Regex;

#[test]
fn spec_points_the_panda_driver_at_the_built_files() {
    let s = crate::catalog::panda_busybox::X86_64.spec();
    assert_eq!(
        s.local_path(Path::new("/r/qcows"), NAME),
        Path::new("/r/qcows/panda-busybox/panda-busybox.qcow2")
    );
    assert_eq!(s.memory_mib(), Some(256));
    assert_eq!(s.os.as_deref(), Some("linux-64-panda-busybox"));
    let args = s.extra_args.join(" ");
    assert!(
        args.contains(
            "-kernel {qcows}/panda-busybox/vmlinuz -initrd {qcows}/panda-busybox/initrd.gz"
        ),
        "{args}"
    );
    assert!(s.extra_args.contains(&APPEND.to_string()));
    // osi_linux's default group for `-os linux-64-VARIANT` is `VARIANT:64`.
    assert_eq!(
        OS.strip_prefix("linux-64-")
            .map(|v| format!("{v}:64"))
            .as_deref(),
        Some(KCONF_GROUP)
    );
}

#[test]
fn prompt_matches_the_shell_and_not_the_typed_lines() {
    let re = Regex::new(PROMPT).unwrap();
    assert!(re.is_match(&format!("\r\n{PS1}")));
    assert!(!re.is_match("~ # echo root@ptest-panda:~ #"));
}

#[test]
fn init_loads_the_cd_modules_in_order_then_gives_the_prompt() {
    use std::io::Read;
    let modules: Vec<(String, Vec<u8>)> = debian::CD_MODULES
        .iter()
        .map(|m| (m.to_string(), b"ko".to_vec()))
        .collect();
    let gz = crate::busybox::shell_initramfs_with_prompt(b"\x7fELF", &modules, PS1);
    let mut cpio = Vec::new();
    flate2::read::GzDecoder::new(&gz[..])
        .read_to_end(&mut cpio)
        .unwrap();
    let text = String::from_utf8_lossy(&cpio);
    let init = &text[text.find("#!/bin/sh").unwrap()..];
    let insmods: Vec<&str> = init
        .lines()
        .filter_map(|l| l.strip_prefix("insmod /lib/ptest-modules/"))
        .collect();
    let want: Vec<String> = debian::CD_MODULES
        .iter()
        .map(|m| format!("{m}.ko"))
        .collect();
    assert_eq!(insmods, want);
    assert!(init.contains("PS1='root@ptest-panda:~# '"), "{init}");
    assert!(init.contains("exec setsid cttyhack sh"), "{init}");
    // Same inputs, same bytes: the snapshot's cache key depends on it.
    assert_eq!(
        gz,
        crate::busybox::shell_initramfs_with_prompt(b"\x7fELF", &modules, PS1)
    );
}

#[test]
fn a_profile_whose_current_task_is_init_task_is_refused_and_fixed() {
    // What PANDA's extract_kernelinfo.py writes for an i386 kernel.
    let raw = "[g:32]\nname = 6.1.0-57-686|#1|i386\nversion.a = 6\n\
               task.current_task_addr = 3250914496\ntask.init_addr = 3250914496\n\
               task.comm_offset = 1412\ntask.tasks_offset = 968\ntask.pid_offset = 1108\n\
               mm.pgd_offset = 28\n";
    assert_eq!(
        profile_problem(raw, "g:32").as_deref(),
        Some("task.current_task_addr is init_task's address")
    );
    let fixed = kernelinfo::with_current_task(raw, "3253118696");
    assert!(
        fixed.contains("task.current_task_addr = 3253118696\n"),
        "{fixed}"
    );
    assert!(fixed.contains("task.init_addr = 3250914496\n"), "{fixed}");
    assert_eq!(profile_problem(&fixed, "g:32"), None);
}

#[test]
fn profile_needs_the_group_and_numeric_offsets() {
    let good = "[panda-busybox:64]\nname = 6.1.0|#1|x86_64\nversion.a = 6\n\
                task.init_addr = 18446744071606217280\ntask.comm_offset = 2976\n\
                task.tasks_offset = 2192\ntask.pid_offset = 2416\nmm.pgd_offset = 72\n";
    assert_eq!(profile_problem(good, KCONF_GROUP), None);
    assert!(profile_problem(&good.replace("[panda-busybox:64]", "[x:64]"), KCONF_GROUP).is_some());
    let bad = good.replace("task.comm_offset = 2976", "task.comm_offset = ");
    assert_eq!(
        profile_problem(&bad, KCONF_GROUP).as_deref(),
        Some("no numeric task.comm_offset")
    );
}

#[test]
fn snapshot_list_is_parsed_by_tag() {
    let list = "Snapshot list:\nID        TAG                 VM SIZE                DATE       VM CLOCK\n\
                1         root                    37M 2024-01-01 00:00:00   00:00:12.345\n";
    assert!(has_snapshot(list, "root"));
    assert!(!has_snapshot(list, "TAG"));
    assert!(!has_snapshot("", "root"));
}

#[test]
fn atomically_replaces_on_success_and_keeps_the_old_on_failure() {
    let d = tempfile::tempdir().unwrap();
    let dir = d.path().join("x");
    atomically(&dir, |w| {
        std::fs::write(w.join("a"), "1").map_err(EngineError::io(w))
    })
    .unwrap();
    let err = atomically(&dir, |_| Err(EngineError::Image("boom".into())));
    assert!(err.is_err());
    assert_eq!(std::fs::read_to_string(dir.join("a")).unwrap(), "1");
    atomically(&dir, |w| {
        std::fs::write(w.join("b"), "2").map_err(EngineError::io(w))
    })
    .unwrap();
    assert!(!dir.join("a").exists() && dir.join("b").exists());
    // The failed attempt's folder was cleared by the next one.
    let left: Vec<_> = std::fs::read_dir(d.path())
        .unwrap()
        .flatten()
        .map(|e| e.file_name())
        .collect();
    assert_eq!(left, vec![std::ffi::OsString::from("x")]);
}

#[test]
fn check_rejects_a_changed_file_and_another_panda() {
    let d = tempfile::tempdir().unwrap();
    let dir = d.path().join(NAME);
    std::fs::create_dir_all(&dir).unwrap();
    for f in [
        "vmlinuz",
        "initrd.gz",
        "kernelinfo.conf",
        "panda-busybox.qcow2",
    ] {
        std::fs::write(dir.join(f), f).unwrap();
    }
    let h = |f: &str| sha256_bytes(f.as_bytes());
    let image = PandaImage {
        snapshot: Snapshot {
            kernel_package: "k.deb".into(),
            busybox_package: "b.deb".into(),
            modules: vec![],
            kernel_sha256: h("vmlinuz"),
            initrd_sha256: h("initrd.gz"),
            qcow2_sha256: h("panda-busybox.qcow2"),
            panda_sha256: "p1".into(),
        },
        os: OS.into(),
        kernelinfo_group: KCONF_GROUP.into(),
        kernelinfo_sha256: h("kernelinfo.conf"),
    };
    write_json(&dir.join("image.json"), &image).unwrap();
    check(&dir, &X86_64, Some("p1")).unwrap();
    check(&dir, &X86_64, None).unwrap();
    assert!(check(&dir, &X86_64, Some("p2")).is_err());
    // Recordings write to the qcow2: that is not a reason to rebuild.
    std::fs::write(dir.join("panda-busybox.qcow2"), "written").unwrap();
    check(&dir, &X86_64, Some("p1")).unwrap();
    std::fs::write(dir.join("initrd.gz"), "changed").unwrap();
    let e = check(&dir, &X86_64, Some("p1")).unwrap_err().to_string();
    assert!(e.contains("initrd.gz"), "{e}");
}
