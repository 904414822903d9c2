//! A JSON report: per test its name, status, duration, files compared and their diffs,
//! written from the `RunFinished` event by the sink in [`super`]. The file records are
//! those `state.json` keeps ([`crate::outcome::FileRecord`]), never converted here.

use std::path::Path;

use serde::Serialize;

use crate::outcome::FileRecord;
use crate::runner::{RunKind, RunOutcome, Status};

#[derive(Serialize)]
struct JsonReport<'a> {
    mode: RunKind,
    duration_secs: f64,
    interrupted: bool,
    summary: Summary,
    tests: Vec<JsonTest<'a>>,
}

#[derive(Serialize, Default)]
struct Summary {
    total: usize,
    passed: usize,
    flaky: usize,
    failed: usize,
    errored: usize,
    timed_out: usize,
    interrupted: usize,
    not_run: usize,
}

#[derive(Serialize)]
struct JsonTest<'a> {
    name: &'a str,
    status: Status,
    duration_secs: f64,
    attempts: u32,
    message: Option<&'a str>,
    log: &'a Path,
    files: &'a [FileRecord],
    #[serde(skip_serializing_if = "<[_]>::is_empty")]
    log_tail: &'a [String],
}

/// Write the run's report (called at `RunFinished`).
pub(super) fn write(path: &Path, run: &RunOutcome) -> std::io::Result<()> {
    let results = &run.results;
    let mut summary = Summary {
        total: results.len(),
        ..Default::default()
    };
    for r in results {
        let slot = match r.status {
            Status::Passed => &mut summary.passed,
            Status::Flaky => &mut summary.flaky,
            Status::Failed => &mut summary.failed,
            Status::Errored => &mut summary.errored,
            Status::TimedOut => &mut summary.timed_out,
            Status::Interrupted => &mut summary.interrupted,
            Status::NotRun => &mut summary.not_run,
        };
        *slot += 1;
    }
    let report = JsonReport {
        mode: run.kind,
        duration_secs: run.elapsed.as_secs_f64(),
        interrupted: run.interrupted,
        summary,
        tests: results
            .iter()
            .map(|r| JsonTest {
                name: &r.name,
                status: r.status,
                duration_secs: r.duration.as_secs_f64(),
                attempts: r.attempts,
                message: r.message.as_deref(),
                log: &r.log,
                files: &r.files,
                log_tail: &r.log_tail,
            })
            .collect(),
    };
    super::write_file(path, |out| {
        serde_json::to_writer_pretty(out, &report).map_err(std::io::Error::other)
    })
}
