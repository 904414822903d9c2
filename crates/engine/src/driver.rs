//! The driver interface every engine implements (record, replay, probe, metadata) and
//! what it returns. Implemented by `qemu` and `panda`; picked only in `dispatch`.
//! Interface only: no engine is named here.

use std::path::Path;

use crate::engines::Engine;
use crate::request::{RecordRequest, ReplayRequest};
use crate::{Context, EngineError};

/// An emulator binary that answered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Emulator {
    pub program: String,
    /// Its version line, as kept in a recording's metadata.
    pub version: String,
}

/// One recording found on disk, for `ptest replays`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Recording {
    pub test: String,
    pub name: String,
    pub engine: Engine,
    pub size: u64,
    pub instructions: Option<u64>,
    /// `matches`, `no metadata …`, or what differs.
    pub status: String,
}

/// What each engine does.
pub trait Driver: Sync {
    /// Records `req` into the current test's replay folder.
    fn record(&self, ctx: &Context, req: &RecordRequest) -> Result<(), EngineError>;
    /// Replays a recording of this engine.
    fn replay(&self, ctx: &Context, req: &ReplayRequest) -> Result<(), EngineError>;
    /// The emulator for `arch`, if it is there and answers.
    fn probe(&self, ctx: &Context, arch: &str) -> Result<Emulator, EngineError>;
    /// The recording whose main file in `dir` is `file`, with whether its metadata still
    /// matches; `None` when `file` is not this engine's.
    fn recording(&self, ctx: &Context, dir: &Path, test: &str, file: &str) -> Option<Recording>;
}
