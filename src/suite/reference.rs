//! Replacing a test's blessed reference atomically. It owns the swap and the recovery
//! after a crash; what may be blessed is the bless module's to decide, never this module's.
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
    let stage = staging(regdir, test);
    remove_if_exists(&stage)?;
    if let Err(e) = std::fs::rename(source, &stage) {
        if e.raw_os_error() != Some(rustix::io::Errno::XDEV.raw_os_error()) {
            return Err(e);
        }
        copy_tree(source, &stage)?;
    }
    if let Err(e) = unshare_links(&stage) {
        let _ = remove_if_exists(&stage);
        return Err(e);
    }
    swap_in(regdir, test, &stage)
}

/// Replace every file of `dir` that has other hard links by a copy of it: a reference
/// must be ptest's own inode, or an output linked to a file outside (`ln /some/file
/// "$PTEST_TMPOUT_DIR/x"`) would change the reference whenever that file changes.
fn unshare_links(dir: &Path) -> io::Result<()> {
    use std::os::unix::fs::MetadataExt;
    for (name, entry) in crate::tree::walk(dir)? {
        let path = dir.join(&name);
        if !matches!(entry, crate::tree::Entry::File)
            || std::fs::symlink_metadata(&path)?.nlink() < 2
        {
            continue;
        }
        let parent = path.parent().unwrap_or(dir);
        let copy = tempfile::Builder::new()
            .prefix(".ptest-unlink-")
            .suffix(".tmp")
            .tempfile_in(parent)?;
        // Contents and permissions; the temporary file becomes the reference's own inode.
        std::fs::copy(&path, copy.path())?;
        copy.persist(&path).map_err(|e| e.error)?;
    }
    Ok(())
}

/// Swap the staged folder `stage` in as `blessed/TEST` (the second half of [`promote`]).
fn swap_in(regdir: &RegressionDir, test: &str, stage: &Path) -> io::Result<()> {
    let target = regdir.blessed(test);
    // A reference is a directory; an empty leftover from `init` is replaced like any other.
    if std::fs::symlink_metadata(&target).is_err() {
        return std::fs::rename(stage, &target);
    }
    match renameat_with(CWD, stage, CWD, &target, RenameFlags::EXCHANGE) {
        Ok(()) => remove_if_exists(stage),
        Err(e) if e == rustix::io::Errno::INVAL || e == rustix::io::Errno::NOSYS => {
            let old = old_copy(regdir, test);
            remove_if_exists(&old)?;
            std::fs::rename(&target, &old)?;
            std::fs::rename(stage, &target)?;
            remove_if_exists(&old)
        }
        Err(e) => Err(e.into()),
    }
}

/// Take only `files` (relative names) of `source` into `test`'s blessed reference; the
/// other blessed files stay. A named file `source` lacks is removed from the reference.
/// The new reference is built in the staging folder (blessed files hard-linked, chosen
/// files copied, so `source` keeps them) and swapped in whole, as by [`promote`]: a crash
/// leaves the old reference or the new one, never a mix. Names must be plain relative
/// paths, and nothing on the way to a file may be a link: nothing outside the regression
/// directory is read or written.
pub fn promote_files(
    regdir: &RegressionDir,
    test: &str,
    source: &Path,
    files: &[&str],
) -> io::Result<()> {
    let target = regdir.blessed(test);
    for name in files {
        let plain = Path::new(name)
            .components()
            .all(|c| matches!(c, std::path::Component::Normal(_)));
        if !plain || name.is_empty() {
            return Err(io::Error::other(format!(
                "{name:?} is not a plain relative file name"
            )));
        }
        // A linked folder on the way would take the file from elsewhere.
        let mut at = source.to_path_buf();
        for part in Path::new(name)
            .parent()
            .into_iter()
            .flat_map(Path::components)
        {
            at.push(part);
            if !std::fs::symlink_metadata(&at).is_ok_and(|m| m.is_dir()) {
                return Err(io::Error::other(format!(
                    "{} is not a folder (links are never followed)",
                    at.display()
                )));
            }
        }
    }
    let stage = staging(regdir, test);
    remove_if_exists(&stage)?;
    std::fs::create_dir(&stage)?;
    let built = (|| {
        for (name, entry) in crate::tree::walk(&target)? {
            if let crate::tree::Entry::Invalid(reason) = entry {
                return Err(io::Error::other(format!("{name} {reason}")));
            }
            if !files.contains(&name.as_str()) {
                place(&target.join(&name), &stage.join(&name), true)?;
            }
        }
        for name in files {
            let from = source.join(name);
            match std::fs::symlink_metadata(&from) {
                Ok(m) if m.is_file() => place(&from, &stage.join(name), false)?,
                Ok(_) => {
                    return Err(io::Error::other(format!(
                        "{} is not a regular file",
                        from.display()
                    )));
                }
                Err(e) if e.kind() == io::ErrorKind::NotFound => {}
                Err(e) => return Err(e),
            }
        }
        Ok(())
    })();
    if let Err(e) = built {
        let _ = remove_if_exists(&stage);
        return Err(e);
    }
    swap_in(regdir, test, &stage)
}

/// Put `from` at `to` (parents made): a hard link when `link` (a blessed file, never
/// written in place), else a copy (a pending output the next run may overwrite).
fn place(from: &Path, to: &Path, link: bool) -> io::Result<()> {
    if let Some(parent) = to.parent() {
        std::fs::create_dir_all(parent)?;
    }
    if link && std::fs::hard_link(from, to).is_ok() {
        return Ok(());
    }
    std::fs::copy(from, to).map(|_| ())
}

/// Undo what an interrupted [`promote`] left behind: restore `.NAME.old` where `NAME` is
/// missing, and delete staging folders. Call with the whole regression directory locked
/// ([`RegressionDir::lock`]); with only some tests locked, use [`recover_tests`].
pub fn recover(regdir: &RegressionDir) -> io::Result<Vec<String>> {
    recover_matching(regdir, &|_| true)
}

/// [`recover`] for `tests` only, whose locks the caller holds: another process may be
/// promoting any other test right now, its staging folder in use.
pub fn recover_tests(regdir: &RegressionDir, tests: &[&str]) -> io::Result<Vec<String>> {
    recover_matching(regdir, &|name| tests.contains(&name))
}

fn recover_matching(
    regdir: &RegressionDir,
    mine: &dyn Fn(&str) -> bool,
) -> io::Result<Vec<String>> {
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
            if !mine(test) {
                continue;
            }
            let target = regdir.blessed(test);
            if std::fs::symlink_metadata(&target).is_err() {
                std::fs::rename(entry.path(), &target)?;
                restored.push(test.to_string());
            } else {
                remove_if_exists(&entry.path())?;
            }
        } else if let Some((test, _pid)) = hidden.rsplit_once(".staging-")
            && mine(test)
        {
            remove_if_exists(&entry.path())?;
        }
    }
    Ok(restored)
}

fn remove_if_exists(path: &Path) -> io::Result<()> {
    match std::fs::symlink_metadata(path) {
        Ok(meta) if meta.is_dir() => std::fs::remove_dir_all(path),
        Ok(_) => std::fs::remove_file(path),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(e),
    }
}

/// Copy a folder's files (outputs are checked for links and FIFOs before they are
/// promoted, by the bless module); folders are made as the files need them.
fn copy_tree(from: &Path, to: &Path) -> io::Result<()> {
    std::fs::create_dir(to)?;
    for (name, entry) in crate::tree::walk(from)? {
        if let crate::tree::Entry::Invalid(reason) = entry {
            return Err(io::Error::other(format!("{name} {reason}")));
        }
        let dest = to.join(&name);
        if let Some(parent) = dest.parent() {
            std::fs::create_dir_all(parent)?;
        }
        std::fs::copy(from.join(&name), &dest)?;
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
    fn promote_files_takes_only_the_chosen_files_and_keeps_the_source() {
        let (_tmp, regdir) = regdir();
        let blessed = regdir.blessed("t");
        write(&blessed, "keep.out", "old keep");
        write(&blessed, "take.out", "old take");
        write(&blessed, "gone.out", "old gone");
        let out = regdir.tmpout("t");
        write(&out, "keep.out", "new keep");
        write(&out, "take.out", "new take");
        write(&out.join("sub"), "added.out", "new added");
        promote_files(
            &regdir,
            "t",
            &out,
            &["take.out", "sub/added.out", "gone.out"],
        )
        .unwrap();
        let read = |n: &str| std::fs::read_to_string(blessed.join(n)).unwrap();
        assert_eq!(read("keep.out"), "old keep");
        assert_eq!(read("take.out"), "new take");
        assert_eq!(read("sub/added.out"), "new added");
        assert!(!blessed.join("gone.out").exists());
        assert_eq!(
            std::fs::read_to_string(out.join("take.out")).unwrap(),
            "new take"
        );
        // Nothing left beside the reference.
        assert_eq!(regdir.blessed_tests().unwrap(), ["t"]);

        for bad in ["../x", "/etc/passwd", ""] {
            assert!(promote_files(&regdir, "t", &out, &[bad]).is_err(), "{bad}");
        }
        std::os::unix::fs::symlink("/etc", out.join("link")).unwrap();
        assert!(promote_files(&regdir, "t", &out, &["link/passwd"]).is_err());
        assert_eq!(read("keep.out"), "old keep");
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
