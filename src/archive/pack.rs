//! Writing an archive: each unit's regular files (walked by `tree`, never following a
//! link), hashed while they stream into the tar, then the manifest. The archive appears
//! at its path only when complete (temp file beside it, then rename). It must not choose
//! what to pack.

use std::fs::File;
use std::io::{self, Read, Write};
use std::os::unix::fs::PermissionsExt;
use std::path::Path;

use ptest_engine::process::Cancel;
use sha2::{Digest, Sha256};

use super::{ArchiveError, FORMAT, FileEntry, MANIFEST, Manifest, Selection};
use crate::tree::{self, Entry};

/// The temp file an archive is written to, beside it, until complete:
/// `.ptest-archive-PID-XXXXXX.tmp`, so that a killed ptest's leftovers are recognisable
/// and swept by the next `ptest archive` into the same folder ([`sweep_stale`]).
const TEMP_PREFIX: &str = ".ptest-archive-";
const TEMP_SUFFIX: &str = ".tmp";

/// Pack `units` (`KIND/NAME`, relative to `root`; missing or empty ones are left out)
/// into `output`. Returns the manifest written. `interrupted` is polled while files
/// stream in: when it says so, the temp file is removed and nothing is written.
pub fn pack(
    root: &Path,
    units: &[String],
    tests: Vec<String>,
    images: Vec<String>,
    selection: Selection,
    output: &Path,
    interrupted: &Cancel,
) -> Result<Manifest, ArchiveError> {
    let io_at = |path: &Path| {
        let path = path.to_path_buf();
        move |source| ArchiveError::Io { path, source }
    };
    let dir = match output.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    sweep_stale(dir);
    let tmp = tempfile::Builder::new()
        .prefix(&format!("{TEMP_PREFIX}{}-", std::process::id()))
        .suffix(TEMP_SUFFIX)
        .tempfile_in(dir)
        .map_err(io_at(output))?;
    // The temp file is made 0600; the archive gets the mode any new file would.
    std::fs::set_permissions(
        tmp.path(),
        std::fs::Permissions::from_mode(0o666 & !umask()),
    )
    .map_err(io_at(output))?;
    let stop = || ArchiveError::Interrupted {
        what: "the partial archive was removed and nothing was written",
    };
    let gz = flate2::write::GzEncoder::new(tmp, flate2::Compression::default());
    let mut tar = tar::Builder::new(gz);
    let mut manifest = Manifest {
        format: FORMAT,
        ptest_version: env!("CARGO_PKG_VERSION").to_string(),
        selection,
        tests,
        images,
        units: Vec::new(),
        files: Vec::new(),
    };
    for unit in units {
        let source = root.join(unit);
        let files = files_of(&source)?;
        if files.is_empty() {
            continue;
        }
        manifest.units.push(unit.clone());
        for rel in files {
            let (path, member) = if rel.is_empty() {
                (source.clone(), unit.clone())
            } else {
                (source.join(&rel), format!("{unit}/{rel}"))
            };
            if interrupted.requested() {
                return Err(stop());
            }
            match append_file(&mut tar, &path, &member, interrupted) {
                Ok(entry) => manifest.files.push(entry),
                Err(_) if interrupted.requested() => return Err(stop()),
                Err(e) => return Err(io_at(&path)(e)),
            }
        }
    }
    let text = serde_json::to_vec_pretty(&manifest).map_err(|e| ArchiveError::Io {
        path: output.to_path_buf(),
        source: io::Error::other(e),
    })?;
    let mut header = header(text.len() as u64, 0o644);
    tar.append_data(&mut header, MANIFEST, text.as_slice())
        .map_err(io_at(output))?;
    let gz = tar.into_inner().map_err(io_at(output))?;
    let mut tmp = gz.finish().map_err(io_at(output))?;
    tmp.flush().map_err(io_at(output))?;
    if interrupted.requested() {
        return Err(stop());
    }
    tmp.persist(output).map_err(|e| io_at(output)(e.error))?;
    Ok(manifest)
}

/// The process's file mode creation mask (read by setting it and putting it back).
fn umask() -> u32 {
    let mask = rustix::process::umask(rustix::fs::Mode::from_raw_mode(0o077));
    rustix::process::umask(mask);
    mask.as_raw_mode()
}

/// Remove the temp files of `ptest archive`s that were killed (SIGKILL, power loss)
/// while writing into `dir`: `.ptest-archive-PID-*.tmp` whose PID is no longer running.
/// A running ptest's temp file is left alone. Best effort: what cannot be removed stays.
fn sweep_stale(dir: &Path) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name();
        let Some(pid) = name
            .to_str()
            .and_then(|n| n.strip_prefix(TEMP_PREFIX))
            .filter(|n| n.ends_with(TEMP_SUFFIX))
            .and_then(|n| n.split('-').next())
            .and_then(|pid| pid.parse::<i32>().ok())
        else {
            continue;
        };
        let gone = match rustix::process::Pid::from_raw(pid) {
            Some(pid) => rustix::process::test_kill_process(pid) == Err(rustix::io::Errno::SRCH),
            None => true,
        };
        if gone && entry.file_type().is_ok_and(|t| t.is_file()) {
            let _ = std::fs::remove_file(entry.path());
        }
    }
}

/// The regular files of a unit, by relative name (`""` for a unit that is one file).
/// Anything else (a link, a FIFO …) is an error: it would not mean the same elsewhere.
fn files_of(source: &Path) -> Result<Vec<String>, ArchiveError> {
    let meta = match std::fs::symlink_metadata(source) {
        Ok(m) => m,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(source_err) => {
            return Err(ArchiveError::Io {
                path: source.to_path_buf(),
                source: source_err,
            });
        }
    };
    if meta.is_file() {
        return Ok(vec![String::new()]);
    }
    if !meta.is_dir() {
        return Err(ArchiveError::Unpackable {
            path: source.to_path_buf(),
            reason: "is not a regular file or folder (a link is never followed)".into(),
        });
    }
    let walked = tree::walk(source).map_err(|e| ArchiveError::Io {
        path: source.to_path_buf(),
        source: e,
    })?;
    let mut files = Vec::new();
    for (rel, entry) in walked {
        match entry {
            Entry::File => files.push(rel),
            Entry::Invalid(reason) => {
                return Err(ArchiveError::Unpackable {
                    path: source.join(&rel),
                    reason,
                });
            }
        }
    }
    Ok(files)
}

fn header(size: u64, mode: u32) -> tar::Header {
    let mut h = tar::Header::new_gnu();
    h.set_size(size);
    h.set_mode(mode);
    // Fixed times and owners: the same inputs give the same archive.
    h.set_mtime(0);
    h.set_entry_type(tar::EntryType::Regular);
    h
}

/// Stream one file into the tar, hashing it on the way.
fn append_file<W: Write>(
    tar: &mut tar::Builder<W>,
    path: &Path,
    member: &str,
    interrupted: &Cancel,
) -> io::Result<FileEntry> {
    let file = File::open(path)?;
    let meta = file.metadata()?;
    let mode = if meta.permissions().mode() & 0o111 != 0 {
        0o755
    } else {
        0o644
    };
    let mut reader = Hashing {
        inner: Stoppable {
            inner: file,
            interrupted: interrupted.clone(),
        },
        hasher: Sha256::new(),
        count: 0,
    };
    let mut h = header(meta.len(), mode);
    tar.append_data(&mut h, member, &mut reader)?;
    if reader.count != meta.len() {
        return Err(io::Error::other(
            "changed size while being packed; pack again once nothing writes to it",
        ));
    }
    Ok(FileEntry {
        path: member.to_string(),
        size: reader.count,
        sha256: hex::encode(reader.hasher.finalize()),
    })
}

/// A reader that hashes and counts what passes through.
pub(super) struct Hashing<R> {
    pub inner: R,
    pub hasher: Sha256,
    pub count: u64,
}

impl<R: Read> Read for Hashing<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.hasher.update(&buf[..n]);
        self.count += n as u64;
        Ok(n)
    }
}

/// A reader that fails once `interrupted` says so, so that a long file stops streaming
/// at Ctrl-C instead of at its end.
pub(super) struct Stoppable<R> {
    pub inner: R,
    pub interrupted: Cancel,
}

impl<R: Read> Read for Stoppable<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.interrupted.requested() {
            return Err(io::Error::other("interrupted"));
        }
        self.inner.read(buf)
    }
}
