//! Comparing a test's new outputs with its blessed reference: filters, per-file compare
//! modes, unified and binary diffs.
//!
//! Narrow interface used by the runner and the commands:
//! - [`CompareSpec`]: the TOML form (`[compare]` and `[[filters]]` of `ptest.toml` / `test.toml`),
//!   merged suite-then-test and compiled once into a [`Comparer`];
//! - [`Comparer::compare_dirs`]: blessed dir vs new dir → a [`DirComparison`].
//!
//! Split by responsibility, each file a step (imports only go down this list's
//! dependencies, never in a cycle; the shared types are in leaves):
//! - the API's types: `spec` (TOML schema), `cancel` (when to stop early), `error`, `outcome` (per-file results), `mode`;
//! - rules: `preset` (named filters' data), `filter` (compiling and checking rules),
//!   `apply` (the one filter applier);
//! - building and choosing: `compile` (layers → [`Comparer`]), `sniff` (a file's mode);
//! - comparing: `dir` (folders merged by name), `file` (one pair, per mode), `plog`
//!   (pandalog glue), `binary` (byte compare, hex report), `budget` (the memory limit of
//!   a full diff), `transform` (a line in compared form), `stream` (the bounded line
//!   streamer), `lines` (a loaded file), `diff` (the diff algorithm), `render` (diff text,
//!   cut to length).
//!
//! This module holds only the re-exports: `crate::compare::X` is the public path of
//! every public type; the submodules stay private.

mod ahead;
mod apply;
mod binary;
mod block;
mod budget;
mod cancel;
mod compile;
mod diff;
mod dir;
mod error;
mod file;
mod filter;
mod lines;
mod literal;
mod mode;
mod outcome;
mod plog;
mod preset;
mod render;
mod sniff;
mod spec;
mod stream;
mod transform;

pub use cancel::{Cancel, Stopped};
pub use compile::Comparer;
pub use error::CompareError;
pub use mode::Mode;
pub use outcome::{DirComparison, FileComparison, FileOutcome};
pub use spec::{CompareLayer, CompareSpec, DEFAULT_DIFF_LINES, FilterSpec};

#[cfg(test)]
mod tests;
