//! The file reporters (JSON, JUnit, HTML) as aggregators, as nextest's
//! `aggregator/junit.rs`: each builds its [`RunReport`] from the events as they come (an
//! exhaustive match, so a new event is a compile error here) and writes it once, at
//! `RunFinished`, through the one atomic writer. Tests that never started appear only in
//! `RunFinished`; they are added then, and the tests put in the run's order.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use super::json::{Previous, RunReport, Shard, Summary, TestReport};
use super::{ReportError, Reporter};
use crate::runner::Event;

/// Writes the finished report to its path.
pub(super) type WriteReport = fn(&Path, &RunReport) -> std::io::Result<()>;

pub(super) struct FileSink {
    kind: &'static str,
    path: PathBuf,
    write: WriteReport,
    /// Tests' stored durations before the run, for the reports that show history.
    previous: Previous,
    /// Recorded in a shard's JSON report.
    shard: Option<Shard>,
    /// The report so far: created at `RunStarted`, one test added per `TestFinished`.
    report: Option<RunReport>,
    result: Option<std::io::Result<()>>,
}

impl FileSink {
    pub(super) fn new(
        kind: &'static str,
        path: &Path,
        write: WriteReport,
        previous: &Previous,
        shard: Option<Shard>,
    ) -> FileSink {
        FileSink {
            kind,
            path: path.to_path_buf(),
            write,
            previous: previous.clone(),
            shard,
            report: None,
            result: None,
        }
    }
}

impl Reporter for FileSink {
    fn event(&mut self, event: &Event<'_>) {
        match event {
            Event::RunStarted { kind, .. } => {
                self.report = Some(RunReport::empty(*kind));
            }
            Event::TestStarted { .. } | Event::TestNotice { .. } | Event::TestRetrying { .. } => {}
            Event::TestFinished { result } => {
                if let Some(report) = &mut self.report {
                    let mut test = TestReport::from(*result);
                    test.previous_duration_secs = self.previous.get(&test.name).copied();
                    report.tests.push(test);
                }
            }
            Event::RunFinished { outcome } => {
                let mut report = self
                    .report
                    .take()
                    .unwrap_or_else(|| RunReport::empty(outcome.kind));
                // In the run's order; those never started only the last event knows.
                let mut finished: HashMap<String, TestReport> = report
                    .tests
                    .drain(..)
                    .map(|t| (t.name.clone(), t))
                    .collect();
                report.tests = outcome
                    .results
                    .iter()
                    .map(|r| {
                        finished.remove(&r.name).unwrap_or_else(|| {
                            let mut test = TestReport::from(r);
                            test.previous_duration_secs = self.previous.get(&r.name).copied();
                            test
                        })
                    })
                    .collect();
                report.summary = Summary::count(report.tests.iter().map(|t| t.status));
                report.duration_secs = outcome.elapsed.as_secs_f64();
                report.interrupted = outcome.interrupted;
                if let Some(shard) = &self.shard {
                    report.partition = Some(shard.partition.clone());
                    report.selected = Some(shard.selected.clone());
                    report.only_failed = shard.only_failed;
                }
                self.result = Some((self.write)(&self.path, &report));
            }
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
