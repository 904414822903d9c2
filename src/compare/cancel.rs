//! When a comparison must stop early: the test's deadline passed, or the user asked to
//! stop (Ctrl-C, SIGTERM). The runner builds a [`Cancel`]; the compare loops poll it
//! between files and while a diff runs. A leaf: it imports nothing from `compare`.

use std::time::Instant;

/// Why a comparison stopped before it finished.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stopped {
    /// The test's deadline passed.
    TimedOut,
    /// The user asked to stop.
    Interrupted,
}

/// A deadline and the run's cancellation, polled by the comparison.
#[derive(Debug, Clone)]
pub struct Cancel {
    deadline: Option<Instant>,
    /// Whether the user asked to stop: the run's one cancellation value.
    run: ptest_engine::process::Cancel,
}

impl Cancel {
    /// Never stops: for comparisons nobody waits on with a deadline (`ptest diff`).
    pub fn never() -> Cancel {
        Cancel {
            deadline: None,
            run: ptest_engine::process::Cancel::noop(),
        }
    }

    /// Stop at `deadline` (none: no deadline) or once `run` is requested.
    pub fn new(deadline: Option<Instant>, run: &ptest_engine::process::Cancel) -> Cancel {
        Cancel {
            deadline,
            run: run.clone(),
        }
    }

    /// `Err` once the comparison must stop.
    pub fn check(&self) -> Result<(), Stopped> {
        if self.run.requested() {
            return Err(Stopped::Interrupted);
        }
        match self.deadline {
            Some(d) if Instant::now() >= d => Err(Stopped::TimedOut),
            _ => Ok(()),
        }
    }
}
