//! Reporters: sinks of runner events. The terminal reporter prints as tests finish; the
//! JUnit and JSON reporters write their file when the run ends.

pub mod json;
pub mod junit;
pub mod terminal;

use std::io::{BufWriter, Write};
use std::path::Path;

use crate::compare::{FileComparison, FileOutcome};

/// Create `path` and fill it with `write`, flushing explicitly: a `BufWriter` dropped
/// unflushed swallows the error of its last write (`--json /dev/full` used to "succeed").
fn write_file(
    path: &Path,
    write: impl FnOnce(&mut BufWriter<std::fs::File>) -> std::io::Result<()>,
) -> std::io::Result<()> {
    let mut out = BufWriter::new(std::fs::File::create(path)?);
    write(&mut out)?;
    out.flush()?;
    out.into_inner()
        .map_err(|e| e.into_error())?
        .sync_all()
        .or_else(|e| {
            // Character devices and pipes (/dev/stdout) cannot be synced; that is no loss.
            if e.kind() == std::io::ErrorKind::InvalidInput {
                Ok(())
            } else {
                Err(e)
            }
        })
}

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
