//! Reporters: sinks of runner events. The terminal reporter prints as tests finish; the
//! JUnit and JSON reporters write their file when the run ends.

pub mod json;
pub mod junit;
pub mod terminal;

use crate::compare::{FileComparison, FileOutcome};

/// The human-readable account of what differs in `files`, as shown on the terminal, in
/// JUnit failure bodies and in `ptest diff` (without colour).
pub fn describe_files(files: &[FileComparison]) -> String {
    let mut out = String::new();
    for f in files {
        match &f.outcome {
            FileOutcome::Same => {}
            FileOutcome::Differs { diff } => {
                out.push_str(diff);
                if !diff.ends_with('\n') {
                    out.push('\n');
                }
            }
            FileOutcome::Missing => {
                out.push_str(&format!(
                    "{}: blessed, but the new run did not produce it\n",
                    f.name
                ));
            }
            FileOutcome::Unexpected => {
                out.push_str(&format!(
                    "{}: produced by the new run, but not in the blessed reference\n",
                    f.name
                ));
            }
            FileOutcome::Invalid { reason } => {
                out.push_str(&format!("{}: {reason}\n", f.name));
            }
        }
    }
    out
}
