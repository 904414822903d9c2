//! `ptest record`, `ptest replay`, `ptest images`, `ptest replays`.

use crate::{Context, EngineError};

#[derive(Debug, clap::Subcommand)]
pub enum EngineCommand {
    /// List the recordings the suite holds.
    Replays {
        /// Only this test's recordings.
        test: Option<String>,
    },
}

/// Runs one engine subcommand; returns the process exit code.
pub fn run(cmd: EngineCommand, _ctx: &Context) -> Result<i32, EngineError> {
    match cmd {
        EngineCommand::Replays { .. } => Err(EngineError::Unsupported("not implemented yet".into())),
    }
}
