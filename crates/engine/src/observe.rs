//! How the engine tells its caller what it is doing while it works (downloads, image
//! builds, lock waits, recordings) without printing: it calls an [`Observer`] the caller
//! passes in through [`crate::Context`], and the caller decides what reaches the user.
//! This module must not print or draw anything itself.

use std::sync::Arc;

/// What a progress bar counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Counting {
    /// Bytes of a download.
    Bytes,
    /// Instructions of a replay.
    Instructions,
}

/// Which of the emulator's outputs a line came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stream {
    Stdout,
    Stderr,
}

/// Receives the engine's progress; implemented by the binary.
pub trait Observer: Send + Sync {
    /// One line for the user (e.g. `recorded r (…)`).
    fn note(&self, message: &str);
    /// A line that matters while a suite runs (another recording holds the image): the
    /// binary also passes it to the runner running the suite. Defaults to [`Self::note`].
    fn notice(&self, message: &str) {
        self.note(message);
    }
    /// One line (without its newline) of an emulator's output that the caller should see
    /// as the emulator's own (a PANDA replay's plugin output, which test scripts read from
    /// `ptest replay`'s stdout). It is in the emulator's log either way; by default it goes
    /// nowhere else.
    fn output(&self, _stream: Stream, _line: &[u8]) {}
    /// A progress bar named `label` counting up to `total` from `at`.
    fn bar(&self, counting: Counting, label: &str, total: Option<u64>, at: u64) -> Box<dyn Bar>;
}

/// One progress bar; finished (cleared) when dropped or by [`Bar::finish`].
pub trait Bar {
    fn set(&self, position: u64);
    fn inc(&self, delta: u64);
    fn finish(&self);
}

/// Says nothing: the default, for library callers and tests.
#[derive(Debug, Default, Clone, Copy)]
pub struct Silent;

struct NoBar;

impl Bar for NoBar {
    fn set(&self, _: u64) {}
    fn inc(&self, _: u64) {}
    fn finish(&self) {}
}

impl Observer for Silent {
    fn note(&self, _: &str) {}
    fn bar(&self, _: Counting, _: &str, _: Option<u64>, _: u64) -> Box<dyn Bar> {
        Box::new(NoBar)
    }
}

/// The observer a [`crate::Context`] carries (cloneable, [`Silent`] by default).
#[derive(Clone)]
pub struct Observed(pub Arc<dyn Observer>);

impl Default for Observed {
    fn default() -> Self {
        Observed(Arc::new(Silent))
    }
}

impl std::fmt::Debug for Observed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Observed(..)")
    }
}

impl std::ops::Deref for Observed {
    type Target = dyn Observer;
    fn deref(&self) -> &Self::Target {
        &*self.0
    }
}
