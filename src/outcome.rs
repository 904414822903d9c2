//! A test's file outcomes as they are kept and shown: [`FileRecord`] (a comparison's
//! typed outcome with its file name and compare mode, stored as is in `state.json` and the
//! JSON report) and the one renderer of outcomes in words, shared by the terminal, JUnit,
//! `ptest diff` and the one-line summaries in results.
//!
//! A leaf below `runner` and `report` (both use it, it uses neither): it must not print,
//! colour or know about runs.

use serde::{Deserialize, Serialize};

use crate::compare::{FileComparison, FileOutcome};

/// One compared file. The outcome is flattened: `{"name", "mode", "outcome": "differs",
/// "diff": "…"}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileRecord {
    pub name: String,
    /// The compare mode used (`exact`, `text`, `sorted`, `plog`).
    pub mode: String,
    #[serde(flatten)]
    pub outcome: FileOutcome,
    /// The filters applied before comparing (config labels); reports older than this
    /// field read as none.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub filters: Vec<String>,
}

impl From<&FileComparison> for FileRecord {
    fn from(f: &FileComparison) -> FileRecord {
        FileRecord {
            name: f.name.clone(),
            mode: f.mode.to_string(),
            outcome: f.outcome.clone(),
            filters: f.filters.clone(),
        }
    }
}

/// Every file of a comparison, as records.
pub fn records(files: &[FileComparison]) -> Vec<FileRecord> {
    files.iter().map(FileRecord::from).collect()
}

/// Whether any file is not the same as its reference.
pub fn any_change(files: &[FileRecord]) -> bool {
    files.iter().any(|f| f.outcome != FileOutcome::Same)
}

/// What differs about one file, uncoloured, ending in a newline; empty when it is the same.
pub fn describe(file: &FileRecord) -> String {
    // A newline in a name would split the entry in two: shown as `^J`.
    let name = crate::human::visible(&file.name);
    match &file.outcome {
        FileOutcome::Same => String::new(),
        FileOutcome::Differs { diff } if diff.ends_with('\n') => diff.clone(),
        FileOutcome::Differs { diff } => format!("{diff}\n"),
        FileOutcome::Missing => format!("{}: blessed, but the new run did not produce it\n", name),
        FileOutcome::Unexpected => format!(
            "{}: produced by the new run, but not in the blessed reference\n",
            name
        ),
        FileOutcome::Invalid { reason } => format!("{name}: {reason}\n"),
    }
}

/// [`describe`] for every file.
pub fn describe_all(files: &[FileRecord]) -> String {
    files.iter().map(describe).collect()
}

/// "2 file(s) differ, 1 file(s) missing (blessed, not produced)" (bless: relative to the
/// old reference); "all files match" when nothing differs.
pub fn summarise(files: &[FileRecord]) -> String {
    let count = |pred: fn(&FileOutcome) -> bool| files.iter().filter(|f| pred(&f.outcome)).count();
    let parts = [
        (
            count(|o| matches!(o, FileOutcome::Differs { .. })),
            "differ",
        ),
        (
            count(|o| matches!(o, FileOutcome::Missing)),
            "missing (blessed, not produced)",
        ),
        (
            count(|o| matches!(o, FileOutcome::Unexpected)),
            "not blessed (new)",
        ),
        (
            count(|o| matches!(o, FileOutcome::Invalid { .. })),
            "invalid",
        ),
    ];
    let text: Vec<String> = parts
        .iter()
        .filter(|(n, _)| *n > 0)
        .map(|(n, what)| format!("{n} file(s) {what}"))
        .collect();
    if text.is_empty() {
        "all files match".into()
    } else {
        text.join(", ")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(name: &str, outcome: FileOutcome) -> FileRecord {
        FileRecord {
            name: name.into(),
            mode: "text".into(),
            outcome,
            filters: Vec::new(),
        }
    }

    #[test]
    fn records_round_trip_through_json_with_the_outcome_flattened() {
        let files = vec![
            record("a", FileOutcome::Same),
            record(
                "b",
                FileOutcome::Differs {
                    diff: "-x\n+y".into(),
                },
            ),
            record("c", FileOutcome::Missing),
            record(
                "d",
                FileOutcome::Invalid {
                    reason: "is a FIFO".into(),
                },
            ),
        ];
        let json = serde_json::to_value(&files).unwrap();
        assert_eq!(json[1]["outcome"], "differs");
        assert_eq!(json[1]["diff"], "-x\n+y");
        assert_eq!(json[3]["reason"], "is a FIFO");
        let back: Vec<FileRecord> = serde_json::from_value(json).unwrap();
        assert_eq!(back, files);
    }

    #[test]
    fn describe_and_summarise_name_each_kind_of_change() {
        let files = vec![
            record("a", FileOutcome::Same),
            record(
                "b",
                FileOutcome::Differs {
                    diff: "-x\n+y".into(),
                },
            ),
            record("c", FileOutcome::Missing),
            record("u", FileOutcome::Unexpected),
        ];
        assert_eq!(
            describe_all(&files),
            "-x\n+y\nc: blessed, but the new run did not produce it\n\
             u: produced by the new run, but not in the blessed reference\n"
        );
        assert_eq!(
            summarise(&files),
            "1 file(s) differ, 1 file(s) missing (blessed, not produced), 1 file(s) not blessed (new)"
        );
        assert_eq!(summarise(&files[..1]), "all files match");
    }
}
