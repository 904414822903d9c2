//! PANDA pandalogs (`.plog`): a streaming reader, a writer, schema-driven or generic
//! protobuf decoding, JSON/text rendering and an entry-level diff.
//!
//! The `ptest` binary uses exactly this surface:
//! - [`cli::PlogCommand`] and [`cli::run`] for `ptest plog …`;
//! - [`looks_like_pandalog`] and [`compare_files`] for the `plog` compare mode of test outputs.
//!
//! Modules by concern: [`layout`] (header, directory, content sniffing), [`recover`]
//! (scanning for zlib streams), [`pipeline`] (parallel, ordered, bounded chunk
//! decompression), [`reader`] (entry splitting, per-chunk map), [`schema`] (`.proto` /
//! descriptor set / `$PANDA_BUILD` discovery), [`decode`] (schema-driven and generic
//! protobuf decoding), [`render`] (Python-compatible JSON, compact JSON, text),
//! [`lines`] and [`diff`] (entry-level comparison), [`writer`], [`synth`] (test data).

use std::path::Path;
use std::sync::Arc;

pub mod cli;
pub mod decode;
pub mod diff;
mod error;
pub mod layout;
pub mod lines;
pub mod pipeline;
pub mod reader;
pub mod recover;
pub mod render;
pub mod schema;
pub mod synth;
pub mod writer;

pub use decode::Decoder;
pub use error::PlogError;
pub use reader::ReadOptions;
pub use schema::Schema;
pub use writer::PlogWriter;

/// True when the file looks like a pandalog by content: a plausible header (version,
/// directory position inside the file, non-zero chunk size) and a zlib stream at byte
/// 128, or an all-zero header (a log never closed) followed by a zlib stream.
pub fn looks_like_pandalog(path: &Path) -> std::io::Result<bool> {
    layout::looks_like_pandalog(path)
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
    blessed: &Path,
    new: &Path,
    opts: &CompareOptions<'_>,
) -> Result<CompareOutcome, PlogError> {
    let decoder = Arc::new(Decoder::new(Schema::resolve(opts.schema)?));
    let ropts = ReadOptions::default();
    let a = lines::entry_lines(blessed, &decoder, &ropts)?;
    let b = lines::entry_lines(new, &decoder, &ropts)?;
    let filt = |r: Result<diff::EntryLine, PlogError>| {
        r.map(|mut e| {
            e.text = (opts.filter)(&e.text);
            e
        })
    };
    let mut report = diff::DiffReport::new(opts.max_report_lines, "blessed", "new");
    diff::diff(a.map(filt), b.map(filt), &mut report)?;
    Ok(CompareOutcome {
        equal: report.equal(),
        report: report.render(),
    })
}
