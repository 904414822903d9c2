//! The busybox guests ptest builds as initramfs images: the QEMU engine's per-recording
//! guest (runs one command between the markers and powers off) and the interactive
//! shell guest (PANDA's `panda-busybox` snapshot; the console tests' stand-in guest).
//! Archives only: it must not run anything.

use std::path::PathBuf;

use crate::EngineError;
use crate::initramfs::{Archive, Entry};
use crate::marker::{BEGIN_MARKER, END_MARKER};
use crate::quote::shell_quote;

/// `/init`: set up the guest, run the command in `/ptest` (where copied files are)
/// between the markers, power off.
pub fn init_script(command: &[String]) -> String {
    let cmd: Vec<String> = command.iter().map(|a| shell_quote(a)).collect();
    format!(
        "#!/bin/sh\n/bin/busybox --install -s\nmount -t proc proc /proc\nmount -t sysfs sysfs /sys\n\
         mount -t devtmpfs devtmpfs /dev\nexport PATH=/bin:/sbin:/usr/bin:/usr/sbin HOME=/root\n\
         cd /ptest\necho {BEGIN_MARKER}\n{}\necho \"{END_MARKER} rc=$?\"\npoweroff -f\n",
        cmd.join(" ")
    )
}

/// The skeleton every guest shares: busybox as `/bin/sh`, the usual folders, a console,
/// and `extra_dir` (where the guest finds its files).
fn busybox_archive(busybox: &[u8], extra_dir: &str) -> Archive {
    let mut a = Archive::new();
    a.add(
        "bin/busybox",
        Entry::File {
            data: busybox.to_vec(),
            executable: true,
        },
    );
    a.add("bin/sh", Entry::Symlink("busybox".into()));
    for dir in [
        "sbin", "usr/bin", "usr/sbin", "proc", "sys", "dev", "tmp", extra_dir,
    ] {
        a.add(dir, Entry::Dir);
    }
    a.add("dev/console", Entry::CharDev { major: 5, minor: 1 });
    a
}

/// The initramfs of one QEMU recording.
pub fn initramfs(
    busybox: &[u8],
    command: &[String],
    copies: &[PathBuf],
) -> Result<Vec<u8>, EngineError> {
    use std::os::unix::fs::PermissionsExt;
    let mut a = busybox_archive(busybox, "ptest");
    a.add("root", Entry::Dir);
    a.add(
        "init",
        Entry::File {
            data: init_script(command).into_bytes(),
            executable: true,
        },
    );
    let mut seen = std::collections::BTreeSet::new();
    for path in copies {
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        if name.is_empty() || !seen.insert(name.clone()) {
            return Err(EngineError::Usage(format!(
                "--copy {}: two copied files would both be /ptest/{name} in the guest; rename one",
                path.display()
            )));
        }
        let data = std::fs::read(path).map_err(EngineError::io(path))?;
        let mode = std::fs::metadata(path)
            .map_err(EngineError::io(path))?
            .permissions()
            .mode();
        a.add(
            &format!("ptest/{name}"),
            Entry::File {
                data,
                executable: mode & 0o111 != 0,
            },
        );
    }
    Ok(a.gzip())
}

/// An initramfs whose `/init` loads `modules` (name, contents; in order) and leaves an
/// interactive shell on the console with the prompt `guest# `: a stand-in for a PANDA
/// image's booted snapshot, to exercise the console/monitor automation (and, with the
/// CD modules, the CD steps) against upstream QEMU.
pub fn shell_initramfs(busybox: &[u8], modules: &[(String, Vec<u8>)]) -> Vec<u8> {
    shell_initramfs_with_prompt(busybox, modules, "guest# ")
}

/// [`shell_initramfs`] with the shell prompt `ps1` (literal text; it must not contain `'`).
/// The `panda-busybox` image's snapshot is this guest sitting at its prompt.
pub fn shell_initramfs_with_prompt(
    busybox: &[u8],
    modules: &[(String, Vec<u8>)],
    ps1: &str,
) -> Vec<u8> {
    guest_initramfs(busybox, modules, ps1, Vec::new())
}

/// [`shell_initramfs_with_prompt`] with `extra` entries (a guest's Debian programs and
/// files) added before `/init`. busybox's `--install` at boot leaves them in place: it
/// only links applets whose names are free.
pub fn guest_initramfs(
    busybox: &[u8],
    modules: &[(String, Vec<u8>)],
    ps1: &str,
    extra: Vec<(String, Entry)>,
) -> Vec<u8> {
    let mut a = busybox_archive(busybox, "mnt");
    for (path, entry) in extra {
        a.add(&path, entry);
    }
    let mut init = String::from(
        "#!/bin/sh\n/bin/busybox --install -s\nmount -t proc proc /proc\nmount -t devtmpfs devtmpfs /dev\n",
    );
    for (name, data) in modules {
        a.add(
            &format!("lib/ptest-modules/{name}.ko"),
            Entry::File {
                data: data.clone(),
                executable: false,
            },
        );
        init.push_str(&format!("insmod /lib/ptest-modules/{name}.ko\n"));
    }
    init.push_str(&format!("ln -s sr0 /dev/cdrom\nexport PATH=/bin:/sbin:/usr/bin:/usr/sbin PS1='{ps1}'\nexec setsid cttyhack sh\n"));
    a.add(
        "init",
        Entry::File {
            data: init.into_bytes(),
            executable: true,
        },
    );
    a.gzip()
}
