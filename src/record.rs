//! A test's compared files as they are kept and shown: [`FileRecord`] (a comparison's
//! typed [`FileVerdict`] with its file name, compare mode and filters, stored as is in the
//! state and the JSON report) and the one renderer of verdicts in words, shared by the
//! terminal, JUnit, `ptest diff` and the one-line summaries in results.
//!
//! A leaf below `runner` and `report` (both use it, it uses neither): it must not print,
//! colour or know about runs.

use serde::{Deserialize, Serialize};

use crate::compare::{FileComparison, FileVerdict, render_difference};

/// One compared file. The outcome is flattened: `{"name", "mode", "outcome": "differs",
/// "difference": {…}, "diff": "…"}`, where `diff` is the difference as text, written for
/// readers of the JSON report and never read back.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(into = "FileRecordJson", from = "FileRecordJson")]
pub struct FileRecord {
    pub name: String,
    /// The compare mode used (`exact`, `text`, `sorted`, `plog`).
    pub mode: String,
    #[serde(flatten)]
    pub verdict: FileVerdict,
    /// The filters applied before comparing (config labels); reports older than this
    /// field read as none.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub filters: Vec<String>,
}

/// [`FileRecord`] as JSON: the record plus its rendered `diff`.
#[derive(Serialize, Deserialize)]
struct FileRecordJson {
    name: String,
    mode: String,
    #[serde(flatten)]
    verdict: FileVerdict,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    filters: Vec<String>,
    #[serde(default, skip_deserializing, skip_serializing_if = "Option::is_none")]
    diff: Option<String>,
}

impl From<FileRecord> for FileRecordJson {
    fn from(f: FileRecord) -> FileRecordJson {
        let diff = match &f.verdict {
            FileVerdict::Differs { difference } => Some(render_difference(difference)),
            _ => None,
        };
        FileRecordJson {
            name: f.name,
            mode: f.mode,
            verdict: f.verdict,
            filters: f.filters,
            diff,
        }
    }
}

impl From<FileRecordJson> for FileRecord {
    fn from(f: FileRecordJson) -> FileRecord {
        FileRecord {
            name: f.name,
            mode: f.mode,
            verdict: f.verdict,
            filters: f.filters,
        }
    }
}

impl From<&FileComparison> for FileRecord {
    fn from(f: &FileComparison) -> FileRecord {
        FileRecord {
            name: f.name.clone(),
            mode: f.mode.to_string(),
            verdict: f.verdict.clone(),
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
    files.iter().any(|f| f.verdict != FileVerdict::Same)
}

/// Whether the file's stored difference was cut by the `diff-lines` budget.
pub fn truncated(file: &FileRecord) -> bool {
    matches!(&file.verdict, FileVerdict::Differs { difference } if difference.truncated())
}

/// What differs about one file, uncoloured, ending in a newline; empty when it is the same.
pub fn describe(file: &FileRecord) -> String {
    // A newline in a name would split the entry in two: shown as `^J`.
    let name = crate::human::visible(&file.name);
    match &file.verdict {
        FileVerdict::Same => String::new(),
        FileVerdict::Differs { difference } => {
            let text = render_difference(difference);
            match text.ends_with('\n') {
                true => text,
                false => format!("{text}\n"),
            }
        }
        FileVerdict::Missing => format!("{}: blessed, but the new run did not produce it\n", name),
        FileVerdict::Unexpected => format!(
            "{}: produced by the new run, but not in the blessed reference\n",
            name
        ),
        FileVerdict::Invalid { reason } => format!("{name}: {reason}\n"),
    }
}

/// [`describe`] for every file.
pub fn describe_all(files: &[FileRecord]) -> String {
    files.iter().map(describe).collect()
}

/// "2 file(s) differ, 1 file(s) missing (blessed, not produced)" (bless: relative to the
/// old reference); "all files match" when nothing differs.
pub fn summarise(files: &[FileRecord]) -> String {
    let count = |pred: fn(&FileVerdict) -> bool| files.iter().filter(|f| pred(&f.verdict)).count();
    let parts = [
        (
            count(|o| matches!(o, FileVerdict::Differs { .. })),
            "differ",
        ),
        (
            count(|o| matches!(o, FileVerdict::Missing)),
            "missing (blessed, not produced)",
        ),
        (
            count(|o| matches!(o, FileVerdict::Unexpected)),
            "not blessed (new)",
        ),
        (
            count(|o| matches!(o, FileVerdict::Invalid { .. })),
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

    fn record(name: &str, outcome: FileVerdict) -> FileRecord {
        FileRecord {
            name: name.into(),
            mode: "text".into(),
            verdict: outcome,
            filters: Vec::new(),
        }
    }

    /// A one-hunk text difference that renders as `-x` / `+y` under its headers.
    fn x_to_y() -> FileVerdict {
        use crate::compare::{DiffLine, Difference, Hunk, LineKind, LineRange, TextDiff};
        let line = |kind, text: &str| DiffLine {
            kind,
            text: text.into(),
            cut_bytes: None,
            no_newline: false,
        };
        let one = LineRange { start: 0, len: 1 };
        FileVerdict::Differs {
            difference: Difference::Text(TextDiff {
                name: "b".into(),
                sorted: false,
                first_only: None,
                hunks: vec![Hunk {
                    old: one,
                    new: one,
                    lines: vec![line(LineKind::Removed, "x"), line(LineKind::Added, "y")],
                }],
                truncated: None,
            }),
        }
    }

    const X_TO_Y: &str = "--- blessed/b\n+++ new/b\n@@ -1 +1 @@\n-x\n+y\n";

    #[test]
    fn records_round_trip_through_json_with_the_outcome_flattened() {
        let files = vec![
            record("a", FileVerdict::Same),
            record("b", x_to_y()),
            record("c", FileVerdict::Missing),
            record(
                "d",
                FileVerdict::Invalid {
                    reason: "is a FIFO".into(),
                },
            ),
        ];
        let json = serde_json::to_value(&files).unwrap();
        assert_eq!(json[1]["outcome"], "differs");
        assert_eq!(json[1]["diff"], X_TO_Y);
        assert_eq!(json[1]["difference"]["kind"], "text");
        assert_eq!(json[3]["reason"], "is a FIFO");
        let back: Vec<FileRecord> = serde_json::from_value(json).unwrap();
        assert_eq!(back, files);
    }

    #[test]
    fn describe_and_summarise_name_each_kind_of_change() {
        let files = vec![
            record("a", FileVerdict::Same),
            record("b", x_to_y()),
            record("c", FileVerdict::Missing),
            record("u", FileVerdict::Unexpected),
        ];
        assert_eq!(
            describe_all(&files),
            "--- blessed/b\n+++ new/b\n@@ -1 +1 @@\n-x\n+y\nc: blessed, but the new run did not produce it\n\
             u: produced by the new run, but not in the blessed reference\n"
        );
        assert_eq!(
            summarise(&files),
            "1 file(s) differ, 1 file(s) missing (blessed, not produced), 1 file(s) not blessed (new)"
        );
        assert_eq!(summarise(&files[..1]), "all files match");
    }
}
