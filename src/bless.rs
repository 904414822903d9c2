//! Blessing: making a run's outputs a test's reference. A step after the runner, shared by
//! `ptest bless` (as the runner's [`AfterAttempt`] step, for each attempt whose script exited 0
//! and produced outputs) and `ptest accept` (for the last `test` run's outputs).
//!
//! It owns the checks on what may become a reference ([`blessable`]) and the words a bless
//! reports; the atomic swap itself is [`crate::suite::reference`]'s. It must not run
//! scripts or print: it fills in the result the runner hands it.

use std::path::{Path, PathBuf};

use crate::compare::{CompareError, Comparer};
use crate::record;
use crate::runner::{AfterAttempt, Reason, Status, TestResult};
use crate::suite::{RegressionDir, TestDef, reference};
use crate::tree;

/// Why a folder of outputs cannot become a reference. The message names the file and the
/// fix.
#[derive(Debug, thiserror::Error)]
pub enum NotBlessable {
    #[error("{}: {source}", path.display())]
    Unreadable {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// A link, FIFO, socket, device, non-UTF-8 name or unreadable folder.
    #[error("{} {reason}", path.display())]
    Invalid { path: PathBuf, reason: String },
    /// Only root could read it: every later run of an ordinary user would fail.
    #[error(
        "{} is not readable (mode {mode:03o}); make it readable ({fix}) before blessing",
        path.display()
    )]
    Mode {
        path: PathBuf,
        mode: u32,
        fix: &'static str,
    },
}

/// Check that `dir` holds only regular files in readable folders, with UTF-8 names, so it
/// can be blessed and compared later. Returns the number of files.
pub fn blessable(dir: &Path) -> Result<usize, NotBlessable> {
    let entries = tree::walk(dir).map_err(|source| NotBlessable::Unreadable {
        path: dir.to_path_buf(),
        source,
    })?;
    // Owner permissions, not access(2): root reads anything, but a reference only root
    // can read fails every later run of an ordinary user.
    let mode_of = |path: &Path| {
        std::fs::symlink_metadata(path)
            .map(|m| std::os::unix::fs::PermissionsExt::mode(&m.permissions()) & 0o777)
            .map_err(|source| NotBlessable::Unreadable {
                path: path.to_path_buf(),
                source,
            })
    };
    let mut folders_checked = std::collections::BTreeSet::new();
    for (name, entry) in &entries {
        let path = dir.join(name);
        if let tree::Entry::Invalid(reason) = entry {
            return Err(NotBlessable::Invalid {
                path,
                reason: reason.clone(),
            });
        }
        // The folders on the way to the file, outermost first.
        for (end, _) in name.match_indices('/') {
            let folder = &name[..end];
            if folders_checked.insert(folder.to_string()) {
                let at = dir.join(folder);
                let mode = mode_of(&at)?;
                if mode & 0o500 != 0o500 {
                    return Err(NotBlessable::Mode {
                        path: at,
                        mode,
                        fix: "chmod u+rx",
                    });
                }
            }
        }
        let mode = mode_of(&path)?;
        if mode & 0o400 == 0 {
            return Err(NotBlessable::Mode {
                path,
                mode,
                fix: "chmod u+r",
            });
        }
    }
    Ok(entries.len())
}

/// Why the last run of `name` cannot be accepted (by `ptest accept` or `ptest review`),
/// worded for "not accepting NAME: …"; `None` when it can.
pub fn not_acceptable(name: &str, last: Option<&crate::runner::state::LastRun>) -> Option<String> {
    match last {
        None => Some("it has no recorded run: run `ptest test` first".to_string()),
        Some(l) if l.mode != crate::runner::RunKind::Test => Some(format!(
            "it was last run by `ptest {}`, not `ptest test`",
            l.mode.as_str()
        )),
        Some(l) if l.accepted => Some("it was already accepted".to_string()),
        Some(l) if !l.script_ok => Some(format!(
            "its test script did not exit 0 ({}); fix it and re-run `ptest test {name}`",
            l.message().as_deref().unwrap_or("failed")
        )),
        Some(_) => None,
    }
}

/// Why a bless of one test failed (the test then errors; the old reference is intact).
#[derive(Debug, thiserror::Error)]
pub enum BlessError {
    #[error("not blessed: {0}")]
    NotBlessable(#[from] NotBlessable),
    #[error(transparent)]
    Compare(#[from] CompareError),
    #[error(
        "could not store the blessed reference in {}: {source} (the old reference is intact)",
        path.display()
    )]
    Store {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

/// `ptest bless`'s step after each attempt: check the outputs, compare them with the old
/// reference (to report what changed), and swap them in.
pub struct Bless {
    pub regdir: RegressionDir,
    /// The run's: a signal before the promotion keeps the old reference.
    pub cancel: ptest_engine::process::Cancel,
}

impl AfterAttempt for Bless {
    fn after(&self, test: &TestDef, comparer: &Comparer, result: &mut TestResult) {
        if result.status != Status::Passed {
            return;
        }
        match self.bless(test, comparer, result) {
            Ok((status, reason)) => {
                result.status = status;
                result.reason = Some(reason);
            }
            Err(why) => {
                result.status = Status::Errored;
                result.reason = Some(match why {
                    BlessError::NotBlessable(why) => Reason::NotBlessable {
                        why: why.to_string(),
                    },
                    other => Reason::Error {
                        error: other.to_string(),
                    },
                });
                result.files.clear();
            }
        }
    }
}

impl Bless {
    fn bless(
        &self,
        test: &TestDef,
        comparer: &Comparer,
        result: &mut TestResult,
    ) -> Result<(Status, Reason), BlessError> {
        let tmpout = self.regdir.tmpout(&test.name);
        let blessed = self.regdir.blessed(&test.name);
        // Refuse to bless what could not be compared later (links, FIFOs …).
        let count = blessable(&tmpout)?;
        let has_reference = tree::walk(&blessed).is_ok_and(|files| !files.is_empty());
        let changes = if has_reference {
            let cmp = comparer.compare_dirs(&blessed, &tmpout)?;
            Some(record::records(&cmp.files))
        } else {
            None
        };
        if self.cancel.requested() {
            return Ok((Status::Interrupted, Reason::InterruptedBeforeBlessing));
        }
        reference::promote(&self.regdir, &test.name, &tmpout).map_err(|source| {
            BlessError::Store {
                path: blessed.clone(),
                source,
            }
        })?;
        let reason = Reason::Blessed {
            files: count,
            against_old: changes.is_some(),
        };
        result.files = changes.unwrap_or_default();
        Ok((Status::Passed, reason))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    #[test]
    fn blessable_counts_files_and_refuses_links_and_unreadable_folders() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        std::fs::create_dir_all(d.join("sub/deeper")).unwrap();
        std::fs::write(d.join("a.out"), "a").unwrap();
        std::fs::write(d.join("sub/deeper/b.out"), "b").unwrap();
        assert_eq!(blessable(d).unwrap(), 2);

        // Root reads a folder without `r`; an ordinary user cannot. Either way: refused.
        std::fs::set_permissions(d.join("sub"), std::fs::Permissions::from_mode(0o300)).unwrap();
        let err = blessable(d).unwrap_err().to_string();
        std::fs::set_permissions(d.join("sub"), std::fs::Permissions::from_mode(0o755)).unwrap();
        assert!(err.contains(&d.join("sub").display().to_string()), "{err}");

        std::os::unix::fs::symlink("/etc/passwd", d.join("link.out")).unwrap();
        let err = blessable(d).unwrap_err().to_string();
        assert!(
            err.contains("link.out") && err.contains("symbolic link"),
            "{err}"
        );
    }
}
