//! What `ptest record` and `ptest replay` ask an engine, independent of the engine.

use std::path::{Path, PathBuf};

/// What `ptest record` was asked.
#[derive(Debug, Clone, Default)]
pub struct RecordRequest {
    /// `--image` (default: the test's or suite's image).
    pub image: Option<String>,
    /// Name of the recording (files `replays/TEST/NAME.*`).
    pub name: String,
    /// `--copy` files.
    pub copies: Vec<PathBuf>,
    /// `--arch` (PANDA).
    pub arch: Option<String>,
    /// `--snapshot` (PANDA).
    pub snapshot: Option<String>,
    /// The command's words, as given after `--`.
    pub command: Vec<String>,
}

/// What `ptest replay` was asked.
pub struct ReplayRequest<'a> {
    pub name: &'a str,
    pub arch: Option<&'a str>,
    pub image: Option<&'a str>,
    /// Where the guest's console goes (relative: in the tmpout dir); default the log dir.
    pub console: Option<&'a Path>,
    pub engine_args: &'a [String],
}
