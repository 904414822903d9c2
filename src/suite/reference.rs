//! Replacing a test's blessed reference atomically.
//!
//! The new outputs are moved into a hidden staging folder beside `blessed/NAME`, then
//! swapped in with one `renameat2(RENAME_EXCHANGE)`: at every instant `blessed/NAME` is
//! either the whole old reference or the whole new one, even if ptest is SIGKILLed. Where
//! the filesystem cannot exchange, the old folder is first renamed to `.NAME.old`, and
//! [`recover`] (run under the lock at start-up) puts it back if ptest died in between.

use std::io;
use std::path::{Path, PathBuf};

use rustix::fs::{CWD, RenameFlags, renameat_with};

use super::regdir::RegressionDir;

fn staging(regdir: &RegressionDir, test: &str) -> PathBuf {
    regdir
        .root
        .join("blessed")
        .join(format!(".{test}.staging-{}", std::process::id()))
}

fn old_copy(regdir: &RegressionDir, test: &str) -> PathBuf {
    regdir.root.join("blessed").join(format!(".{test}.old"))
}

/// Make the contents of `source` (a folder of outputs) the blessed reference of `test`.
/// `source` is moved, not copied, when it is on the same filesystem.
pub fn promote(regdir: &RegressionDir, test: &str, source: &Path) -> io::Result<()> {
    let target = regdir.blessed(test);
    let stage = staging(regdir, test);
    remove_if_exists(&stage)?;
    if let Err(e) = std::fs::rename(source, &stage) {
        if e.raw_os_error() != Some(rustix::io::Errno::XDEV.raw_os_error()) {
            return Err(e);
        }
        copy_tree(source, &stage)?;
    }
    // A reference is a directory; an empty leftover from `init` is replaced like any other.
    if std::fs::symlink_metadata(&target).is_err() {
        return std::fs::rename(&stage, &target);
    }
    match renameat_with(CWD, &stage, CWD, &target, RenameFlags::EXCHANGE) {
        Ok(()) => remove_if_exists(&stage),
        Err(e) if e == rustix::io::Errno::INVAL || e == rustix::io::Errno::NOSYS => {
            let old = old_copy(regdir, test);
            remove_if_exists(&old)?;
            std::fs::rename(&target, &old)?;
            std::fs::rename(&stage, &target)?;
            remove_if_exists(&old)
        }
        Err(e) => Err(e.into()),
    }
}

/// Undo what an interrupted [`promote`] left behind: restore `.NAME.old` where `NAME` is
/// missing, and delete staging folders. Call with the regression directory locked.
pub fn recover(regdir: &RegressionDir) -> io::Result<Vec<String>> {
    let blessed = regdir.root.join("blessed");
    let mut restored = Vec::new();
    let Ok(entries) = std::fs::read_dir(&blessed) else {
        return Ok(restored);
    };
    for entry in entries {
        let entry = entry?;
        let Some(name) = entry.file_name().to_str().map(str::to_string) else {
            continue;
        };
        let Some(hidden) = name.strip_prefix('.') else {
            continue;
        };
        if let Some(test) = hidden.strip_suffix(".old") {
            let target = regdir.blessed(test);
            if std::fs::symlink_metadata(&target).is_err() {
                std::fs::rename(entry.path(), &target)?;
                restored.push(test.to_string());
            } else {
                remove_if_exists(&entry.path())?;
            }
        } else if hidden.contains(".staging-") {
            remove_if_exists(&entry.path())?;
        }
    }
    Ok(restored)
}

/// Check that `dir` holds only regular files and folders with UTF-8 names, so it can be
/// blessed and compared later. Returns the number of files.
pub fn check_outputs(dir: &Path) -> Result<usize, String> {
    let mut files = 0;
    let entries = std::fs::read_dir(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    for entry in entries {
        let entry = entry.map_err(|e| format!("{}: {e}", dir.display()))?;
        let path = entry.path();
        if entry.file_name().to_str().is_none() {
            return Err(format!(
                "{}: file name is not valid UTF-8; rename it",
                path.display()
            ));
        }
        let meta =
            std::fs::symlink_metadata(&path).map_err(|e| format!("{}: {e}", path.display()))?;
        let kind = meta.file_type();
        // Owner permissions, not access(2): root reads anything, but a reference only
        // root can read fails every later run of an ordinary user.
        let mode = std::os::unix::fs::PermissionsExt::mode(&meta.permissions());
        let unreadable = |what: &str| {
            Err(format!(
                "{} is not readable (mode {:03o}); make it readable ({what}) before blessing",
                path.display(),
                mode & 0o777
            ))
        };
        if kind.is_dir() {
            if mode & 0o500 != 0o500 {
                return unreadable("chmod u+rx");
            }
            files += check_outputs(&path)?;
        } else if kind.is_file() {
            if mode & 0o400 == 0 {
                return unreadable("chmod u+r");
            }
            files += 1;
        } else {
            let what = if kind.is_symlink() {
                "a symbolic link"
            } else {
                "not a regular file (FIFO, socket or device)"
            };
            return Err(format!(
                "{} is {what}; outputs must be regular files: write the content instead",
                path.display()
            ));
        }
    }
    Ok(files)
}

fn remove_if_exists(path: &Path) -> io::Result<()> {
    match std::fs::symlink_metadata(path) {
        Ok(meta) if meta.is_dir() => std::fs::remove_dir_all(path),
        Ok(_) => std::fs::remove_file(path),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(e),
    }
}

/// Copy a folder of regular files and folders (outputs are checked for links and FIFOs
/// before they are promoted).
fn copy_tree(from: &Path, to: &Path) -> io::Result<()> {
    std::fs::create_dir(to)?;
    for entry in std::fs::read_dir(from)? {
        let entry = entry?;
        let dest = to.join(entry.file_name());
        if entry.file_type()?.is_dir() {
            copy_tree(&entry.path(), &dest)?;
        } else {
            std::fs::copy(entry.path(), &dest)?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn regdir() -> (tempfile::TempDir, RegressionDir) {
        let tmp = tempfile::tempdir().unwrap();
        let regdir = RegressionDir::new(Some(tmp.path())).unwrap();
        regdir.create_layout(&["t"], false).unwrap();
        (tmp, regdir)
    }

    fn write(dir: &Path, name: &str, text: &str) {
        std::fs::create_dir_all(dir).unwrap();
        std::fs::write(dir.join(name), text).unwrap();
    }

    #[test]
    fn promote_replaces_whole_reference() {
        let (_tmp, regdir) = regdir();
        write(&regdir.blessed("t"), "old.out", "old");
        let out = regdir.tmpout("t");
        write(&out, "new.out", "new");
        promote(&regdir, "t", &out).unwrap();
        let blessed = regdir.blessed("t");
        assert!(!blessed.join("old.out").exists());
        assert_eq!(
            std::fs::read_to_string(blessed.join("new.out")).unwrap(),
            "new"
        );
        assert_eq!(regdir.blessed_tests().unwrap(), ["t"]);
    }

    #[test]
    fn recover_restores_old_reference_after_a_crash_between_renames() {
        let (_tmp, regdir) = regdir();
        std::fs::remove_dir(regdir.blessed("t")).unwrap();
        write(&old_copy(&regdir, "t"), "a.out", "kept");
        write(&staging(&regdir, "t"), "a.out", "half");
        assert_eq!(recover(&regdir).unwrap(), ["t"]);
        let text = std::fs::read_to_string(regdir.blessed("t").join("a.out")).unwrap();
        assert_eq!(text, "kept");
        assert!(!staging(&regdir, "t").exists());
    }
}
