//! The per-machine cache's entries, for `ptest cache list|prune`: PANDA builds
//! (`panda/KEY/`, made by `scripts/build-panda`) and the guest images' parts
//! (`images/debian/KEY/`, `images/GUEST/KEY/` for each `panda-busybox` guest,
//! `images/kernelinfo/KEY/`). Each
//! entry's last use is its stamp (`KEY.used`, see `cache::use_entry`), else when it was
//! made. An entry is removed only under its lock, the one its builder or reader takes, so
//! one in use is never removed. Lock files stay: a process may be waiting on one.

use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use crate::EngineError;
use crate::cache::{lock_path, stamp_path};

pub use crate::cache::root;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Kind {
    PandaBuild,
    ImageParts,
    /// One guest's snapshots (`images/GUEST/KEY/`), by the guest's name.
    PandaImage(&'static str),
    KernelProfile,
}

impl Kind {
    /// Every kind, a `PandaImage` per guest ptest builds.
    pub fn all() -> Vec<Kind> {
        let guests = crate::catalog::panda_busybox::GUESTS.iter();
        [Kind::PandaBuild, Kind::ImageParts]
            .into_iter()
            .chain(guests.map(|g| Kind::PandaImage(g.name)))
            .chain([Kind::KernelProfile])
            .collect()
    }

    /// Its folder under the cache root.
    pub fn dir(self) -> String {
        match self {
            Kind::PandaBuild => "panda".into(),
            Kind::ImageParts => "images/debian".into(),
            Kind::PandaImage(guest) => format!("images/{guest}"),
            Kind::KernelProfile => "images/kernelinfo".into(),
        }
    }

    /// `panda-image` for the x86_64 guest, `panda-image:i386` for the others.
    pub fn name(self) -> String {
        match self {
            Kind::PandaBuild => "panda-build".into(),
            Kind::ImageParts => "image-parts".into(),
            Kind::PandaImage(guest) => match guest.strip_prefix(crate::panda_image::NAME) {
                Some(suffix) if !suffix.is_empty() => {
                    format!("panda-image:{}", suffix.trim_start_matches('-'))
                }
                _ => "panda-image".into(),
            },
            Kind::KernelProfile => "kernel-profile".into(),
        }
    }
}

#[derive(Debug, Clone)]
pub struct Entry {
    pub kind: Kind,
    pub key: String,
    pub path: PathBuf,
    /// Bytes of its files (links counted as themselves, never followed).
    pub size: u64,
    pub last_used: SystemTime,
}

impl Entry {
    /// The locks its builders or readers hold: `scripts/build-panda`'s for a PANDA build,
    /// `use_entry`'s for image parts, its guest builder's for a snapshot, and every guest
    /// builder's for a kernel profile (any of them may write one).
    fn locks(&self, root: &Path) -> Vec<PathBuf> {
        let builder = |guest: &str| root.join(format!("images/{guest}.lock"));
        match self.kind {
            Kind::PandaBuild | Kind::ImageParts => vec![lock_path(&self.path)],
            Kind::PandaImage(guest) => vec![builder(guest)],
            Kind::KernelProfile => crate::catalog::panda_busybox::GUESTS
                .iter()
                .map(|g| builder(g.name))
                .collect(),
        }
    }

    /// Holds every one of its locks, or `None` when one is held elsewhere.
    fn try_lock(&self, root: &Path) -> Result<Option<Vec<std::fs::File>>, EngineError> {
        let mut held = Vec::new();
        for lock in self.locks(root) {
            let file = std::fs::OpenOptions::new()
                .create(true)
                .truncate(false)
                .write(true)
                .open(&lock)
                .map_err(EngineError::io(&lock))?;
            match file.try_lock() {
                Ok(()) => held.push(file),
                Err(std::fs::TryLockError::WouldBlock) => return Ok(None),
                Err(std::fs::TryLockError::Error(e)) => return Err(EngineError::io(&lock)(e)),
            }
        }
        Ok(Some(held))
    }
}

/// Every entry under `root`, by kind, most recently used first. Hidden folders (builds
/// under way, removals cut short) are not entries.
pub fn list(root: &Path) -> Result<Vec<Entry>, EngineError> {
    let mut out = Vec::new();
    for kind in Kind::all() {
        let dir = root.join(kind.dir());
        let read = match std::fs::read_dir(&dir) {
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
            read => read.map_err(EngineError::io(&dir))?,
        };
        let mut entries = Vec::new();
        for e in read {
            let e = e.map_err(EngineError::io(&dir))?;
            let key = e.file_name().to_string_lossy().into_owned();
            let path = e.path();
            let meta = std::fs::symlink_metadata(&path).map_err(EngineError::io(&path))?;
            if key.starts_with('.') || !meta.is_dir() {
                continue;
            }
            let stamp = std::fs::metadata(stamp_path(&path)).and_then(|m| m.modified());
            let last_used = stamp
                .or_else(|_| meta.modified())
                .unwrap_or(SystemTime::UNIX_EPOCH);
            entries.push(Entry {
                kind,
                key,
                size: size(&path)?,
                path,
                last_used,
            });
        }
        entries.sort_by(|a, b| b.last_used.cmp(&a.last_used).then(a.key.cmp(&b.key)));
        out.extend(entries);
    }
    Ok(out)
}

fn size(path: &Path) -> Result<u64, EngineError> {
    // A file a builder or another prune removes meanwhile counts for nothing.
    let gone = |e: &std::io::Error| e.kind() == std::io::ErrorKind::NotFound;
    let meta = match std::fs::symlink_metadata(path) {
        Err(e) if gone(&e) => return Ok(0),
        meta => meta.map_err(EngineError::io(path))?,
    };
    if !meta.is_dir() {
        return Ok(meta.len());
    }
    let read = match std::fs::read_dir(path) {
        Err(e) if gone(&e) => return Ok(0),
        read => read.map_err(EngineError::io(path))?,
    };
    let mut total = 0;
    for e in read {
        total += size(&e.map_err(EngineError::io(path))?.path())?;
    }
    Ok(total)
}

/// What `prune` keeps: the newest `keep` of each kind, and (or) those used within `max_age`.
/// An entry either rule keeps stays.
#[derive(Debug, Clone, Copy, Default)]
pub struct Keep {
    pub newest: Option<usize>,
    pub max_age: Option<Duration>,
}

/// What became of one entry `prune` chose to remove.
#[derive(Debug)]
pub enum Pruned {
    Removed(Entry),
    /// Its lock is held: a build or a reader is using it.
    InUse(Entry),
}

/// Removes the entries `keep` does not keep (from [`list`]'s order), each under its lock;
/// one whose lock is held is left and reported. `dry_run` removes nothing but still asks
/// each lock, so it says what a real run would do now.
pub fn prune(
    root: &Path,
    entries: Vec<Entry>,
    keep: Keep,
    now: SystemTime,
    dry_run: bool,
) -> Result<Vec<Pruned>, EngineError> {
    let mut seen = std::collections::HashMap::new();
    let mut out = Vec::new();
    for entry in entries {
        let rank = seen.entry(entry.kind).or_insert(0usize);
        *rank += 1;
        let newest = keep.newest.is_some_and(|n| *rank <= n);
        let recent = keep.max_age.is_some_and(|age| {
            now.duration_since(entry.last_used)
                .is_ok_and(|used| used <= age)
                // Used "in the future" (a clock set back) is recent.
                || entry.last_used > now
        });
        if newest || recent {
            continue;
        }
        out.push(remove(root, entry, dry_run)?);
    }
    Ok(out)
}

fn remove(root: &Path, entry: Entry, dry_run: bool) -> Result<Pruned, EngineError> {
    let Some(_held) = entry.try_lock(root)? else {
        return Ok(Pruned::InUse(entry));
    };
    if !dry_run {
        // Out of sight first (a hidden name is no entry), so a removal cut short never
        // leaves a half entry that looks whole; the next prune finishes it.
        let doomed = hidden(&entry.path);
        std::fs::rename(&entry.path, &doomed).map_err(EngineError::io(&entry.path))?;
        std::fs::remove_dir_all(&doomed).map_err(EngineError::io(&doomed))?;
        let stamp = stamp_path(&entry.path);
        match std::fs::remove_file(&stamp) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
                return Err(EngineError::io(&stamp)(e));
            }
            _ => {}
        }
    }
    Ok(Pruned::Removed(entry))
}

/// `KIND_DIR/.KEY.pruning`: where an entry goes to be removed.
fn hidden(path: &Path) -> PathBuf {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    path.with_file_name(format!(".{name}.pruning"))
}

/// Finishes removals a killed prune left (`.KEY.pruning`), and drops stamps of entries
/// that are gone (a build that failed after its first use was stamped), each under its
/// entry's lock.
pub fn sweep(root: &Path) -> Result<(), EngineError> {
    for kind in Kind::all() {
        let dir = root.join(kind.dir());
        let Ok(read) = std::fs::read_dir(&dir) else {
            continue;
        };
        for e in read.flatten() {
            let name = e.file_name().to_string_lossy().into_owned();
            let (key, leftover) = match name
                .strip_prefix('.')
                .and_then(|n| n.strip_suffix(".pruning"))
            {
                Some(key) => (key, true),
                None => match name.strip_suffix(".used") {
                    Some(key) if !dir.join(key).exists() => (key, false),
                    _ => continue,
                },
            };
            let entry = Entry {
                kind,
                key: key.to_string(),
                path: dir.join(key),
                size: 0,
                last_used: SystemTime::UNIX_EPOCH,
            };
            let Ok(Some(_held)) = entry.try_lock(root) else {
                continue;
            };
            let path = e.path();
            match leftover {
                true => std::fs::remove_dir_all(&path),
                // Checked again under the lock: a builder may have finished meanwhile.
                false if entry.path.exists() => Ok(()),
                false => std::fs::remove_file(&path),
            }
            .map_err(EngineError::io(&path))?;
        }
    }
    Ok(())
}
