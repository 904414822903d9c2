//! JUnit XML, as Jenkins, GitLab and GitHub test reporters read it: written from the
//! report the aggregator built from a run's events, and by `ptest report merge` from a
//! merged [`RunReport`] (both through [`write_report`]). File outcomes are worded by
//! [`crate::record`], never here.

use std::path::Path;
use std::time::Duration;

use quick_junit::{NonSuccessKind, Report, TestCase, TestCaseStatus, TestRerun, TestSuite};

use super::json::RunReport;
use crate::record;
use crate::runner::Status;

/// Write a run's report (one run's, or shards' merged) as one test suite named after its
/// kind.
pub fn write_report(path: &Path, run: &RunReport) -> std::io::Result<()> {
    let elapsed = secs(run.duration_secs);
    let mode = run.mode.as_str();
    let mut suite = TestSuite::new(format!("ptest {mode}"));
    for r in &run.tests {
        let details = format!(
            "{}{}",
            record::describe_all(&r.files),
            if r.log_tail.is_empty() {
                String::new()
            } else {
                format!(
                    "\nlast lines of {}:\n{}\n",
                    r.log.display(),
                    r.log_tail.join("\n")
                )
            }
        );
        let message = r.message().unwrap_or_else(|| r.status.word().into());
        let status = match r.status {
            Status::Passed | Status::Cached => TestCaseStatus::success(),
            Status::Flaky => {
                let mut rerun = TestRerun::new(NonSuccessKind::Failure);
                rerun.set_message(message.clone());
                TestCaseStatus::Success {
                    flaky_runs: vec![rerun],
                }
            }
            Status::NotRun => {
                let mut s = TestCaseStatus::skipped();
                s.set_message(message.clone());
                s
            }
            Status::Failed | Status::Errored | Status::TimedOut | Status::Interrupted => {
                let kind = if r.status == Status::Failed {
                    NonSuccessKind::Failure
                } else {
                    NonSuccessKind::Error
                };
                let mut s = TestCaseStatus::non_success(kind);
                s.set_message(message.clone());
                s.set_type(r.status.word());
                if !details.trim().is_empty() {
                    s.set_description(details.clone());
                }
                s
            }
        };
        let mut case = TestCase::new(r.name.clone(), status);
        case.set_classname(format!("ptest.{mode}"));
        if r.status == Status::Cached {
            // JUnit has no "reused" status: a pass, saying so where CI shows output.
            case.set_system_out(format!("cached: {message}"));
        }
        case.set_time(secs(r.duration_secs()));
        suite.add_test_case(case);
    }
    suite.set_time(elapsed);
    let mut report = Report::new("ptest");
    report.set_time(elapsed);
    report.add_test_suite(suite);
    super::write_file(path, |out| {
        report.serialize(out).map_err(std::io::Error::other)
    })
}

/// Seconds read back from a report; a negative or non-finite value (a hand-edited file)
/// reads as zero rather than panicking.
fn secs(s: f64) -> Duration {
    Duration::try_from_secs_f64(s).unwrap_or_default()
}
