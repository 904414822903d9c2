//! Comparing a test's new outputs with its blessed reference: filters, per-file compare
//! modes, unified and binary diffs.
//!
//! Narrow interface used by the runner and the commands:
//! - [`CompareSpec`]: the TOML form (`[compare]` and `[[filters]]` of `ptest.toml` / `test.toml`),
//!   merged suite-then-test and compiled once into a [`Comparer`];
//! - [`Comparer::compare_dirs`]: blessed dir vs new dir → a [`DirComparison`].

use std::path::{Path, PathBuf};

use serde::Deserialize;

/// A filter as written in TOML: either a named preset or a regex → replacement rule,
/// optionally limited to files matching a glob.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FilterSpec {
    pub preset: Option<String>,
    pub regex: Option<String>,
    #[serde(default)]
    pub replace: String,
    /// Glob on the output file's path relative to the output folder (`*.txt`, `logs/**`).
    pub files: Option<String>,
}

/// `[compare]` as written in TOML.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct CompareSpec {
    /// Default mode for files no glob in `modes` matches: exact | text | sorted | plog.
    pub mode: Option<String>,
    /// Glob → mode, for individual files.
    #[serde(default)]
    pub modes: std::collections::BTreeMap<String, String>,
    /// Cut each file's diff to this many lines.
    pub diff_lines: Option<usize>,
    /// Schema for pandalog outputs (`.proto` or descriptor set).
    pub plog_schema: Option<PathBuf>,
}

#[derive(Debug, thiserror::Error)]
pub enum CompareError {
    #[error("{0}")]
    Invalid(String),
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

/// One config file's contribution to a test's comparison rules.
#[derive(Debug, Clone, Default)]
pub struct CompareLayer {
    /// Where these came from (`suite/ptest.toml`), named in error messages.
    pub origin: String,
    pub filters: Vec<FilterSpec>,
    pub compare: CompareSpec,
}

/// Compiled comparison rules for one test.
#[derive(Debug)]
pub struct Comparer {}

/// Per-file result of comparing two output folders.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FileOutcome {
    Same,
    /// Contents differ; `diff` is a rendered, uncoloured diff (unified for text,
    /// size/offset/hex window for binary, entry-level for pandalogs).
    Differs { diff: String },
    /// Blessed, but the new run did not produce it.
    Missing,
    /// Produced by the new run, but not in the blessed reference.
    Unexpected,
    /// Not a regular file (symlink, FIFO, …) or unreadable: `reason` says what.
    Invalid { reason: String },
}

#[derive(Debug, Clone)]
pub struct FileComparison {
    /// Path relative to the output folders, `/`-separated.
    pub name: String,
    /// Which mode was used (`exact`, `text`, `sorted`, `plog`).
    pub mode: &'static str,
    pub outcome: FileOutcome,
}

#[derive(Debug, Clone, Default)]
pub struct DirComparison {
    pub files: Vec<FileComparison>,
}

impl DirComparison {
    pub fn all_same(&self) -> bool {
        self.files.iter().all(|f| f.outcome == FileOutcome::Same)
    }
}

impl Comparer {
    /// Compile the layers in order (suite first, then the test): filters of later layers
    /// run after earlier ones; modes and settings of later layers override earlier ones.
    pub fn new(_layers: &[CompareLayer]) -> Result<Self, CompareError> {
        Ok(Comparer {})
    }

    /// Compare every file under `blessed` with every file under `new`.
    pub fn compare_dirs(&self, _blessed: &Path, _new: &Path) -> Result<DirComparison, CompareError> {
        Ok(DirComparison::default())
    }
}
