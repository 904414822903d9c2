//! Comparing a test's new outputs with its blessed reference: filters, per-file compare
//! modes, unified and binary diffs.
//!
//! Narrow interface used by the runner and the commands:
//! - [`CompareSpec`]: the TOML form (`[compare]` and `[[filters]]` of `ptest.toml` / `test.toml`),
//!   merged suite-then-test and compiled once into a [`Comparer`];
//! - [`Comparer::compare_dirs`]: blessed dir vs new dir → a [`DirComparison`].
//!
//! Grouped by concept, each file a step (imports only go down this list's dependencies,
//! never in a cycle; the shared types are in leaves):
//! - the API's types: `spec` (TOML schema), `cancel` (when to stop early), `error`,
//!   `difference` (what differs, as data, and its text rendering), `verdict` (per-file
//!   verdicts), `mode`;
//! - `filters/`: `preset` (named filters' data), `literal` (fast matchers for presets),
//!   `filter` (compiling and checking rules), `apply` (the one filter applier);
//! - building and choosing: `compile` (layers → [`Comparer`]), `sniff` (a file's mode);
//! - comparing: `dir` (folders merged by name), `file` (one pair, per mode), `plog`
//!   (pandalog glue);
//! - `bytes/`: `binary` (byte compare, binary windows), `ahead` (read-ahead);
//! - `text/`: `budget` (the memory limit of a full diff), `transform` (a line in compared
//!   form), `block` and `stream` (the bounded line streamers), `lines` (a loaded file),
//!   `diff` (the diff algorithm), `render` (the lines a diff shows, cut to length).
//!
//! This module holds only the re-exports: `crate::compare::X` is the public path of
//! every public type; the submodules stay private. Each folder's modules reach their
//! neighbours through `super::`, which the folder's `mod.rs` re-imports.

mod bytes;
mod cancel;
mod compile;
mod difference;
mod dir;
mod error;
mod file;
mod filters;
mod mode;
mod plog;
mod sniff;
mod spec;
mod text;
mod verdict;

use bytes::{ahead, binary};
use filters::{apply, filter};
use text::{budget, diff, render, stream, transform};

pub use cancel::{Cancel, Stopped};
pub use compile::Comparer;
pub use difference::{
    BinaryDiff, DiffLine, Difference, EntryAt, EntryChange, FieldChange, FirstOnly, HexRow, Hunk,
    LineKind, LineRange, LogSide, PlogChanges, PlogDiff, SortedLines, TextDiff, Truncation,
    render as render_difference,
};
/// The pieces of a difference's text, for views that lay it out otherwise (HTML).
pub mod wording {
    pub use super::difference::{
        DIFF_FAILED, NO_NEWLINE, binary_lines, first_only_note, hunk_header, line_text,
        sorted_lines_note, truncation_note, undecodable_note,
    };
}
pub use error::CompareError;
pub use mode::Mode;
pub use spec::{CompareLayer, CompareSpec, DEFAULT_DIFF_LINES, FilterSpec};
pub use verdict::{DirComparison, FileComparison, FileVerdict};

#[cfg(test)]
mod tests;
