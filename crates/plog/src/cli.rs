//! `ptest plog …` subcommands.

use std::io::Write;
use std::path::PathBuf;

use crate::PlogError;

#[derive(Debug, clap::Subcommand)]
pub enum PlogCommand {
    /// Print every entry of a pandalog.
    Dump {
        file: PathBuf,
    },
}

/// Runs one `ptest plog` subcommand, writing to `out`. Returns the process exit code
/// (0 = success/identical, 1 = `diff` found differences).
pub fn run(cmd: PlogCommand, _out: &mut dyn Write) -> Result<i32, PlogError> {
    match cmd {
        PlogCommand::Dump { .. } => Err(PlogError::Unsupported("not implemented yet".into())),
    }
}
