//! What comparing produces: per-file verdicts and the folder-level list, the types the
//! runner, the state file and the reporters consume. A leaf: it imports only the
//! `difference` types from `compare`, and holds no comparison logic.

use serde::Deserialize;

use super::difference::Difference;

/// Per-file verdict of comparing two output folders. Stored as is in the state
/// (`{"outcome": "differs", "difference": {…}}`: the JSON key keeps its name), so `ptest
/// diff` reads back what `test` found.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, Deserialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum FileVerdict {
    Same,
    /// Contents differ: what differs, as data (hunks, a binary window, entry changes).
    Differs {
        difference: Difference,
    },
    /// Blessed, but the new run did not produce it.
    Missing,
    /// Produced by the new run, but not in the blessed reference.
    Unexpected,
    /// Not a regular file (symlink, FIFO, …) or unreadable: `reason` says what.
    Invalid {
        reason: String,
    },
}

#[derive(Debug, Clone)]
pub struct FileComparison {
    /// Path relative to the output folders, `/`-separated.
    pub name: String,
    /// Which mode was used (`exact`, `text`, `sorted`, `plog`).
    pub mode: &'static str,
    pub verdict: FileVerdict,
    /// The filters that applied to this file (their config labels, deduplicated), empty
    /// when none did or the file was never compared.
    pub filters: Vec<String>,
}

#[derive(Debug, Clone, Default)]
pub struct DirComparison {
    pub files: Vec<FileComparison>,
}

impl DirComparison {
    pub fn all_same(&self) -> bool {
        self.files.iter().all(|f| f.verdict == FileVerdict::Same)
    }
}
