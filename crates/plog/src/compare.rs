//! Comparing two pandalog files entry by entry: [`diff_files`] for `ptest plog diff`,
//! [`compare_files`] for the `plog` compare mode of test outputs (with the test's
//! filters). Returns the verdict and the report as values; exit codes and printing
//! belong to the binary.

use std::path::Path;
use std::sync::Arc;

use crate::decode::Decoder;
use crate::diff::{DiffReport, EntryLine, diff};
use crate::error::PlogError;
use crate::lines::{entry_lines, render_line};
use crate::reader::ReadOptions;
use crate::schema::Schema;

/// How [`diff_files`] reads the logs.
#[derive(Debug, Clone, Copy)]
pub struct DiffOptions<'a> {
    /// Explicit schema (`.proto` or descriptor set); `None` = discover under
    /// `$PANDA_BUILD`, else generic decoding.
    pub schema: Option<&'a Path>,
    pub read: ReadOptions,
    /// Report at most this many differing entries.
    pub max_lines: usize,
}

/// Result of [`diff_files`]; the sides are labelled `A` and `B` in the report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DiffSummary {
    pub equal: bool,
    pub entries_a: u64,
    pub entries_b: u64,
    /// Entry-level differences, at most `max_lines` lines plus a summary line; empty
    /// when equal.
    pub report: String,
}

/// Decodes both logs and compares them entry by entry.
pub fn diff_files(a: &Path, b: &Path, opts: &DiffOptions<'_>) -> Result<DiffSummary, PlogError> {
    let report = diff_logs(
        a,
        b,
        opts.schema,
        &opts.read,
        opts.max_lines,
        ("A", "B"),
        None,
    )?;
    Ok(DiffSummary {
        equal: report.equal(),
        entries_a: report.entries_a,
        entries_b: report.entries_b,
        report: report.render(),
    })
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
    /// The entry-level differences as data (at most `max_report_lines` changes, and the
    /// totals), the sides named `blessed` and `new`.
    pub changes: DiffReport,
    /// `changes` rendered: one line per change plus a summary line; empty when equal.
    pub report: String,
}

/// Decode both logs and compare them entry by entry after `filter`.
pub fn compare_files(
    blessed: &Path,
    new: &Path,
    opts: &CompareOptions<'_>,
) -> Result<CompareOutcome, PlogError> {
    let report = diff_logs(
        blessed,
        new,
        opts.schema,
        &ReadOptions::default(),
        opts.max_report_lines,
        ("blessed", "new"),
        Some(opts.filter),
    )?;
    Ok(CompareOutcome {
        equal: report.equal(),
        report: report.render(),
        changes: report,
    })
}

/// The one comparison both entry points share: schema first (its errors come before
/// any file's), then both logs streamed in parallel and merged by `instr`.
fn diff_logs(
    a: &Path,
    b: &Path,
    schema: Option<&Path>,
    read: &ReadOptions,
    max_lines: usize,
    names: (&str, &str),
    filter: Option<&dyn Fn(&str) -> String>,
) -> Result<DiffReport, PlogError> {
    let decoder = Arc::new(Decoder::new(Schema::resolve(schema)?));
    // Only a filtered compare needs every entry's text; a plain diff renders just the
    // entries whose raw bytes differ.
    let eager = filter.is_some();
    let la = entry_lines(a, &decoder, read, eager)?;
    let lb = entry_lines(b, &decoder, read, eager)?;
    let mut report = DiffReport::new(max_lines, names.0, names.1);
    match filter {
        None => {
            // Text is only rendered for entries whose bytes differ; which side they
            // come from matters only for an (internal) error message.
            let render = |e: &EntryLine| render_line(a, &decoder, e);
            diff(la, lb, &mut report, &render)?
        }
        Some(f) => {
            let filt = |r: Result<EntryLine, PlogError>| {
                r.map(|mut e| {
                    e.text = e.text.map(|t| f(&t));
                    e
                })
            };
            let render = |e: &EntryLine| render_line(a, &decoder, e).map(|t| f(&t));
            diff(la.map(filt), lb.map(filt), &mut report, &render)?;
        }
    }
    Ok(report)
}
