//! Events the runner emits, in order: `RunStarted`, then per test `TestStarted`,
//! `TestNotice`/`TestRetrying`, `TestFinished`, and last `RunFinished`. Every reporter
//! (terminal, JUnit, JSON) is a sink of these and nothing else.

use super::result::{RunKind, RunOutcome, TestResult};

#[derive(Debug)]
pub enum Event<'a> {
    RunStarted {
        kind: RunKind,
        total: usize,
        jobs: usize,
    },
    TestStarted {
        name: &'a str,
        attempt: u32,
    },
    /// Something a running test's engine command tells the user now (e.g. that its
    /// recording waits for an image another recording is using).
    TestNotice {
        name: &'a str,
        message: &'a str,
    },
    /// An attempt failed and the test will be tried again.
    TestRetrying {
        result: &'a TestResult,
    },
    TestFinished {
        result: &'a TestResult,
    },
    /// The last event: every result (tests never started included), the elapsed time and
    /// whether the run was interrupted. File reporters write their document here.
    RunFinished {
        outcome: &'a RunOutcome,
    },
}
