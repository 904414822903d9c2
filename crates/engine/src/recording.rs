//! Where a recording's files are: its name checked as a file name, resolved in the
//! current test's replay folder (or as a path `DIR/NAME`), and each engine's file names.

use std::path::{Path, PathBuf};

use crate::{Context, EngineError};

/// Checks that `name` is usable as a file name stem.
pub fn check_name(name: &str) -> Result<(), EngineError> {
    if name.is_empty()
        || name.contains('/')
        || name.starts_with('.')
        || name.contains(char::is_whitespace)
    {
        return Err(EngineError::Usage(format!(
            "replay name {name:?} must be a plain file name (no '/', spaces or leading '.')"
        )));
    }
    Ok(())
}

/// The folder and stem of recording `name`: in the test's replay folder, or `DIR/NAME`
/// when it is a path.
pub fn locate(ctx: &Context, name: &str) -> Result<(PathBuf, String), EngineError> {
    let path = Path::new(name);
    if let (Some(dir), Some(stem)) = (
        path.parent().filter(|d| !d.as_os_str().is_empty()),
        path.file_name(),
    ) {
        return Ok((dir.to_path_buf(), stem.to_string_lossy().into_owned()));
    }
    Ok((ctx.test_dir("replays")?, name.to_string()))
}

/// `NAME.meta.json`, the metadata both engines keep beside a recording.
pub fn meta_path(dir: &Path, stem: &str) -> PathBuf {
    dir.join(format!("{stem}.meta.json"))
}

/// The files of a QEMU recording `name` in `dir`.
#[derive(Debug, Clone)]
pub struct ReplayFiles {
    pub name: String,
    pub rr: PathBuf,
    pub initramfs: PathBuf,
    pub meta: PathBuf,
}

impl ReplayFiles {
    pub fn new(dir: &Path, name: &str) -> ReplayFiles {
        ReplayFiles {
            name: name.to_string(),
            rr: dir.join(format!("{name}.rr")),
            initramfs: dir.join(format!("{name}.initramfs.gz")),
            meta: meta_path(dir, name),
        }
    }

    /// The QEMU recording `name` of the current test (or at `DIR/NAME`).
    pub fn of(ctx: &Context, name: &str) -> Result<ReplayFiles, EngineError> {
        let (dir, stem) = locate(ctx, name)?;
        check_name(&stem)?;
        Ok(ReplayFiles::new(&dir, &stem))
    }
}

/// A PANDA recording's nondet log (`-replay BASE` reads `BASE-rr-nondet.log` and `BASE-rr-snp`).
pub fn panda_nondet(dir: &Path, stem: &str) -> PathBuf {
    dir.join(format!("{stem}-rr-nondet.log"))
}
