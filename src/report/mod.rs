//! Reporters: sinks of runner events, nextest-style. Each implements [`Reporter`] and sees
//! the same events; none is handed results any other way. The terminal reporter prints as
//! tests finish; the JUnit and JSON reporters build their document from `RunFinished` and
//! write it then. Reporters must not decide exit codes or touch the regression directory.
//! File outcomes are put into words by [`crate::outcome`], the one renderer.

pub mod html;
pub mod json;
pub mod junit;
pub mod merge;
pub mod terminal;

use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use crate::runner::Event;
use json::Previous;

/// A sink of runner events.
pub trait Reporter {
    fn event(&mut self, event: &Event<'_>);

    /// After the run: whether the reporter's output was written.
    fn finish(self: Box<Self>) -> Result<(), ReportError> {
        Ok(())
    }
}

/// A report file that could not be written. The run then fails of its own (exit 2): CI
/// would otherwise read a missing or truncated file.
#[derive(Debug, thiserror::Error)]
#[error(
    "could not write the {kind} report {}: {source}; the results above are complete, fix the path or free space and run again",
    path.display()
)]
pub struct ReportError {
    pub kind: &'static str,
    pub path: PathBuf,
    #[source]
    pub source: std::io::Error,
}

/// A reporter that writes one file at `RunFinished`, remembering whether that worked.
struct FileSink {
    kind: &'static str,
    path: PathBuf,
    write: fn(&Path, &crate::runner::RunOutcome, &Previous) -> std::io::Result<()>,
    /// Tests' stored durations before the run, for the reports that show history.
    previous: Previous,
    result: Option<std::io::Result<()>>,
}

impl Reporter for FileSink {
    fn event(&mut self, event: &Event<'_>) {
        if let Event::RunFinished { outcome } = event {
            self.result = Some((self.write)(&self.path, outcome, &self.previous));
        }
    }

    fn finish(self: Box<Self>) -> Result<(), ReportError> {
        match self.result {
            Some(Err(source)) => Err(ReportError {
                kind: self.kind,
                path: self.path,
                source,
            }),
            // A run always ends with `RunFinished`; none means nothing was run to report.
            Some(Ok(())) | None => Ok(()),
        }
    }
}

/// The JUnit XML reporter, writing `path` when the run ends.
pub fn junit_file(path: &Path) -> Box<dyn Reporter> {
    Box::new(FileSink {
        kind: "JUnit",
        path: path.to_path_buf(),
        write: |path, run, _| junit::write(path, run),
        previous: Previous::new(),
        result: None,
    })
}

/// The JSON reporter, writing `path` when the run ends; `previous`: tests' stored
/// durations before the run.
pub fn json_file(path: &Path, previous: &Previous) -> Box<dyn Reporter> {
    Box::new(FileSink {
        kind: "JSON",
        path: path.to_path_buf(),
        write: json::write,
        previous: previous.clone(),
        result: None,
    })
}

/// The HTML reporter, writing `path` (atomically) when the run ends.
pub fn html_file(path: &Path, previous: &Previous) -> Box<dyn Reporter> {
    Box::new(FileSink {
        kind: "HTML",
        path: path.to_path_buf(),
        write: |path, run, previous| {
            html::write_html(&json::RunReport::from(run).with_previous(previous), path)
        },
        previous: previous.clone(),
        result: None,
    })
}

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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::runner::{RunKind, RunOutcome};

    fn finished(interrupted: bool) -> RunOutcome {
        RunOutcome {
            kind: RunKind::Bless,
            results: Vec::new(),
            elapsed: std::time::Duration::from_millis(1500),
            interrupted,
        }
    }

    #[test]
    fn file_reporters_write_at_run_finished_from_the_event_alone() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("r.json");
        let mut json = json_file(&path, &Previous::new());
        json.event(&Event::RunStarted {
            kind: RunKind::Bless,
            total: 0,
            jobs: 1,
        });
        assert!(!path.exists(), "written before the run finished");
        let outcome = finished(true);
        json.event(&Event::RunFinished { outcome: &outcome });
        json.finish().unwrap();
        let doc: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
        assert_eq!(doc["mode"], "bless");
        assert_eq!(doc["interrupted"], true);
        assert_eq!(doc["duration_secs"], 1.5);
    }

    #[test]
    fn a_report_that_cannot_be_written_is_an_error_naming_kind_and_path() {
        let path = Path::new("/nonexistent-dir/junit.xml");
        let mut junit = junit_file(path);
        let outcome = finished(false);
        junit.event(&Event::RunFinished { outcome: &outcome });
        let err = junit.finish().unwrap_err();
        assert_eq!((err.kind, err.path.as_path()), ("JUnit", path));
        assert!(err.to_string().contains("could not write the JUnit report"));
    }
}
