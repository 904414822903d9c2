//! The per-machine cache of built images (`${PTEST_CACHE:-${XDG_CACHE_HOME:-~/.cache}/ptest}`)
//! and the means of filling it safely: build in a temporary folder renamed into place,
//! one builder at a time, files checked against recorded hashes.

use std::fs::File;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::EngineError;
use crate::hash::sha256_file;
use crate::observe::Observer;

/// `${PTEST_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/ptest}`, as scripts/build-panda uses.
pub fn root() -> Result<PathBuf, EngineError> {
    let var = |k: &str| {
        std::env::var_os(k)
            .filter(|v| !v.is_empty())
            .map(PathBuf::from)
    };
    var("PTEST_CACHE")
        .or_else(|| var("XDG_CACHE_HOME").map(|d| d.join("ptest")))
        .or_else(|| var("HOME").map(|d| d.join(".cache/ptest")))
        .ok_or_else(|| {
            EngineError::Image(
                "no cache folder: set PTEST_CACHE (or HOME) to where ptest may keep built images"
                    .into(),
            )
        })
}

/// Builds `dir` in a sibling temporary folder and renames it into place, replacing an
/// old `dir`. A failed build keeps its folder (its logs) until the next attempt.
pub fn atomically(
    dir: &Path,
    build: impl FnOnce(&Path) -> Result<(), EngineError>,
) -> Result<(), EngineError> {
    let parent = dir.parent().unwrap_or(Path::new("."));
    let name = dir
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let work = parent.join(format!(".{name}.building-{}", std::process::id()));
    // Builders hold the lock, so leftovers of earlier attempts are nobody's work.
    if let Ok(entries) = std::fs::read_dir(parent) {
        for e in entries.flatten() {
            if e.file_name()
                .to_string_lossy()
                .starts_with(&format!(".{name}.building-"))
            {
                let _ = std::fs::remove_dir_all(e.path());
            }
        }
    }
    std::fs::create_dir_all(&work).map_err(EngineError::io(&work))?;
    build(&work)?;
    if dir.exists() {
        std::fs::remove_dir_all(dir).map_err(EngineError::io(dir))?;
    }
    std::fs::rename(&work, dir).map_err(EngineError::io(dir))
}

/// Held while it lives: one builder of a cache entry at a time.
pub struct Lock {
    _file: File,
}

/// Locks `path`; while another holds it, tells `observer` `waiting` once and waits.
pub fn lock(path: &Path, waiting: &str, observer: &dyn Observer) -> Result<Lock, EngineError> {
    let file = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(path)
        .map_err(EngineError::io(path))?;
    match file.try_lock() {
        Ok(()) => {}
        Err(std::fs::TryLockError::WouldBlock) => {
            observer.note(&format!("{waiting}; waiting for {}", path.display()));
            file.lock().map_err(EngineError::io(path))?;
        }
        Err(std::fs::TryLockError::Error(e)) => return Err(EngineError::io(path)(e)),
    }
    Ok(Lock { _file: file })
}

pub fn same_hash(path: &Path, want: &str) -> Result<(), EngineError> {
    if !path.exists() || sha256_file(path)? != want {
        return Err(EngineError::Image(format!(
            "{} is missing or does not match its recorded hash",
            path.display()
        )));
    }
    Ok(())
}

pub fn read_json<T: for<'de> Deserialize<'de>>(path: &Path) -> Result<T, EngineError> {
    let text = std::fs::read_to_string(path).map_err(EngineError::io(path))?;
    serde_json::from_str(&text)
        .map_err(|e| EngineError::Image(format!("{}: unreadable ({e})", path.display())))
}

pub fn write_json<T: Serialize>(path: &Path, value: &T) -> Result<(), EngineError> {
    let json = serde_json::to_string_pretty(value).unwrap_or_default();
    std::fs::write(path, json + "\n").map_err(EngineError::io(path))
}

/// A cache entry's lock file, `KIND_DIR/KEY.lock`, as `scripts/build-panda` names it.
pub fn lock_path(entry: &Path) -> PathBuf {
    sibling(entry, "lock")
}

/// A cache entry's last-use stamp, `KIND_DIR/KEY.used`: its modification time is when the
/// entry was last read (`ptest cache list` shows it, `prune --max-age` goes by it).
pub fn stamp_path(entry: &Path) -> PathBuf {
    sibling(entry, "used")
}

fn sibling(entry: &Path, suffix: &str) -> PathBuf {
    let name = entry
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    entry.with_file_name(format!("{name}.{suffix}"))
}

/// Held while a cache entry is read: `ptest cache prune` skips an entry whose lock it
/// cannot take. Shared, so readers never wait for each other.
pub struct InUse {
    _file: File,
}

/// Marks `entry` used now and holds it against pruning while the guard lives.
pub fn use_entry(entry: &Path) -> Result<InUse, EngineError> {
    if let Some(parent) = entry.parent() {
        std::fs::create_dir_all(parent).map_err(EngineError::io(parent))?;
    }
    let path = lock_path(entry);
    let file = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&path)
        .map_err(EngineError::io(&path))?;
    // Waits only for a prune removing this very entry (it holds the lock exclusively).
    file.lock_shared().map_err(EngineError::io(&path))?;
    touch(&stamp_path(entry));
    Ok(InUse { _file: file })
}

/// Sets `stamp`'s modification time to now, creating it. A stamp that cannot be written
/// (a read-only cache) only makes `cache list` show an older date: not worth failing a run.
pub fn touch(stamp: &Path) {
    if let Ok(f) = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(stamp)
    {
        let _ = f.set_modified(std::time::SystemTime::now());
    }
}
