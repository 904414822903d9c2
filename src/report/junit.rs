//! JUnit XML, as Jenkins, GitLab and GitHub test reporters read it: written from the
//! `RunFinished` event by the sink in [`super`]. File outcomes are worded by
//! [`crate::outcome`], never here.

use std::path::Path;

use quick_junit::{NonSuccessKind, Report, TestCase, TestCaseStatus, TestRerun, TestSuite};

use crate::outcome;
use crate::runner::{RunOutcome, Status};

/// Write the run as one test suite named after its kind (called at `RunFinished`).
pub(super) fn write(path: &Path, run: &RunOutcome) -> std::io::Result<()> {
    let (results, elapsed) = (&run.results, run.elapsed);
    let mode = run.kind.as_str();
    let mut suite = TestSuite::new(format!("ptest {mode}"));
    for r in results {
        let details = format!(
            "{}{}",
            outcome::describe_all(&r.files),
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
        let message = r.message.clone().unwrap_or_else(|| r.status.word().into());
        let status = match r.status {
            Status::Passed => TestCaseStatus::success(),
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
        case.set_time(r.duration);
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
