//! Ctrl-C, SIGTERM and SIGHUP: stop starting tests, kill every running script's process group
//! (SIGTERM, then SIGKILL after the grace period; at once on a second Ctrl-C), and let the
//! run finish with a partial summary.

use std::collections::BTreeSet;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

use rustix::process::{Pid, Signal, kill_process_group};

static REQUESTED: AtomicBool = AtomicBool::new(false);
static INSTALLED: AtomicBool = AtomicBool::new(false);
static COUNT: AtomicUsize = AtomicUsize::new(0);
static GROUPS: Mutex<BTreeSet<i32>> = Mutex::new(BTreeSet::new());

/// Whether the user asked to stop.
pub fn requested() -> bool {
    REQUESTED.load(Ordering::SeqCst)
}

/// Install the handler (once per process).
pub fn install() {
    if INSTALLED.swap(true, Ordering::SeqCst) {
        return;
    }
    // SIGHUP too: a closed terminal or SSH session must not leave emulators running.
    let Ok(mut signals) = signal_hook::iterator::Signals::new([
        signal_hook::consts::SIGINT,
        signal_hook::consts::SIGTERM,
        signal_hook::consts::SIGHUP,
    ]) else {
        return;
    };
    std::thread::spawn(move || {
        for _ in signals.forever() {
            REQUESTED.store(true, Ordering::SeqCst);
            let second = COUNT.fetch_add(1, Ordering::SeqCst) > 0;
            signal_all(if second { Signal::KILL } else { Signal::TERM });
            if !second {
                std::thread::spawn(|| {
                    std::thread::sleep(ptest_engine::process::GRACE);
                    signal_all(Signal::KILL);
                });
            }
        }
    });
}

fn signal_all(signal: Signal) {
    let groups: Vec<i32> = GROUPS
        .lock()
        .map(|g| g.iter().copied().collect())
        .unwrap_or_default();
    for pid in groups {
        if let Some(pid) = Pid::from_raw(pid) {
            let _ = kill_process_group(pid, signal);
        }
    }
}

/// Keeps a process group on the kill list while alive.
pub struct Registration(i32);

pub fn register(pgid: i32) -> Registration {
    if let Ok(mut groups) = GROUPS.lock() {
        groups.insert(pgid);
    }
    Registration(pgid)
}

impl Drop for Registration {
    fn drop(&mut self) {
        if let Ok(mut groups) = GROUPS.lock() {
            groups.remove(&self.0);
        }
    }
}
