//! What comparing found different about one file, as data: text hunks with line numbers,
//! the first difference of files too large to diff, line counts of large sorted files,
//! binary windows, pandalog entry changes; with what the `diff-lines` budget cut. Produced
//! once by the comparison, stored as is in the per-test state and the JSON report, and
//! rendered by each view (`text` here for the terminal, `ptest diff` and JUnit; the HTML
//! report and `ptest review` from the same data).
//!
//! A leaf in `compare`: types and their one text rendering, no comparison logic.

use serde::{Deserialize, Serialize};

pub use ptest_plog::{DiffReport as PlogChanges, EntryAt, EntryChange, FieldChange, LogSide};

/// One differing file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Difference {
    /// A line diff (`exact`, `text` and `sorted` modes).
    Text(TextDiff),
    /// Sorted files too large to load: only their line counts differ in kind.
    SortedLines(SortedLines),
    /// Binary files: sizes, first differing offset and the bytes around it.
    Binary(BinaryDiff),
    /// Pandalogs, entry by entry.
    Plog(PlogDiff),
    /// Files that should be pandalogs but cannot be decoded: why, then their bytes.
    Undecodable { why: String, bytes: BinaryDiff },
    /// Text files that differ, whose diff could not be computed (its helper panicked).
    DiffFailed { name: String },
}

/// A line diff: the hunks shown and what was cut.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TextDiff {
    /// The file's name relative to the output folders.
    pub name: String,
    /// Lines were sorted before comparing (`sorted` mode).
    #[serde(default)]
    pub sorted: bool,
    /// Set when the files were too large to diff and only their first difference is shown.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub first_only: Option<FirstOnly>,
    pub hunks: Vec<Hunk>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub truncated: Option<Truncation>,
}

/// Why only the first difference is shown, and at which (1-based) line.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FirstOnly {
    pub why: String,
    pub line: u64,
}

/// Lines the `diff-lines` budget cut, and where to see them all (`ptest diff TEST`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Truncation {
    pub lines: usize,
    pub see: String,
}

/// One `@@` hunk: its ranges (0-based start, length, as computed) and the lines shown.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Hunk {
    pub old: LineRange,
    pub new: LineRange,
    pub lines: Vec<DiffLine>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct LineRange {
    pub start: usize,
    pub len: usize,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LineKind {
    Context,
    Removed,
    Added,
}

impl LineKind {
    pub fn prefix(self) -> char {
        match self {
            LineKind::Context => ' ',
            LineKind::Removed => '-',
            LineKind::Added => '+',
        }
    }
}

/// A line as compared (after filters), without its newline.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DiffLine {
    pub kind: LineKind,
    pub text: String,
    /// Bytes of an over-long line that were cut from `text`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cut_bytes: Option<usize>,
    /// The line has no newline and the "\ No newline at end of file" note was shown.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub no_newline: bool,
}

/// `sorted` files too large to load whose line multisets differ.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SortedLines {
    pub name: String,
    pub why: String,
    pub blessed_lines: u64,
    pub new_lines: u64,
}

/// Two binary files: their sizes, the first differing offset and a window of bytes around
/// it on each side (both windows start at `window_start`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BinaryDiff {
    pub name: String,
    pub blessed_size: u64,
    pub new_size: u64,
    pub offset: u64,
    pub window_start: u64,
    pub blessed_window: Vec<u8>,
    pub new_window: Vec<u8>,
}

/// Two pandalogs: the entry changes kept and the totals.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlogDiff {
    pub name: String,
    pub changes: PlogChanges,
}

/// Bytes per hex row of a binary window.
pub const HEX_ROW: u64 = 16;

/// One row of a binary window, as shown: unchanged (both sides), or one side's bytes.
pub struct HexRow<'a> {
    pub kind: LineKind,
    pub at: u64,
    pub bytes: &'a [u8],
}

impl BinaryDiff {
    /// The window's rows: equal rows once, differing ones blessed (`Removed`) then new.
    pub fn rows(&self) -> Vec<HexRow<'_>> {
        let mut rows = Vec::new();
        let longest = self.blessed_window.len().max(self.new_window.len());
        for row in 0..longest.div_ceil(HEX_ROW as usize) {
            let at = self.window_start + row as u64 * HEX_ROW;
            let lo = row * HEX_ROW as usize;
            let (a, b) = (
                row_of(&self.blessed_window, lo),
                row_of(&self.new_window, lo),
            );
            if a == b {
                rows.push(HexRow {
                    kind: LineKind::Context,
                    at,
                    bytes: a,
                });
                continue;
            }
            for (kind, bytes) in [(LineKind::Removed, a), (LineKind::Added, b)] {
                if !bytes.is_empty() {
                    rows.push(HexRow { kind, at, bytes });
                }
            }
        }
        rows
    }
}

/// The bytes of a window's row starting at `lo` (short or empty past its end).
fn row_of(window: &[u8], lo: usize) -> &[u8] {
    window
        .get(lo..(lo + HEX_ROW as usize).min(window.len()))
        .unwrap_or(&[])
}

mod text;

pub use text::{
    DIFF_FAILED, NO_NEWLINE, binary_lines, first_only_note, hunk_header, line_text, render,
    sorted_lines_note, truncation_note, undecodable_note,
};

impl Difference {
    /// Whether the `diff-lines` budget cut it (`ptest diff` then compares again, uncut).
    pub fn truncated(&self) -> bool {
        match self {
            Difference::Text(t) => t.truncated.is_some(),
            Difference::Plog(p) => p.changes.not_shown() > 0,
            Difference::SortedLines(_)
            | Difference::Binary(_)
            | Difference::Undecodable { .. }
            | Difference::DiffFailed { .. } => false,
        }
    }
}
