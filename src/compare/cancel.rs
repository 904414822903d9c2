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

/// A deadline and an interrupt check, polled by the comparison.
#[derive(Debug, Clone, Copy)]
pub struct Cancel {
    deadline: Option<Instant>,
    /// Whether the user asked to stop (the runner's interrupt flag: `compare` must not
    /// import the runner, so it is passed in).
    interrupted: fn() -> bool,
}

impl Cancel {
    /// Never stops: for comparisons nobody waits on with a deadline (`ptest diff`).
    pub fn never() -> Cancel {
        Cancel {
            deadline: None,
            interrupted: || false,
        }
    }

    /// Stop at `deadline` (none: no deadline) or when `interrupted` says so.
    pub fn new(deadline: Option<Instant>, interrupted: fn() -> bool) -> Cancel {
        Cancel {
            deadline,
            interrupted,
        }
    }

    /// `Err` once the comparison must stop.
    pub fn check(&self) -> Result<(), Stopped> {
        if (self.interrupted)() {
            return Err(Stopped::Interrupted);
        }
        match self.deadline {
            Some(d) if Instant::now() >= d => Err(Stopped::TimedOut),
            _ => Ok(()),
        }
    }
}
