//! Unpacking an archive into a regression directory, all or nothing: every member is
//! written into a staging folder inside the directory (same filesystem, so placing is a
//! rename), checked against the manifest (size, SHA-256, no member more or less), and
//! only then each unit is renamed into place. A unit that already exists is skipped when
//! identical, and refused when different (before anything moves), so a blessed reference
//! is never replaced behind the user's back nor left half-unpacked.
//!
//! It must not follow or create links, nor write outside the staging folder before
//! everything is verified. The caller holds the directory's lock.

use std::collections::BTreeMap;
use std::fs::File;
use std::io::{self, Read, Write};
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

use super::pack::Hashing;
use super::verify::{Members, verify};
use super::{ArchiveError, FORMAT, MANIFEST, Manifest, check_member_path, unit_of};

/// The manifest is read into memory; a bigger one is not ours.
const MANIFEST_LIMIT: u64 = 64 << 20;

/// What [`unpack`] did.
#[derive(Debug)]
pub struct Unpacked {
    pub manifest: Manifest,
    /// Units renamed into place.
    pub placed: Vec<String>,
    /// Units already present with the same files.
    pub identical: Vec<String>,
}

/// Unpack `archive` into `root` (which exists), staging under `staging_parent` (inside
/// `root`).
/// `max_size` bounds the bytes unpacked (the members' declared sizes, checked before each
/// is written), so that a small archive cannot fill the disk before its hashes are checked.
pub fn unpack(
    archive: &Path,
    root: &Path,
    staging_parent: &Path,
    max_size: u64,
) -> Result<Unpacked, ArchiveError> {
    remove_stale_staging(staging_parent)?;
    let staging = tempfile::Builder::new()
        .prefix(STAGING_PREFIX)
        .tempdir_in(staging_parent)
        .map_err(|source| ArchiveError::Io {
            path: staging_parent.to_path_buf(),
            source,
        })?;
    let (manifest, members) = stage(archive, staging.path(), max_size)?;
    verify(archive, &manifest, &members)?;
    let expected = expected_by_unit(&manifest);
    let mut to_place = Vec::new();
    let mut identical = Vec::new();
    for unit in &manifest.units {
        let target = root.join(unit);
        let empty = BTreeMap::new();
        match existing(&target, expected.get(unit.as_str()).unwrap_or(&empty)) {
            Existing::Absent => to_place.push(unit.clone()),
            Existing::Same => identical.push(unit.clone()),
            Existing::Differs(detail) => {
                return Err(ArchiveError::Conflict {
                    archive: archive.to_path_buf(),
                    target,
                    detail,
                });
            }
        }
    }
    for unit in &to_place {
        let target = root.join(unit);
        let io_err = |source| ArchiveError::Io {
            path: target.clone(),
            source,
        };
        if let Some(parent) = target.parent() {
            std::fs::create_dir_all(parent).map_err(io_err)?;
        }
        // An empty folder `init` made for the test is replaced, not merged into.
        if target.is_dir() {
            std::fs::remove_dir(&target).map_err(io_err)?;
        }
        std::fs::rename(staging.path().join(unit), &target).map_err(io_err)?;
    }
    Ok(Unpacked {
        manifest,
        placed: to_place,
        identical,
    })
}

/// Staging folders are named this, then random letters.
const STAGING_PREFIX: &str = ".unarchive-";

/// Removes the staging folders of unarchives that were killed before they could clean
/// up. The caller holds the directory's exclusive lock, so no other unarchive is running:
/// every staging folder found is a leftover. Links are not followed.
fn remove_stale_staging(parent: &Path) -> Result<(), ArchiveError> {
    let io_err = |path: &Path| {
        let path = path.to_path_buf();
        move |source| ArchiveError::Io { path, source }
    };
    let entries = match std::fs::read_dir(parent) {
        Ok(entries) => entries,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(io_err(parent)(e)),
    };
    for entry in entries {
        let entry = entry.map_err(io_err(parent))?;
        let stale = entry
            .file_name()
            .to_string_lossy()
            .starts_with(STAGING_PREFIX)
            && entry.file_type().is_ok_and(|t| t.is_dir());
        if stale {
            let path = entry.path();
            std::fs::remove_dir_all(&path).map_err(io_err(&path))?;
        }
    }
    Ok(())
}

/// Write every member into `staging`, checking each name and type first; return the
/// manifest and what was read.
fn stage(
    archive: &Path,
    staging: &Path,
    max_size: u64,
) -> Result<(Manifest, Members), ArchiveError> {
    let file = File::open(archive).map_err(|source| ArchiveError::Io {
        path: archive.to_path_buf(),
        source,
    })?;
    let damaged = |e: io::Error| ArchiveError::Damaged {
        archive: archive.to_path_buf(),
        reason: e.to_string(),
    };
    let member_err = |member: &str, reason: String| ArchiveError::Member {
        archive: archive.to_path_buf(),
        member: member.to_string(),
        reason,
    };
    let mut tar = tar::Archive::new(flate2::read::GzDecoder::new(file));
    let mut members = Members::new();
    let mut manifest: Option<Vec<u8>> = None;
    let mut unpacked: u64 = 0;
    for entry in tar.entries().map_err(damaged)? {
        let mut entry = entry.map_err(damaged)?;
        let raw = entry.path_bytes().into_owned();
        let name = String::from_utf8_lossy(&raw).into_owned();
        let Ok(name_str) = std::str::from_utf8(&raw) else {
            return Err(member_err(&name, "its name is not UTF-8".into()));
        };
        let kind = entry.header().entry_type();
        if name_str == MANIFEST && kind.is_file() {
            let mut text = Vec::new();
            (&mut entry)
                .take(MANIFEST_LIMIT)
                .read_to_end(&mut text)
                .map_err(damaged)?;
            manifest = Some(text);
            continue;
        }
        check_member_path(name_str.trim_end_matches('/')).map_err(|r| member_err(&name, r))?;
        match kind {
            tar::EntryType::Directory => continue,
            k if k.is_file() => {}
            k if k.is_symlink() || k.is_hard_link() => {
                return Err(member_err(
                    &name,
                    "is a link; ptest archives hold only regular files, so a link could only point somewhere it should not".into(),
                ));
            }
            other => {
                return Err(member_err(
                    &name,
                    format!("is a {other:?} entry; ptest archives hold only regular files"),
                ));
            }
        }
        if members.contains_key(name_str) {
            return Err(member_err(&name, "appears twice".into()));
        }
        // The tar reader never yields more than the header's size.
        unpacked = unpacked.saturating_add(entry.header().size().map_err(damaged)?);
        if unpacked > max_size {
            return Err(ArchiveError::TooLarge {
                archive: archive.to_path_buf(),
                member: name,
                limit: max_size,
                reached: unpacked,
            });
        }
        let dest = staging.join(name_str);
        let io_err = |source| ArchiveError::LocalWrite {
            path: dest.clone(),
            source,
        };
        if let Some(parent) = dest.parent() {
            std::fs::create_dir_all(parent).map_err(io_err)?;
        }
        let executable = entry.header().mode().is_ok_and(|m| m & 0o111 != 0);
        let mut out = File::create(&dest).map_err(io_err)?;
        let mut reader = Hashing {
            inner: &mut entry,
            hasher: Sha256::new(),
            count: 0,
        };
        copy_member(&mut reader, &mut out).map_err(|e| match e {
            Side::Archive(e) => damaged(e),
            Side::Local(source) => ArchiveError::LocalWrite {
                path: dest.clone(),
                source,
            },
        })?;
        let (count, hash) = (reader.count, hex::encode(reader.hasher.finalize()));
        if executable {
            std::fs::set_permissions(&dest, std::fs::Permissions::from_mode(0o755))
                .map_err(io_err)?;
        }
        members.insert(name_str.to_string(), (count, hash));
    }
    let Some(text) = manifest else {
        return Err(ArchiveError::Damaged {
            archive: archive.to_path_buf(),
            reason: format!("no {MANIFEST} inside"),
        });
    };
    let manifest: Manifest = serde_json::from_slice(&text).map_err(|e| ArchiveError::Damaged {
        archive: archive.to_path_buf(),
        reason: format!("{MANIFEST}: {e}"),
    })?;
    if manifest.format != FORMAT {
        return Err(ArchiveError::Damaged {
            archive: archive.to_path_buf(),
            reason: format!(
                "archive format {}, this ptest reads {FORMAT}; unpack it with ptest {}",
                manifest.format, manifest.ptest_version
            ),
        });
    }
    Ok((manifest, members))
}

/// Which side of a copy failed.
enum Side {
    /// Reading the archive: it is damaged.
    Archive(io::Error),
    /// Writing here: the machine's problem (a full disk), not the archive's.
    Local(io::Error),
}

/// Copy a member to its staged file, telling read errors from write errors.
fn copy_member(from: &mut impl Read, to: &mut File) -> Result<(), Side> {
    let mut buf = vec![0u8; 1 << 16];
    loop {
        let n = match from.read(&mut buf) {
            Ok(0) => return Ok(()),
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(Side::Archive(e)),
        };
        to.write_all(&buf[..n]).map_err(Side::Local)?;
    }
}

/// Unit → (relative file → sha256), from the manifest.
fn expected_by_unit(manifest: &Manifest) -> BTreeMap<String, BTreeMap<String, String>> {
    let mut out: BTreeMap<String, BTreeMap<String, String>> = BTreeMap::new();
    for f in &manifest.files {
        let unit = unit_of(&f.path);
        let rel = f.path[unit.len()..].trim_start_matches('/').to_string();
        out.entry(unit).or_default().insert(rel, f.sha256.clone());
    }
    out
}

enum Existing {
    /// Nothing there, or an empty folder: place it.
    Absent,
    Same,
    Differs(String),
}

/// Compare what stands at `target` with the files the archive has for it (`""` for a unit
/// that is one file). Links are never followed.
fn existing(target: &Path, want: &BTreeMap<String, String>) -> Existing {
    let meta = match std::fs::symlink_metadata(target) {
        Err(_) => return Existing::Absent,
        Ok(m) => m,
    };
    if meta.file_type().is_symlink() {
        return Existing::Differs("it is a symbolic link".into());
    }
    let have: BTreeMap<String, PathBuf> = if meta.is_file() {
        BTreeMap::from([(String::new(), target.to_path_buf())])
    } else {
        match crate::tree::walk(target) {
            Ok(walked) => {
                if let Some((rel, _)) = walked
                    .iter()
                    .find(|(_, e)| matches!(e, crate::tree::Entry::Invalid(_)))
                {
                    return Existing::Differs(format!("{rel} is not a regular file"));
                }
                walked
                    .into_keys()
                    .map(|rel| (rel.clone(), target.join(rel)))
                    .collect()
            }
            Err(e) => return Existing::Differs(format!("unreadable: {e}")),
        }
    };
    if have.is_empty() && meta.is_dir() {
        return Existing::Absent;
    }
    for (rel, path) in &have {
        match want.get(rel) {
            None => return Existing::Differs(format!("{rel} is not in the archive")),
            Some(sha) => {
                if sha256_file(path).ok().as_deref() != Some(sha.as_str()) {
                    return Existing::Differs(format!("{} differs", shown(rel)));
                }
            }
        }
    }
    if let Some(rel) = want.keys().find(|r| !have.contains_key(*r)) {
        return Existing::Differs(format!("{} is missing here", shown(rel)));
    }
    Existing::Same
}

fn shown(rel: &str) -> &str {
    if rel.is_empty() { "the file" } else { rel }
}

fn sha256_file(path: &Path) -> io::Result<String> {
    let mut reader = Hashing {
        inner: File::open(path)?,
        hasher: Sha256::new(),
        count: 0,
    };
    io::copy(&mut reader, &mut io::sink())?;
    Ok(hex::encode(reader.hasher.finalize()))
}
