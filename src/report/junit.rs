//! JUnit XML, as Jenkins, GitLab and GitHub test reporters read it.

use std::path::Path;
use std::time::Duration;

use quick_junit::{NonSuccessKind, Report, TestCase, TestCaseStatus, TestRerun, TestSuite};

use crate::runner::{Status, TestResult};

/// Write `results` as one test suite named after the mode.
pub fn write(path: &Path, results: &[TestResult], elapsed: Duration) -> std::io::Result<()> {
    let mode = results.first().map_or("test", |r| r.mode.as_str());
    let mut suite = TestSuite::new(format!("ptest {mode}"));
    for r in results {
        let details = format!(
            "{}{}",
            super::describe_files(&r.files),
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
