//! `kernelinfo.conf` for a `panda-busybox` guest: the `osi_linux` profile of Debian's
//! kernel, made from its `-dbg` package by PANDA's gdb script, cached per kernel version.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use super::*;

/// The cached `kernelinfo.conf` (group `g.kconf_group`) for the packages' kernel, made now
/// if missing: ~283 MB `-dbg` download and a gdb run, once per kernel version.
pub(super) fn kernelinfo(
    cache: &Path,
    g: &Guest,
    packages: &Packages,
    panda: &Panda,
    note: &dyn Fn(String),
) -> Result<PathBuf, EngineError> {
    let dir =
        cache.join(format!("{}_{}", packages.kernel, packages.kernel_version).replace(':', "%"));
    let conf = dir.join("kernelinfo.conf");
    let (name, group) = (g.name, g.kconf_group);
    if std::fs::read_to_string(&conf).is_ok_and(|t| profile_problem(&t, group).is_none()) {
        return Ok(conf);
    }
    let script = panda
        .source
        .join("panda/plugins/osi_linux/utils/kernelinfo_gdb/run.sh");
    if !script.exists() {
        return Err(EngineError::Image(format!(
            "image {name}: no {} (the PANDA source checkout above the build folder); rebuild PANDA with scripts/build-panda",
            script.display()
        )));
    }
    let dbg = debian::debug_package(&packages.kernel, &packages.kernel_version);
    note(format!(
        "image {name}: making the osi_linux profile from {dbg} (~283 MB download, once per kernel)"
    ));
    atomically(&dir, |work| {
        let debs = debian::apt_download(&work.join("debs"), std::slice::from_ref(&dbg))?;
        let deb = debs
            .first()
            .ok_or_else(|| EngineError::Image(format!("apt-get download {dbg} left no .deb")))?;
        // Only vmlinux: the whole package unpacks to 1.7 GB.
        let mut unpack = Command::new("dpkg-deb")
            .arg("--fsys-tarfile")
            .arg(deb)
            .stdout(Stdio::piped())
            .spawn()
            .map_err(|e| EngineError::Image(format!("cannot run dpkg-deb: {e}")))?;
        let tar_in = unpack
            .stdout
            .take()
            .map(Stdio::from)
            .unwrap_or_else(Stdio::null);
        let tarred = tool(
            Command::new("tar")
                .args(["-x", "--wildcards", "-C"])
                .arg(work)
                .arg("./usr/lib/debug/boot/vmlinux-*")
                .stdin(tar_in),
            name,
            "tar -x (vmlinux from the -dbg package)",
        );
        let _ = unpack.wait();
        tarred?;
        let boot = work.join("usr/lib/debug/boot");
        let vmlinux = std::fs::read_dir(&boot)
            .map_err(EngineError::io(&boot))?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .next()
            .ok_or_else(|| EngineError::Image(format!("{dbg} holds no vmlinux")))?;
        let raw = work.join("raw.conf");
        tool(
            Command::new("bash")
                .arg(&script)
                .arg(&vmlinux)
                .arg(&raw)
                .current_dir(&panda.source),
            name,
            "PANDA's kernelinfo_gdb/run.sh (needs gdb: apt-get install gdb)",
        )?;
        let text = std::fs::read_to_string(&raw).unwrap_or_default();
        let text = format!("[{group}]\n{text}");
        let text = match same_current_and_init_task(&text) {
            true => with_current_task(&text, &current_task_address(&vmlinux, name)?),
            false => text,
        };
        if let Some(problem) = profile_problem(&text, group) {
            return Err(EngineError::Image(format!(
                "image {name}: gdb's kernel profile of {} is unusable ({problem})",
                vmlinux.display()
            )));
        }
        let out = work.join("kernelinfo.conf");
        std::fs::write(&out, text).map_err(EngineError::io(&out))?;
        for junk in ["debs", "usr", "raw.conf"] {
            let p = work.join(junk);
            let _ = std::fs::remove_dir_all(&p).or_else(|_| std::fs::remove_file(&p));
        }
        Ok(())
    })?;
    Ok(conf)
}

/// `&current_task` in `vmlinux`, as gdb prints it (decimal).
fn current_task_address(vmlinux: &Path, name: &str) -> Result<String, EngineError> {
    let out = tool(
        Command::new("gdb")
            .args(["-batch", "-ex", "printf \"%llu\\n\", &current_task"])
            .arg(vmlinux),
        name,
        "gdb (the address of current_task)",
    )?;
    out.lines()
        .map(str::trim)
        .find(|l| l.parse::<u64>().is_ok())
        .map(str::to_string)
        .ok_or_else(|| {
            EngineError::Image(format!(
                "image {name}: gdb found no current_task in {}",
                vmlinux.display()
            ))
        })
}

/// PANDA's `extract_kernelinfo.py` asks for `current_task` only when the kernel's machine
/// name contains "x86", so for an `i386` kernel it writes init_task's address instead,
/// and `osi_linux` then aborts at the first syscall ("Couldn't find current task struct").
/// Both our guests are x86, where the two are never the same variable.
fn same_current_and_init_task(text: &str) -> bool {
    let value = |key: &str| {
        text.lines().find_map(|l| {
            let (k, v) = l.split_once('=')?;
            (k.trim() == key).then(|| v.trim().to_string())
        })
    };
    let current = value("task.current_task_addr");
    current.is_some() && current == value("task.init_addr")
}

/// `text` with `task.current_task_addr` set to `address`.
pub(super) fn with_current_task(text: &str, address: &str) -> String {
    text.lines()
        .map(|l| match l.split_once('=') {
            Some((k, _)) if k.trim() == "task.current_task_addr" => {
                format!("task.current_task_addr = {address}")
            }
            _ => l.to_string(),
        })
        .collect::<Vec<_>>()
        .join("\n")
        + "\n"
}

/// What is wrong with a `kernelinfo.conf`, if anything: it must hold `group` and the
/// offsets `osi_linux` cannot work without.
pub fn profile_problem(text: &str, group: &str) -> Option<String> {
    if text.lines().next().map(str::trim) != Some(&format!("[{group}]")) {
        return Some(format!("does not start with [{group}]"));
    }
    if same_current_and_init_task(text) {
        return Some("task.current_task_addr is init_task's address".into());
    }
    for key in [
        "name",
        "version.a",
        "task.init_addr",
        "task.comm_offset",
        "task.tasks_offset",
        "task.pid_offset",
        "mm.pgd_offset",
    ] {
        let found = text.lines().any(|l| {
            l.split_once('=').is_some_and(|(k, v)| {
                k.trim() == key && (key == "name" || v.trim().parse::<i128>().is_ok())
            })
        });
        if !found {
            return Some(format!("no numeric {key}"));
        }
    }
    None
}
