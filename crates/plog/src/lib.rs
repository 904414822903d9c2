//! PANDA pandalogs (`.plog`): a streaming reader, a writer, schema-driven or generic
//! protobuf decoding, JSON/text rendering and an entry-level diff.
//!
//! The `ptest` binary uses exactly this surface:
//! - [`cli::PlogCommand`] and [`cli::run`] for `ptest plog …`;
//! - [`looks_like_pandalog`] and [`compare_files`] for the `plog` compare mode of test outputs.

use std::path::Path;

pub mod cli;

/// Everything that can go wrong reading, decoding or comparing pandalogs.
#[derive(Debug, thiserror::Error)]
pub enum PlogError {
    #[error("{path}: {source}")]
    Io {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("{0}")]
    Unsupported(String),
}

/// True when the file's first bytes look like a pandalog header (by content, not by name).
pub fn looks_like_pandalog(_path: &Path) -> std::io::Result<bool> {
    Ok(false)
}

/// How [`compare_files`] decodes and renders entries.
pub struct CompareOptions<'a> {
    /// Explicit schema (`.proto` or descriptor set); `None` = discover under `$PANDA_BUILD`, else generic.
    pub schema: Option<&'a Path>,
    /// Applied to each entry's one-line text rendering on both sides before comparing
    /// (the test's filters: redact host pointers and the like).
    pub filter: &'a dyn Fn(&str) -> String,
    /// At most this many lines of entry-level report.
    pub max_report_lines: usize,
}

/// Result of comparing a blessed pandalog with a new one.
pub struct CompareOutcome {
    pub equal: bool,
    /// Entry-level differences, human readable, at most `max_report_lines` lines
    /// plus a summary line; empty when equal.
    pub report: String,
}

/// Decode both logs and compare them entry by entry after `filter`.
pub fn compare_files(
    _blessed: &Path,
    _new: &Path,
    _opts: &CompareOptions<'_>,
) -> Result<CompareOutcome, PlogError> {
    Err(PlogError::Unsupported(
        "pandalog comparison is not implemented yet".into(),
    ))
}
