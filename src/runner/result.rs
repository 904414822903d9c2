//! What the runner reports about each test and about a whole run. Plain data: no I/O.

use std::path::PathBuf;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::record::{self, FileRecord};

pub use super::stall::ReplayStall;

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
    /// Not run: nothing it used changed since its last pass, which is reused
    /// (`--changed`).
    Cached,
}

impl Status {
    pub fn is_success(self) -> bool {
        matches!(self, Status::Passed | Status::Flaky | Status::Cached)
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
            Status::Cached => "CACHED",
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
            Status::Cached => "cached",
        }
    }
}

/// The result of one test in one run (after any retries): the one result model. The
/// runner makes it, the reporters see it in events, the state keeps it
/// (`state::LastRun`) and the JSON report holds it (`report::json::TestReport`), each
/// with a few fields of its own around it, serialized as is.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TestResult {
    /// Empty in the state, whose file is named after the test.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub name: String,
    #[serde(default = "test_kind")]
    pub mode: RunKind,
    pub status: Status,
    #[serde(rename = "duration_secs", with = "secs")]
    pub duration: Duration,
    /// When its first attempt started, from the start of the run (timelines, merged reports).
    #[serde(rename = "started_secs", with = "secs", default)]
    pub started: Duration,
    #[serde(default)]
    pub attempts: u32,
    /// Whether the script itself exited 0 (what `accept` requires).
    #[serde(default)]
    pub script_ok: bool,
    /// Why the test ended as it did, as data; worded by [`TestResult::message`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<Reason>,
    /// Per-file comparison (test: against blessed; bless: old reference against new).
    #[serde(default)]
    pub files: Vec<FileRecord>,
    pub log: PathBuf,
    /// Last lines of the log, kept for failures.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub log_tail: Vec<String>,
    /// Processes that outlived the script (killed when it ended), as nextest's leak report.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub leaked: usize,
    /// `--repeat N`: what varied between the runs (`None`: not repeated, or all agreed).
    /// Optional and absent otherwise, so reports and states stay readable both ways.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub variation: Option<crate::variation::Variation>,
    /// How far a replay the script ran got before it stalled (`ptest replay` records it;
    /// see [`ReplayStall`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stall: Option<ReplayStall>,
    /// What a passing `test` run used (for `--changed`): moved into the state's
    /// `LastRun`, not part of reports.
    #[serde(skip)]
    pub inputs: Option<crate::inputs::Inputs>,
}

fn test_kind() -> RunKind {
    RunKind::Test
}

fn is_zero(n: &usize) -> bool {
    *n == 0
}

impl TestResult {
    pub fn duration_secs(&self) -> f64 {
        self.duration.as_secs_f64()
    }

    pub fn started_secs(&self) -> f64 {
        self.started.as_secs_f64()
    }

    /// What happened, in one line: the reason in words, and any leaked processes.
    pub fn message(&self) -> Option<String> {
        describe(self.reason.as_ref(), &self.files, self.leaked)
    }
}

/// [`TestResult::message`] of a stored result: its reason, the files it compared (which
/// mismatch and bless summaries count) and how many processes it leaked.
pub fn describe(reason: Option<&Reason>, files: &[FileRecord], leaked: usize) -> Option<String> {
    // A retry's pass is worded alone, as ptest always has.
    let retried = matches!(reason, Some(Reason::PassedOnRetry { .. }));
    let note = (leaked > 0 && !retried).then(|| {
        format!("leaked {leaked} process(es) that outlived the script (killed when it ended)")
    });
    match (reason.map(|r| r.describe(files)), note) {
        (Some(m), Some(note)) => Some(format!("{m}; {note}")),
        (m, note) => m.or(note),
    }
}

/// Why a test ended as it did (as nextest's `ExecutionResult`): kept as data in the
/// state and the JSON report, worded only by [`Reason::describe`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Reason {
    /// `setup` of a test that has no setup script.
    NothingToSetUp,
    /// The outputs differ from the reference (the files say how).
    Mismatch,
    /// The script exited non-zero, was killed by a signal, or could not start.
    ScriptFailed { script: String, exit: ScriptExit },
    TimedOut {
        script: String,
        #[serde(with = "secs")]
        limit: Duration,
    },
    /// The comparison ran past the test's timeout (which covers script and comparison).
    TimedOutComparing {
        #[serde(with = "secs")]
        limit: Duration,
    },
    /// Ctrl-C or SIGTERM stopped it.
    Interrupted,
    /// Ctrl-C or SIGTERM stopped its comparison.
    InterruptedComparing,
    /// Ctrl-C or SIGTERM came between its run and the swap of its reference.
    InterruptedBeforeBlessing,
    /// The run was interrupted before it started.
    NotStarted,
    /// It failed, then passed on a retry.
    PassedOnRetry { attempt: u32, tries: u32 },
    /// The script wrote nothing into its output folder.
    NoOutput { path: PathBuf },
    /// `test` without a blessed reference.
    NoReference { path: PathBuf, test: String },
    /// The script replaced its output folder (`what`: "replaced by a symbolic link", …).
    OutputFolderReplaced { path: PathBuf, what: String },
    /// `bless` swapped the outputs in; `against_old`: there was a reference to compare with
    /// (the files say what changed).
    Blessed { files: usize, against_old: bool },
    /// `bless` refused the outputs (links, FIFOs, unreadable folders): why.
    NotBlessable { why: String },
    /// `--repeat`: run `run` of `runs` ended as `reason` (an error, not nondeterminism).
    InRepeatRun {
        run: u32,
        runs: u32,
        reason: Box<Reason>,
    },
    /// `--repeat`: every run agreed.
    AllRunsAgree { runs: u32 },
    /// `bless --repeat`: the runs disagree in `files` file(s); nothing blessed.
    RunsDisagree { runs: u32, files: usize },
    /// `test --repeat`: the outcome (`outcome_varied`) or the outputs varied.
    VariedAcrossRuns {
        runs: u32,
        files: usize,
        outcome_varied: bool,
    },
    /// `--changed`: nothing the test used changed since its pass that finished at
    /// `since` (seconds since the epoch); that pass is reused.
    Cached { since: u64 },
    /// Anything else that broke the attempt (the regression directory, the script's
    /// configuration, the interpreter, the comparison, storing the reference), in its
    /// own error's words.
    Error { error: String },
}

/// How a failed script ended.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "how", rename_all = "snake_case")]
pub enum ScriptExit {
    Code {
        code: i32,
    },
    Signal {
        signal: i32,
    },
    /// Could not be started: why, and what to do.
    SpawnFailed {
        why: String,
    },
}

impl Reason {
    /// The reason in words; `files` are the result's compared files.
    pub fn describe(&self, files: &[FileRecord]) -> String {
        match self {
            Reason::NothingToSetUp => "no setup script: nothing to set up".into(),
            Reason::Mismatch => record::summarise(files),
            Reason::ScriptFailed { script, exit } => {
                let how = match exit {
                    ScriptExit::Code { code } => format!("exited with code {code}"),
                    ScriptExit::Signal { signal } => {
                        format!("killed by {}", super::process::signal_name(*signal))
                    }
                    ScriptExit::SpawnFailed { why } => why.clone(),
                };
                format!("{script} {how}")
            }
            Reason::TimedOut { script, limit } => format!(
                "{script} timed out after {}; its process group was killed (raise `timeout` in test.toml or pass --timeout)",
                humantime::format_duration(*limit)
            ),
            Reason::TimedOutComparing { limit } => format!(
                "timed out after {} while comparing the outputs; the timeout covers the script and the comparison (raise `timeout` in test.toml or pass --timeout)",
                humantime::format_duration(*limit)
            ),
            Reason::Interrupted => "interrupted".into(),
            Reason::InterruptedComparing => "interrupted while comparing the outputs".into(),
            Reason::InterruptedBeforeBlessing => "interrupted before blessing".into(),
            Reason::NotStarted => "not started: the run was interrupted".into(),
            Reason::PassedOnRetry { attempt, tries } => {
                format!("passed on attempt {attempt} of {tries}")
            }
            Reason::NoOutput { path } => format!(
                "the test script produced no output in {}: write outputs there ($PTEST_TMPOUT_DIR, or tmpoutfile in Python)",
                path.display()
            ),
            Reason::NoReference { path, test } => format!(
                "no blessed reference in {}: run `ptest bless {test}` (or `ptest accept {test}` to keep this run's output)",
                path.display()
            ),
            Reason::OutputFolderReplaced { path, what } => format!(
                "{} was {what} during the run; nothing was compared or blessed: write outputs into that folder, never replace it",
                path.display()
            ),
            Reason::Blessed {
                files: count,
                against_old: false,
            } => {
                format!("blessed {count} new file(s)")
            }
            Reason::Blessed { files: count, .. } if !record::any_change(files) => {
                format!("blessed {count} file(s), unchanged from the old reference")
            }
            Reason::Blessed { files: count, .. } => format!(
                "blessed {count} file(s); vs the old reference: {}",
                record::summarise(files)
            ),
            Reason::NotBlessable { why } => format!("not blessed: {why}"),
            Reason::InRepeatRun { run, runs, reason } => {
                format!("run {run} of {runs}: {}", reason.describe(files))
            }
            Reason::AllRunsAgree { runs } => format!("all {runs} runs agree"),
            Reason::RunsDisagree { runs, files } => {
                format!("not blessed: the {runs} runs disagree in {files} file(s)")
            }
            Reason::VariedAcrossRuns {
                runs,
                files,
                outcome_varied,
            } => {
                let what = match outcome_varied {
                    true => "outcome and outputs",
                    false => "outputs",
                };
                format!("flaky: its {what} varied across the {runs} runs ({files} file(s))")
            }
            Reason::Cached { since } => format!(
                "inputs unchanged since its pass of {}: that verdict is reused (--changed)",
                humantime::format_rfc3339_seconds(
                    std::time::UNIX_EPOCH + Duration::from_secs(*since)
                )
            ),
            Reason::Error { error } => error.clone(),
        }
    }
}

/// A duration as seconds (`f64`) in JSON.
mod secs {
    use std::time::Duration;

    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(d: &Duration, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_f64(d.as_secs_f64())
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Duration, D::Error> {
        let secs = f64::deserialize(d)?;
        Duration::try_from_secs_f64(secs).map_err(serde::de::Error::custom)
    }
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
