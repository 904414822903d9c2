//! The regression directory: `qcows/`, `replays/NAME/`, `blessed/NAME/`, `tmpout/NAME/`,
//! `misc/NAME/`, `logs/NAME/` (as ptest.py laid it out, plus logs) and `.ptest/`, ptest's
//! own state and locks (the locks themselves are `suite::lock`'s, which builds on this
//! module; this one must not use it, so that there is no import cycle).

use std::io;
use std::path::{Path, PathBuf};

/// The per-test folders, in the order `init` creates them.
pub const PER_TEST_DIRS: [&str; 6] = ["replays", "blessed", "tmpout", "misc", "logs", "qcows"];

#[derive(Debug, thiserror::Error)]
pub enum RegDirError {
    #[error(
        "no regression directory: set PANDA_REGRESSION_DIR (export PANDA_REGRESSION_DIR=$HOME/panda-regression) or pass --regression-dir DIR"
    )]
    NotSet,
    #[error(
        "{}: another ptest is already running on this regression directory ({holder}); wait for it to finish or use another --regression-dir",
        path.display()
    )]
    Locked { path: PathBuf, holder: String },
    #[error(
        "test {test}: another ptest is already running it ({holder}; lock {}); wait for it to finish, or leave {test} out of this run",
        lock.display()
    )]
    TestLocked {
        test: String,
        holder: String,
        lock: PathBuf,
    },
    #[error(
        "{}: not a ptest regression directory and not empty; pick an empty or new directory (or `ptest init --force` to adopt it)",
        path.display()
    )]
    Foreign { path: PathBuf },
    #[error(
        "{}: expected a directory, found a {kind}; remove it (ptest never follows links out of the regression directory) or run `ptest init --force`",
        path.display()
    )]
    NotADirectory { path: PathBuf, kind: &'static str },
    #[error(
        "{}: the regression directory does not exist: run `ptest init` first",
        path.display()
    )]
    Missing { path: PathBuf },
    #[error(
        "{}: the regression directory is a file, not a directory; point PANDA_REGRESSION_DIR (or --regression-dir) at a directory",
        path.display()
    )]
    RootNotADirectory { path: PathBuf },
    #[error(
        "{}: the regression directory is a symbolic link to {}, which does not exist; create that directory or point PANDA_REGRESSION_DIR (or --regression-dir) elsewhere",
        path.display(), target.display()
    )]
    DanglingLink { path: PathBuf, target: PathBuf },
    #[error("{}: {source}", path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: io::Error,
    },
}

fn io_err(path: &Path) -> impl FnOnce(io::Error) -> RegDirError + '_ {
    move |source| RegDirError::Io {
        path: path.to_path_buf(),
        source,
    }
}

#[derive(Debug, Clone)]
pub struct RegressionDir {
    pub root: PathBuf,
}

impl RegressionDir {
    pub fn new(root: Option<&Path>) -> Result<RegressionDir, RegDirError> {
        let root = root.ok_or(RegDirError::NotSet)?;
        let root = std::path::absolute(root).map_err(io_err(root))?;
        Ok(RegressionDir { root })
    }

    pub fn qcows(&self) -> PathBuf {
        self.root.join("qcows")
    }
    pub fn dir(&self, kind: &str, test: &str) -> PathBuf {
        self.root.join(kind).join(test)
    }
    pub fn replays(&self, test: &str) -> PathBuf {
        self.dir("replays", test)
    }
    pub fn blessed(&self, test: &str) -> PathBuf {
        self.dir("blessed", test)
    }
    pub fn tmpout(&self, test: &str) -> PathBuf {
        self.dir("tmpout", test)
    }
    pub fn misc(&self, test: &str) -> PathBuf {
        self.dir("misc", test)
    }
    pub fn logs(&self, test: &str) -> PathBuf {
        self.dir("logs", test)
    }
    /// ptest's own state: last results, lock, the Python helper.
    pub fn state_dir(&self) -> PathBuf {
        self.root.join(".ptest")
    }

    /// A ptest regression directory has `.ptest/`; one ptest.py made has its layout folders.
    pub fn is_recognised(&self) -> bool {
        self.state_dir().is_dir()
            || ["replays", "blessed", "tmpout"]
                .iter()
                .all(|d| self.root.join(d).is_dir())
    }

    /// For commands other than `init`: the directory must exist and be ours.
    pub fn require_existing(&self) -> Result<(), RegDirError> {
        self.check_root()?;
        if !self.root.is_dir() {
            return Err(RegDirError::Missing {
                path: self.root.clone(),
            });
        }
        // Empty first, recognised second (see `create_layout`).
        if !is_empty_dir(&self.root)? && !self.is_recognised() {
            return Err(RegDirError::Foreign {
                path: self.root.clone(),
            });
        }
        Ok(())
    }

    /// The root may be a link to a directory (the user chose that path), never a file.
    fn check_root(&self) -> Result<(), RegDirError> {
        match std::fs::metadata(&self.root) {
            Ok(meta) if !meta.is_dir() => Err(RegDirError::RootNotADirectory {
                path: self.root.clone(),
            }),
            // A link whose target is gone: creating the directory would fail with a bare
            // "File exists".
            Err(_) if self.root.is_symlink() => Err(RegDirError::DanglingLink {
                path: self.root.clone(),
                target: std::fs::read_link(&self.root).unwrap_or_default(),
            }),
            _ => Ok(()),
        }
    }

    /// Create `path` as a directory inside the regression directory. An existing entry that
    /// is not a directory (a file, or a symlink — never followed) is an error unless
    /// `force`, which removes that one entry (a link is removed, not its target).
    pub fn ensure_dir(&self, path: &Path, force: bool) -> Result<(), RegDirError> {
        let mut current = self.root.clone();
        let relative = path.strip_prefix(&self.root).unwrap_or(path);
        let mut chain = vec![self.root.clone()];
        for part in relative.components() {
            current.push(part);
            chain.push(current.clone());
        }
        for dir in chain {
            // Links are never followed inside the directory; the root itself may be one.
            let meta = if dir == self.root {
                std::fs::metadata(&dir)
            } else {
                std::fs::symlink_metadata(&dir)
            };
            match meta {
                Ok(meta) if meta.is_dir() => continue,
                Ok(meta) => {
                    let kind = if meta.file_type().is_symlink() {
                        "symbolic link"
                    } else {
                        "file"
                    };
                    if !force || dir == self.root {
                        return Err(RegDirError::NotADirectory { path: dir, kind });
                    }
                    std::fs::remove_file(&dir).map_err(io_err(&dir))?;
                    std::fs::create_dir(&dir).map_err(io_err(&dir))?;
                }
                Err(e) if e.kind() == io::ErrorKind::NotFound => match std::fs::create_dir(&dir) {
                    Ok(()) => {}
                    // Another test starting at the same moment made it: fine if it is a
                    // folder (not a link someone put there meanwhile).
                    Err(e)
                        if e.kind() == io::ErrorKind::AlreadyExists
                            && std::fs::symlink_metadata(&dir).is_ok_and(|m| m.is_dir()) => {}
                    Err(e) => return Err(io_err(&dir)(e)),
                },
                Err(e) => return Err(io_err(&dir)(e)),
            }
        }
        Ok(())
    }

    /// Create the layout for `tests`. Creates only; never removes anything but, with
    /// `force`, non-directories standing where a layout folder must be.
    pub fn create_layout(&self, tests: &[&str], force: bool) -> Result<(), RegDirError> {
        self.check_root()?;
        // Empty first, recognised second: a concurrent `init` only adds entries, so what it
        // adds between the two looks is its `.ptest` (recognised), never a foreign file.
        if self.root.exists() && !is_empty_dir(&self.root)? && !self.is_recognised() && !force {
            return Err(RegDirError::Foreign {
                path: self.root.clone(),
            });
        }
        std::fs::create_dir_all(&self.root).map_err(io_err(&self.root))?;
        self.ensure_dir(&self.state_dir(), force)?;
        for kind in PER_TEST_DIRS {
            self.ensure_dir(&self.root.join(kind), force)?;
            if kind == "qcows" {
                continue;
            }
            for test in tests {
                self.ensure_dir(&self.dir(kind, test), force)?;
            }
        }
        Ok(())
    }

    /// Empty `tmpout/NAME/` (creating it), refusing to follow a link out of the directory.
    pub fn clear_tmpout(&self, test: &str) -> Result<PathBuf, RegDirError> {
        let dir = self.tmpout(test);
        match std::fs::symlink_metadata(&dir) {
            Ok(meta) if meta.is_dir() => {
                std::fs::remove_dir_all(&dir).map_err(io_err(&dir))?;
            }
            Ok(meta) => {
                let kind = if meta.file_type().is_symlink() {
                    "symbolic link"
                } else {
                    "file"
                };
                return Err(RegDirError::NotADirectory { path: dir, kind });
            }
            Err(_) => {}
        }
        self.ensure_dir(&dir, false)?;
        Ok(dir)
    }

    /// Names of tests with a blessed reference (hidden staging entries skipped).
    pub fn blessed_tests(&self) -> Result<Vec<String>, RegDirError> {
        let blessed = self.root.join("blessed");
        let mut names = Vec::new();
        let entries = match std::fs::read_dir(&blessed) {
            Ok(entries) => entries,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(names),
            Err(e) => return Err(io_err(&blessed)(e)),
        };
        for entry in entries {
            let entry = entry.map_err(io_err(&blessed))?;
            let Some(name) = entry.file_name().to_str().map(str::to_string) else {
                continue;
            };
            if !name.starts_with('.') && entry.file_type().is_ok_and(|t| t.is_dir()) {
                names.push(name);
            }
        }
        names.sort();
        Ok(names)
    }
}

fn is_empty_dir(path: &Path) -> Result<bool, RegDirError> {
    Ok(std::fs::read_dir(path)
        .map_err(io_err(path))?
        .next()
        .is_none())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tests_creating_one_folder_at_the_same_moment_all_succeed() {
        // Tests starting together each make logs/, replays/ … on their first run; the
        // loser of the race used to fail with "File exists".
        let tmp = tempfile::tempdir().expect("temp dir");
        let regdir = RegressionDir::new(Some(tmp.path())).expect("regdir");
        for round in 0..200 {
            let barrier = std::sync::Barrier::new(8);
            let target = regdir.root.join(format!("logs{round}")).join("t");
            std::thread::scope(|s| {
                let handles: Vec<_> = (0..8)
                    .map(|_| {
                        s.spawn(|| {
                            barrier.wait();
                            regdir.ensure_dir(&target, false)
                        })
                    })
                    .collect();
                for h in handles {
                    let result = h.join().expect("thread");
                    assert!(result.is_ok(), "round {round}: {result:?}");
                }
            });
        }
    }
}
