//! Reporters: sinks of runner events, nextest-style. Each implements [`Reporter`] and sees
//! the same events; none is handed results any other way. The terminal reporter prints as
//! tests finish; the JUnit, JSON and HTML reporters (`aggregate`) build their report test
//! by test and write it at `RunFinished`, each through the one atomic [`write_file`]. Reporters must not decide exit codes or touch the regression directory.
//! File outcomes are put into words by [`crate::record`], the one renderer.

mod aggregate;
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

/// The JUnit XML reporter, writing `path` when the run ends.
pub fn junit_file(path: &Path) -> Box<dyn Reporter> {
    let write: aggregate::WriteReport = junit::write_report;
    Box::new(aggregate::FileSink::new(
        "JUnit",
        path,
        write,
        &Previous::new(),
        None,
    ))
}

/// The JSON reporter, writing `path` when the run ends; `previous`: tests' stored
/// durations before the run.
pub fn json_file(path: &Path, previous: &Previous) -> Box<dyn Reporter> {
    json_sink(path, previous, None)
}

/// The JSON reporter of a shard: like [`json_file`], with the shard recorded.
pub fn shard_file(path: &Path, shard: json::Shard, previous: &Previous) -> Box<dyn Reporter> {
    json_sink(path, previous, Some(shard))
}

fn json_sink(path: &Path, previous: &Previous, shard: Option<json::Shard>) -> Box<dyn Reporter> {
    Box::new(aggregate::FileSink::new(
        "JSON",
        path,
        |path, report| report.write(path),
        previous,
        shard,
    ))
}

/// The HTML reporter, writing `path` when the run ends.
pub fn html_file(path: &Path, previous: &Previous) -> Box<dyn Reporter> {
    Box::new(aggregate::FileSink::new(
        "HTML",
        path,
        |path, report| html::write_html(report, path),
        previous,
        None,
    ))
}

/// The one way every report file (JSON, JUnit, HTML; a run's or a merge's) is written:
/// filled through a temporary file beside `path`, synced, made world-readable (reports
/// are shared: CI artifacts, web servers; not the temp file's 0600) and renamed into
/// place, so a reader never sees half a report and a failed write leaves the old one.
/// A pipe or terminal (`--json /dev/stdout`) is written to as is: renaming over it would
/// replace the device's name, not fill it. Flushed explicitly: a `BufWriter` dropped
/// unflushed swallows the error of its last write (`--json /dev/full` used to "succeed").
pub fn write_file(
    path: &Path,
    write: impl FnOnce(&mut BufWriter<std::fs::File>) -> std::io::Result<()>,
) -> std::io::Result<()> {
    if std::fs::metadata(path).is_ok_and(|m| !m.is_file()) {
        return fill(std::fs::File::create(path)?, write);
    }
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    let tmp = tempfile::Builder::new()
        .prefix(".ptest-report-")
        .tempfile_in(dir)?;
    fill(tmp.as_file().try_clone()?, write)?;
    use std::os::unix::fs::PermissionsExt;
    tmp.as_file()
        .set_permissions(std::fs::Permissions::from_mode(0o644))?;
    tmp.persist(path).map_err(|e| e.error)?;
    Ok(())
}

fn fill(
    file: std::fs::File,
    write: impl FnOnce(&mut BufWriter<std::fs::File>) -> std::io::Result<()>,
) -> std::io::Result<()> {
    let mut out = BufWriter::new(file);
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

    fn result(name: &str, status: crate::runner::Status) -> crate::runner::TestResult {
        crate::runner::TestResult {
            name: name.into(),
            mode: RunKind::Test,
            status,
            duration: std::time::Duration::from_secs(1),
            started: std::time::Duration::ZERO,
            attempts: 1,
            script_ok: true,
            reason: None,
            files: Vec::new(),
            log: "/x/test.log".into(),
            log_tail: Vec::new(),
            leaked: 0,
            variation: None,
            stall: None,
            inputs: None,
        }
    }

    #[test]
    fn the_json_aggregator_adds_tests_as_they_finish_and_keeps_the_run_order() {
        use crate::runner::Status;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("r.json");
        let previous = Previous::from([("b".to_string(), 7.0)]);
        let mut json = json_file(&path, &previous);
        json.event(&Event::RunStarted {
            kind: RunKind::Test,
            total: 3,
            jobs: 2,
        });
        let (a, b, c) = (
            result("a", Status::Passed),
            result("b", Status::Failed),
            result("c", Status::NotRun),
        );
        // b finishes first; c never starts.
        json.event(&Event::TestFinished { result: &b });
        json.event(&Event::TestFinished { result: &a });
        let outcome = RunOutcome {
            kind: RunKind::Test,
            results: vec![a, b, c],
            elapsed: std::time::Duration::from_secs(2),
            interrupted: true,
        };
        json.event(&Event::RunFinished { outcome: &outcome });
        json.finish().unwrap();
        let doc: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
        let names: Vec<&str> = doc["tests"]
            .as_array()
            .unwrap()
            .iter()
            .map(|t| t["name"].as_str().unwrap())
            .collect();
        assert_eq!(names, ["a", "b", "c"]);
        assert_eq!(doc["tests"][1]["previous_duration_secs"], 7.0);
        assert_eq!(doc["tests"][2]["status"], "not-run");
        assert_eq!(doc["summary"]["total"], 3);
        assert_eq!(doc["summary"]["failed"], 1);
    }

    #[test]
    fn a_report_is_replaced_whole_or_not_at_all() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("r.xml");
        std::fs::write(&path, "old report").unwrap();
        let failed = write_file(&path, |out| {
            out.write_all(b"half a rep")?;
            Err(std::io::Error::other("disk full"))
        });
        assert!(failed.is_err());
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "old report");
        write_file(&path, |out| out.write_all(b"new report")).unwrap();
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "new report");
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&path).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o644);
        // Nothing left beside it.
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
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
