//! Cancellation, passed around as a value: [`Cancel`] says whether a signal (Ctrl-C,
//! SIGTERM, SIGHUP) asked ptest to stop, and holds the kill list of the process groups
//! [`crate::process::Group`] runs, so that the signal reaches them (each runs in its own
//! group, out of reach of the terminal's Ctrl-C).
//!
//! What a signal does, in one place: the first one SIGTERMs every group on the list and
//! SIGKILLs them [`GRACE`] later; a second one SIGKILLs them at once. Callers see the
//! request through [`Cancel::requested`] and stop starting work; what was running ends
//! because its processes die.
//!
//! Which signals reach it is chosen by the caller, as nextest's `SignalHandlerKind`:
//! [`SignalHandlerKind::Standard`] (the `ptest` binary) registers the handler on the
//! first [`Cancel::install`]; [`SignalHandlerKind::Noop`] (tests, library callers) never
//! registers one, and a test requests cancellation with [`Cancel::request`].

use std::collections::BTreeSet;
use std::sync::atomic::{AtomicBool, AtomicI32, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use rustix::process::{Pid, Signal, kill_process_group};

/// How long a process group gets between SIGTERM and SIGKILL: the one grace period of
/// ptest, for test scripts and emulators alike.
pub const GRACE: Duration = Duration::from_secs(5);

/// Whether a [`Cancel`] listens to the process's signals.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SignalHandlerKind {
    /// SIGINT, SIGTERM and SIGHUP (a closed terminal or SSH session must not leave
    /// emulators running) cancel.
    Standard,
    /// No handler: only [`Cancel::request`] cancels.
    Noop,
}

/// A run's cancellation and kill list; clones share both.
#[derive(Clone)]
pub struct Cancel(Arc<Shared>);

struct Shared {
    kind: SignalHandlerKind,
    installed: AtomicBool,
    /// Requests so far (the second one kills at once).
    count: AtomicUsize,
    /// The first request's signal number (0: none yet).
    signal: AtomicI32,
    groups: Mutex<BTreeSet<i32>>,
}

impl Cancel {
    pub fn new(kind: SignalHandlerKind) -> Cancel {
        Cancel(Arc::new(Shared {
            kind,
            installed: AtomicBool::new(false),
            count: AtomicUsize::new(0),
            signal: AtomicI32::new(0),
            groups: Mutex::new(BTreeSet::new()),
        }))
    }

    /// A cancellation no signal reaches.
    pub fn noop() -> Cancel {
        Cancel::new(SignalHandlerKind::Noop)
    }

    /// Starts listening to signals ([`SignalHandlerKind::Standard`] only; once). Until
    /// then a signal has its default effect, which is right while nothing is running.
    pub fn install(&self) {
        if self.0.kind == SignalHandlerKind::Noop || self.0.installed.swap(true, Ordering::SeqCst) {
            return;
        }
        use signal_hook::consts::{SIGHUP, SIGINT, SIGTERM};
        let Ok(mut signals) = signal_hook::iterator::Signals::new([SIGINT, SIGTERM, SIGHUP]) else {
            return;
        };
        let cancel = self.clone();
        std::thread::spawn(move || {
            for signal in signals.forever() {
                cancel.request(signal);
            }
        });
    }

    /// What a signal does: mark the request, SIGTERM every group on the kill list and
    /// SIGKILL them after [`GRACE`]; a second request SIGKILLs them at once.
    pub fn request(&self, signal: i32) {
        let _ = self
            .0
            .signal
            .compare_exchange(0, signal, Ordering::SeqCst, Ordering::SeqCst);
        let second = self.0.count.fetch_add(1, Ordering::SeqCst) > 0;
        if second {
            self.signal_all(Signal::KILL);
            return;
        }
        self.signal_all(Signal::TERM);
        let cancel = self.clone();
        std::thread::spawn(move || {
            std::thread::sleep(GRACE);
            cancel.signal_all(Signal::KILL);
        });
    }

    /// Whether ptest was asked to stop.
    pub fn requested(&self) -> bool {
        self.0.count.load(Ordering::SeqCst) > 0
    }

    /// The signal that asked ptest to stop, if one did.
    pub fn signal(&self) -> Option<i32> {
        Some(self.0.signal.load(Ordering::SeqCst)).filter(|&s| s != 0)
    }

    /// Whether no process group is on the kill list (for the supervisor's tests).
    #[cfg(test)]
    pub(crate) fn kill_list_is_empty(&self) -> bool {
        self.0.groups.lock().is_ok_and(|g| g.is_empty())
    }

    /// Puts a process group on the kill list while the registration lives.
    pub(crate) fn register(&self, pgid: i32) -> Registration {
        if let Ok(mut groups) = self.0.groups.lock() {
            groups.insert(pgid);
        }
        Registration {
            cancel: self.clone(),
            pgid,
        }
    }

    fn signal_all(&self, signal: Signal) {
        let groups: Vec<i32> = self
            .0
            .groups
            .lock()
            .map(|g| g.iter().copied().collect())
            .unwrap_or_default();
        for pgid in groups.into_iter().filter_map(Pid::from_raw) {
            let _ = kill_process_group(pgid, signal);
        }
    }
}

impl Default for Cancel {
    fn default() -> Self {
        Cancel::noop()
    }
}

impl std::fmt::Debug for Cancel {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Cancel")
            .field("kind", &self.0.kind)
            .field("requested", &self.requested())
            .finish()
    }
}

/// Keeps a process group on its [`Cancel`]'s kill list while alive.
pub(crate) struct Registration {
    cancel: Cancel,
    pgid: i32,
}

impl Drop for Registration {
    fn drop(&mut self) {
        if let Ok(mut groups) = self.cancel.0.groups.lock() {
            groups.remove(&self.pgid);
        }
    }
}
