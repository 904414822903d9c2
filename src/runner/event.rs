//! Events the runner emits; reporters are sinks of these.

use std::time::Duration;

use super::result::{Mode, TestResult};

#[derive(Debug)]
pub enum Event<'a> {
    RunStarted {
        mode: Mode,
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
    RunFinished {
        mode: Mode,
        results: &'a [TestResult],
        elapsed: Duration,
        interrupted: bool,
    },
}
