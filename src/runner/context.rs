//! What every attempt of a run shares ([`RunContext`]) and the step a command may add
//! after each attempt ([`AfterAttempt`]). A leaf of the runner: `execute` and the
//! scheduler's caller read it; it imports none of them.

use std::path::PathBuf;
use std::sync::Mutex;

use ptest_engine::process::Cancel;

use super::environment::{self, Interpreters};
use super::result::{RunKind, TestResult};
use crate::compare::Comparer;
use crate::suite::{RegressionDir, TestDef};

/// What every test of a run shares.
pub struct RunContext {
    pub kind: RunKind,
    /// The run's cancellation: stops starting tests, and its kill list holds every
    /// running script's process group.
    pub cancel: Cancel,
    pub regdir: RegressionDir,
    /// The folder holding `config.testing`.
    pub suite_dir: PathBuf,
    /// This ptest binary, for scripts that call back into it (`ptest record`).
    pub exe: PathBuf,
    /// Folder holding the Python helper `ptest_utils.py`.
    pub helper_dir: PathBuf,
    pub verbose: bool,
    pub interpreters: Mutex<Interpreters>,
    /// Run after every attempt, in its thread (`bless` promotes the outputs here).
    pub after_attempt: Option<Box<dyn AfterAttempt>>,
}

/// A step after each attempt of a test, before the runner decides whether to retry: it
/// may change the result (a bless that could not store the reference errors).
pub trait AfterAttempt: Send + Sync {
    fn after(&self, test: &TestDef, comparer: &Comparer, result: &mut TestResult);
}

impl RunContext {
    /// The resolved Python interpreter for `test`.
    pub(super) fn python(&self, test: &TestDef) -> Result<PathBuf, environment::InterpreterError> {
        self.interpreters
            .lock()
            .map_err(|_| environment::InterpreterError::Poisoned)?
            .resolve(test.settings.python.as_deref())
    }
}
