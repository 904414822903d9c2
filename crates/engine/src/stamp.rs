//! Facts about a file that are costly to learn (its SHA-256, an emulator's `--version`)
//! remembered under `REGDIR/.ptest/stamps/`, keyed by the file's identity: device, inode,
//! size, mtime and ctime. Any write, rename over or chmod changes the ctime, which no
//! user-level call can set back, so an unchanged identity means unchanged content; a
//! replay then skips hashing tens of MiB and starting the emulator once more.
//! `[engine] verify = true` (or `PTEST_VERIFY=1`) ignores the stamps: everything is
//! learnt again (and the stamps rewritten). As in git's index, a file changed less than
//! [`SETTLED`] ago is not stamped: two writes within one tick of the file system's clock
//! could leave the same times.

use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use serde::{Deserialize, Serialize};

use crate::{Context, EngineError};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct Stamp {
    path: PathBuf,
    what: String,
    dev: u64,
    ino: u64,
    size: u64,
    mtime_ns: i128,
    ctime_ns: i128,
    value: String,
}

impl Stamp {
    fn of(path: &Path, what: &str) -> Option<Stamp> {
        let m = std::fs::metadata(path).ok()?;
        let ns = |s: i64, n: i64| i128::from(s) * 1_000_000_000 + i128::from(n);
        Some(Stamp {
            path: path.to_path_buf(),
            what: what.to_string(),
            dev: m.dev(),
            ino: m.ino(),
            size: m.size(),
            mtime_ns: ns(m.mtime(), m.mtime_nsec()),
            ctime_ns: ns(m.ctime(), m.ctime_nsec()),
            value: String::new(),
        })
    }

    /// Everything but the remembered value is equal.
    fn same_file(&self, other: &Stamp) -> bool {
        let key = |s: &Stamp| {
            (
                s.path.clone(),
                s.what.clone(),
                s.dev,
                s.ino,
                s.size,
                s.mtime_ns,
                s.ctime_ns,
            )
        };
        key(self) == key(other)
    }
}

/// Whether stamps are ignored: `[engine] verify = true` or `PTEST_VERIFY` set (not `0`).
pub fn verify_all(ctx: &Context) -> bool {
    ctx.settings.verify.unwrap_or(false)
        || std::env::var_os("PTEST_VERIFY").is_some_and(|v| !v.is_empty() && v != "0")
}

/// `learn(path)`, or what it answered before for this very file (same identity).
/// `what` names the fact (`sha256`, `version`). A stamp that cannot be written is only
/// a missed shortcut.
pub fn remembered(
    ctx: &Context,
    path: &Path,
    what: &str,
    learn: impl FnOnce(&Path) -> Result<String, EngineError>,
) -> Result<String, EngineError> {
    Stamps::of(ctx).remembered_at(path, what, SystemTime::now(), learn)
}

/// How long after its last change a file's identity is trusted.
pub const SETTLED: Duration = Duration::from_secs(2);

/// A regression directory's stamps: what the engine and the runner (a test's inputs, for
/// `ptest test --changed`) remember about files.
#[derive(Debug, Clone)]
pub struct Stamps {
    dir: PathBuf,
    verify: bool,
}

impl Stamps {
    /// The stamps under `REGDIR/.ptest/stamps`; `verify` ignores them (everything is learnt
    /// again, and the stamps rewritten).
    pub fn new(regression_dir: &Path, verify: bool) -> Stamps {
        Stamps {
            dir: regression_dir.join(".ptest/stamps"),
            verify,
        }
    }

    /// The machine's stamps (`CACHE/stamps`), for files every regression directory uses
    /// (the ptest binary); `None` without a cache folder.
    pub fn machine(verify: bool) -> Option<Stamps> {
        crate::cache::root().ok().map(|root| Stamps {
            dir: root.join("stamps"),
            verify,
        })
    }

    fn of(ctx: &Context) -> Stamps {
        Stamps::new(&ctx.regression_dir, verify_all(ctx))
    }

    /// SHA-256 of `path`, hashed only when the file changed since the last time.
    pub fn sha256(&self, path: &Path) -> Result<String, EngineError> {
        self.remembered_at(path, "sha256", SystemTime::now(), crate::hash::sha256_file)
    }

    fn remembered_at(
        &self,
        path: &Path,
        what: &str,
        now: SystemTime,
        learn: impl FnOnce(&Path) -> Result<String, EngineError>,
    ) -> Result<String, EngineError> {
        let abs = std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf());
        let before = Stamp::of(&abs, what);
        let file = self.stamp_file(&abs, what);
        if !self.verify
            && let Some(before) = &before
            && let Some(old) = std::fs::read(&file)
                .ok()
                .and_then(|b| serde_json::from_slice::<Stamp>(&b).ok())
            && old.same_file(before)
        {
            return Ok(old.value);
        }
        let value = learn(path)?;
        // Kept only if the file did not change while it was being read.
        let settled = now
            .duration_since(SystemTime::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos() as i128)
            .saturating_sub(SETTLED.as_nanos() as i128);
        if let Some(before) = before
            && before.ctime_ns < settled
            && Stamp::of(&abs, what).is_some_and(|after| after.same_file(&before))
        {
            let _ = write_atomically(
                &file,
                &Stamp {
                    value: value.clone(),
                    ..before
                },
            );
        }
        Ok(value)
    }

    fn stamp_file(&self, abs: &Path, what: &str) -> PathBuf {
        let key = crate::hash::sha256_bytes(format!("{what}\0{}", abs.display()).as_bytes());
        self.dir.join(format!("{}.json", &key[..32]))
    }
}

/// SHA-256 of `path`, hashed only when the file changed since the last time.
pub fn sha256(ctx: &Context, path: &Path) -> Result<String, EngineError> {
    Stamps::of(ctx).sha256(path)
}

/// Through a temporary file renamed into place: parallel tests may stamp the same file.
fn write_atomically(file: &Path, stamp: &Stamp) -> std::io::Result<()> {
    if let Some(dir) = file.parent() {
        std::fs::create_dir_all(dir)?;
    }
    let tmp = file.with_extension(format!("tmp-{}", std::process::id()));
    std::fs::write(&tmp, serde_json::to_vec(stamp).unwrap_or_default())?;
    std::fs::rename(&tmp, file)
}

/// Where `program` resolves on `PATH` (itself when it holds a `/`).
pub fn which(program: &str) -> Option<PathBuf> {
    if program.contains('/') {
        return Some(PathBuf::from(program));
    }
    std::env::split_paths(&std::env::var_os("PATH")?)
        .map(|d| d.join(program))
        .find(|p| {
            std::fs::metadata(p).is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ctx(dir: &Path) -> Context {
        Context {
            regression_dir: dir.to_path_buf(),
            ..Context::default()
        }
    }

    #[test]
    fn a_fact_is_learnt_once_and_again_after_a_change() {
        let t = tempfile::tempdir().unwrap();
        let c = ctx(t.path());
        let f = t.path().join("f");
        std::fs::write(&f, "one").unwrap();
        let mut calls = 0;
        let later = SystemTime::now() + 2 * SETTLED;
        let mut ask = |c: &Context| {
            Stamps::of(c)
                .remembered_at(&f, "sha256", later, |p| {
                    calls += 1;
                    crate::hash::sha256_file(p)
                })
                .unwrap()
        };
        let a = ask(&c);
        assert_eq!(ask(&c), a);
        // Same size, content changed: the ctime (and mtime) moved on.
        std::thread::sleep(std::time::Duration::from_millis(20));
        std::fs::write(&f, "two").unwrap();
        let b = ask(&c);
        assert_ne!(a, b);
        assert_eq!(b, crate::hash::sha256_bytes(b"two"));
        assert_eq!(calls, 2);
    }

    #[test]
    fn a_file_changed_just_now_is_not_stamped() {
        let t = tempfile::tempdir().unwrap();
        let c = ctx(t.path());
        let f = t.path().join("f");
        std::fs::write(&f, "x").unwrap();
        sha256(&c, &f).unwrap();
        assert!(!t.path().join(".ptest/stamps").exists());
    }

    #[test]
    fn verify_ignores_the_stamps() {
        let t = tempfile::tempdir().unwrap();
        let mut c = ctx(t.path());
        let f = t.path().join("f");
        std::fs::write(&f, "x").unwrap();
        let later = SystemTime::now() + 2 * SETTLED;
        Stamps::of(&c)
            .remembered_at(&f, "sha256", later, crate::hash::sha256_file)
            .unwrap();
        assert!(t.path().join(".ptest/stamps").exists());
        c.settings.verify = Some(true);
        let mut learnt = false;
        Stamps::of(&c)
            .remembered_at(&f, "sha256", later, |p| {
                learnt = true;
                crate::hash::sha256_file(p)
            })
            .unwrap();
        assert!(learnt);
    }

    #[test]
    fn a_missing_file_is_an_error_not_a_stamp() {
        let t = tempfile::tempdir().unwrap();
        let c = ctx(t.path());
        assert!(sha256(&c, &t.path().join("none")).is_err());
        assert!(!t.path().join(".ptest/stamps").exists());
    }
}
