//! Debian programs for a guest's initramfs: the packages a guest lists (with the
//! libraries they load) downloaded at apt's candidate versions, unpacked with `dpkg -x`
//! and cached by those versions; [`entries`] turns the unpacked tree into initramfs
//! entries. Also foreign architectures: [`ensure_architecture`] (apt must know one
//! before it can name its packages) and the names of such packages (`NAME:ARCH`).

use std::path::{Path, PathBuf};
use std::process::Command;

use super::{parse_candidate, run};
use crate::EngineError;
use crate::initramfs::Entry;
use crate::observe::Observer;

/// What a guest needs from the unpacked packages: no documentation, translations or
/// character-set converters (the guest's programs run in the C locale).
const PRUNED: &[&str] = &[
    "usr/share/doc",
    "usr/share/man",
    "usr/share/info",
    "usr/share/locale",
    "usr/share/lintian",
    "usr/share/bug",
    "usr/lib/i386-linux-gnu/gconv",
    "usr/lib/x86_64-linux-gnu/gconv",
];

/// `NAME` of a package named `NAME:ARCH` (or `NAME`).
pub(crate) fn unqualified(pkg: &str) -> &str {
    pkg.split_once(':').map_or(pkg, |(name, _)| name)
}

/// The `-dbg` package of `kernel` (which may be `NAME:ARCH`), at `version`.
pub(crate) fn debug_package(kernel: &str, version: &str) -> String {
    match kernel.split_once(':') {
        Some((name, arch)) => format!("{name}-dbg:{arch}={version}"),
        None => format!("{kernel}-dbg={version}"),
    }
}

/// Lets apt name packages of Debian architecture `arch` (`dpkg --add-architecture` and
/// `apt-get update`, as root), once per machine.
pub fn ensure_architecture(arch: &str, observer: &dyn Observer) -> Result<(), EngineError> {
    let native = run(
        Command::new("dpkg").arg("--print-architecture"),
        "dpkg --print-architecture",
    )?;
    let foreign = run(
        Command::new("dpkg").arg("--print-foreign-architectures"),
        "dpkg --print-foreign-architectures",
    )?;
    if native.trim() == arch || foreign.split_whitespace().any(|a| a == arch) {
        return Ok(());
    }
    if !rustix::process::geteuid().is_root() {
        return Err(EngineError::Image(format!(
            "apt does not know Debian architecture {arch}; run `dpkg --add-architecture {arch} && apt-get update` as root"
        )));
    }
    observer.note(&format!(
        "adding Debian architecture {arch} to apt (dpkg --add-architecture {arch}; apt-get update)"
    ));
    run(
        Command::new("dpkg").args(["--add-architecture", arch]),
        "dpkg --add-architecture",
    )?;
    run(
        Command::new("apt-get").args(["-qq", "update"]),
        "apt-get update",
    )?;
    Ok(())
}

/// The exact versions apt would download now, as `NAME=VERSION` (names as given).
pub fn resolve(packages: &[String]) -> Result<Vec<String>, EngineError> {
    if packages.is_empty() {
        return Ok(Vec::new());
    }
    let out = run(
        Command::new("apt-cache").arg("policy").args(packages),
        "apt-cache policy",
    )?;
    packages
        .iter()
        .map(|p| {
            parse_candidate(&out, p).map(|v| format!("{p}={v}")).ok_or_else(|| {
                EngineError::Image(format!(
                    "apt has no installable version of {p}; run `apt-get update` (as root) first"
                ))
            })
        })
        .collect()
}

/// The packages `pinned` (`NAME=VERSION`) unpacked into `cache/KEY/root`, KEY naming the
/// versions; unpacked now when missing.
pub fn unpacked(cache: &Path, pinned: &[String]) -> Result<PathBuf, EngineError> {
    let key = crate::hash::sha256_bytes(pinned.join("\n").as_bytes());
    let dir = cache.join(format!("userland-{}", &key[..16]));
    let root = dir.join("root");
    if dir.join("packages.txt").is_file() {
        return Ok(root);
    }
    crate::cache::atomically(&dir, |work| {
        let root = work.join("root");
        for deb in super::apt_download(&work.join("debs"), pinned)? {
            run(
                Command::new("dpkg").arg("-x").arg(&deb).arg(&root),
                "dpkg -x",
            )?;
        }
        for p in PRUNED {
            let _ = std::fs::remove_dir_all(root.join(p));
        }
        let _ = std::fs::remove_dir_all(work.join("debs"));
        let list = work.join("packages.txt");
        std::fs::write(&list, pinned.join("\n") + "\n").map_err(EngineError::io(&list))
    })?;
    Ok(root)
}

/// Every directory, file and symbolic link under `root`, as initramfs entries at the
/// same paths (relative, sorted by the archive itself).
pub fn entries(root: &Path) -> Result<Vec<(String, Entry)>, EngineError> {
    use std::os::unix::fs::PermissionsExt;
    let mut out = Vec::new();
    let mut todo = vec![root.to_path_buf()];
    while let Some(dir) = todo.pop() {
        for e in std::fs::read_dir(&dir).map_err(EngineError::io(&dir))? {
            let path = e.map_err(EngineError::io(&dir))?.path();
            let rel = path
                .strip_prefix(root)
                .map(|r| r.to_string_lossy().into_owned())
                .unwrap_or_default();
            let meta = std::fs::symlink_metadata(&path).map_err(EngineError::io(&path))?;
            let entry = if meta.file_type().is_symlink() {
                let target = std::fs::read_link(&path).map_err(EngineError::io(&path))?;
                Entry::Symlink(target.to_string_lossy().into_owned())
            } else if meta.is_dir() {
                todo.push(path.clone());
                Entry::Dir
            } else {
                Entry::File {
                    data: std::fs::read(&path).map_err(EngineError::io(&path))?,
                    executable: meta.permissions().mode() & 0o111 != 0,
                }
            };
            out.push((rel, entry));
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries_keep_files_links_and_modes() {
        let tmp = tempfile::tempdir().unwrap();
        let root = tmp.path();
        std::fs::create_dir_all(root.join("usr/bin")).unwrap();
        std::fs::write(root.join("usr/bin/file"), b"ELF").unwrap();
        std::fs::set_permissions(
            root.join("usr/bin/file"),
            std::os::unix::fs::PermissionsExt::from_mode(0o755),
        )
        .unwrap();
        std::os::unix::fs::symlink("i386-linux-gnu/ld-linux.so.2", root.join("ld.so")).unwrap();
        let mut got = entries(root).unwrap();
        got.sort_by(|a, b| a.0.cmp(&b.0));
        assert_eq!(
            got,
            vec![
                (
                    "ld.so".into(),
                    Entry::Symlink("i386-linux-gnu/ld-linux.so.2".into())
                ),
                ("usr".into(), Entry::Dir),
                ("usr/bin".into(), Entry::Dir),
                (
                    "usr/bin/file".into(),
                    Entry::File {
                        data: b"ELF".to_vec(),
                        executable: true
                    }
                ),
            ]
        );
    }
}
