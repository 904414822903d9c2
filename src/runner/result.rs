//! What the runner reports about each test and about a whole run. Plain data: no I/O.

use std::path::PathBuf;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::outcome::FileRecord;

/// Which script a run executes and what it does with the outputs (not to be confused with
/// [`crate::compare::Mode`], how a file is compared).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum RunKind {
    Setup,
    Bless,
    Test,
}

impl RunKind {
    pub fn as_str(self) -> &'static str {
        match self {
            RunKind::Setup => "setup",
            RunKind::Bless => "bless",
            RunKind::Test => "test",
        }
    }
}

/// A test's outcome. Kept apart on purpose: a mismatch (`Failed`) means "look at the
/// diff", an `Errored` run means "the script or the setup is broken".
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Status {
    Passed,
    /// Failed at first, passed on a retry.
    Flaky,
    /// Ran fine, outputs differ from the blessed reference.
    Failed,
    /// Script failed, was killed, produced nothing, or has no reference.
    Errored,
    TimedOut,
    Interrupted,
    /// Never started (the run was interrupted first).
    NotRun,
}

impl Status {
    pub fn is_success(self) -> bool {
        matches!(self, Status::Passed | Status::Flaky)
    }

    pub fn label(self) -> &'static str {
        match self {
            Status::Passed => "PASS",
            Status::Flaky => "FLAKY",
            Status::Failed => "FAIL",
            Status::Errored => "ERROR",
            Status::TimedOut => "TIMEOUT",
            Status::Interrupted => "INTERRUPTED",
            Status::NotRun => "NOT RUN",
        }
    }

    /// Words for summaries: "failed", "timed out".
    pub fn word(self) -> &'static str {
        match self {
            Status::Passed => "passed",
            Status::Flaky => "flaky",
            Status::Failed => "failed",
            Status::Errored => "errored",
            Status::TimedOut => "timed out",
            Status::Interrupted => "interrupted",
            Status::NotRun => "not run",
        }
    }
}

/// The result of one test in one run (after any retries).
#[derive(Debug, Clone)]
pub struct TestResult {
    pub name: String,
    pub mode: RunKind,
    pub status: Status,
    pub duration: Duration,
    /// When its first attempt started, from the start of the run (timelines, merged reports).
    pub started: Duration,
    pub attempts: u32,
    /// Whether the script itself exited 0 (what `accept` requires).
    pub script_ok: bool,
    /// Why the test errored or what happened, in one line.
    pub message: Option<String>,
    /// Per-file comparison (test: against blessed; bless: old reference against new).
    pub files: Vec<FileRecord>,
    pub log: PathBuf,
    /// Last lines of the log, kept for failures.
    pub log_tail: Vec<String>,
    /// Processes that outlived the script (killed when it ended), as nextest's leak report.
    pub leaked: usize,
    /// `--repeat N`: what varied between the runs (`None`: not repeated, or all agreed).
    pub variation: Option<crate::variation::Variation>,
}

/// What [`super::run`] returns (and [`super::Event::RunFinished`] carries): one result per
/// job in the order given, the wall-clock time, and whether Ctrl-C/SIGTERM stopped it.
#[derive(Debug, Clone)]
pub struct RunOutcome {
    pub kind: RunKind,
    pub results: Vec<TestResult>,
    pub elapsed: Duration,
    pub interrupted: bool,
}

impl RunOutcome {
    /// Whether every test passed (or passed on a retry) and nothing was interrupted.
    pub fn succeeded(&self) -> bool {
        // A repeated test whose runs varied is flaky, and fails the run: that is what
        // `--repeat` looks for.
        !self.interrupted
            && self
                .results
                .iter()
                .all(|r| r.status.is_success() && r.variation.is_none())
    }
}
