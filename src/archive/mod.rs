//! Archives that carry what tests need to replay on another machine (`ptest archive`,
//! `ptest unarchive`), in the spirit of nextest's `archive`: a gzip'd tar of whole
//! per-test folders (`replays/NAME`, `blessed/NAME`, `misc/NAME`) and, optionally, images
//! under `qcows/`, with a manifest (`ptest-archive.json`, the last member) giving each
//! file's size and SHA-256, the ptest version and the selection.
//!
//! It owns the format, packing ([`pack`]) and the checked unpacking ([`unpack`]). It must
//! not choose tests or images (the command does) nor print: it returns what it did.
//!
//! gzip'd tar because any machine can list or unpack it by hand (`tar tzf`), `flate2` is
//! already built for the engine, and recordings compress well enough at gzip's default.

pub mod pack;
pub mod unpack;
mod verify;

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

/// The manifest's member name.
pub const MANIFEST: &str = "ptest-archive.json";
/// 1: files with size and sha256, units, tests, images, selection.
pub const FORMAT: u32 = 1;
/// The top-level folders an archive may write into.
pub const KINDS: [&str; 4] = ["replays", "blessed", "misc", "qcows"];

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Manifest {
    pub format: u32,
    pub ptest_version: String,
    pub selection: Selection,
    /// Tests whose folders were packed.
    pub tests: Vec<String>,
    /// Images packed (with `--images`).
    #[serde(default)]
    pub images: Vec<String>,
    /// What `unarchive` places whole, by one rename each: `KIND/NAME`.
    pub units: Vec<String>,
    pub files: Vec<FileEntry>,
}

/// How the tests were chosen (for people reading the manifest; not re-evaluated).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Selection {
    pub partition: Option<String>,
    /// The names given on the command line (empty: every enabled test).
    pub requested: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileEntry {
    /// `/`-separated, relative to the regression directory.
    pub path: String,
    pub size: u64,
    pub sha256: String,
}

#[derive(Debug, thiserror::Error)]
pub enum ArchiveError {
    #[error("{}: {source}", path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// The members would unpack to more than `--max-size`: refused before writing more.
    #[error(
        "{}: unpacks to more than {} (--max-size; member {member:?} reaches {}); nothing was placed. If the archive is genuine, pass a larger --max-size",
        archive.display(), crate::human::size(*limit), crate::human::size(*reached)
    )]
    TooLarge {
        archive: PathBuf,
        member: String,
        limit: u64,
        reached: u64,
    },
    /// Writing here failed (a full disk, a file size limit, permissions): not the archive's
    /// fault.
    #[error(
        "cannot write {} ({source}): not a problem of the archive but of this machine; free space or fix the folder, then run `ptest unarchive` again (nothing was placed)",
        path.display()
    )]
    LocalWrite {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// Ctrl-C or SIGTERM: `what` says what was left behind (nothing).
    #[error("interrupted; {what}")]
    Interrupted { what: &'static str },
    #[error("{}: {reason}; archives hold only regular files, so fix or remove it and run `ptest archive` again", path.display())]
    Unpackable { path: PathBuf, reason: String },
    #[error("{}: not a readable ptest archive ({reason}); make it again with `ptest archive`", archive.display())]
    Damaged { archive: PathBuf, reason: String },
    #[error("{}: member {member:?}: {reason}; nothing was unpacked (make the archive again with `ptest archive`)", archive.display())]
    Member {
        archive: PathBuf,
        member: String,
        reason: String,
    },
    #[error(
        "{} already exists and differs from the archive's ({detail}); nothing was unpacked. Move it aside (or delete it) and run `ptest unarchive {}` again",
        target.display(),
        archive.display()
    )]
    Conflict {
        archive: PathBuf,
        target: PathBuf,
        detail: String,
    },
}

/// Why `path` (a member's name) may not be written under the regression directory, if it
/// may not: it must be relative, `/`-separated plain names, under one of [`KINDS`], at
/// least `KIND/NAME`.
pub fn check_member_path(path: &str) -> Result<(), String> {
    if path.starts_with('/') {
        return Err(
            "is an absolute path, which would be written outside the regression directory".into(),
        );
    }
    let parts: Vec<&str> = path.split('/').collect();
    for part in &parts {
        match *part {
            ".." => {
                return Err(
                    "climbs out with `..`, which would be written outside the regression directory"
                        .into(),
                );
            }
            "" | "." => return Err("has an empty or `.` path component".into()),
            p if p.contains('\0') => return Err("has a NUL byte".into()),
            _ => {}
        }
    }
    if !KINDS.contains(&parts[0]) {
        return Err(format!(
            "is not under {}",
            KINDS.map(|k| format!("{k}/")).join(", ")
        ));
    }
    if parts.len() < 2 {
        return Err("names a top-level folder, not a file in it".into());
    }
    Ok(())
}

/// The unit (`KIND/NAME`) a checked member path belongs to.
pub fn unit_of(path: &str) -> String {
    path.split('/').take(2).collect::<Vec<_>>().join("/")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn member_paths() {
        assert!(check_member_path("replays/a/rec.log").is_ok());
        assert!(check_member_path("qcows/img.qcow2").is_ok());
        for bad in [
            "../x",
            "replays/../../x",
            "/etc/passwd",
            "replays//x",
            "replays/./x",
            "etc/x",
            "replays",
        ] {
            assert!(check_member_path(bad).is_err(), "{bad} accepted");
        }
        assert_eq!(unit_of("replays/a/b/c"), "replays/a");
    }
}
