//! Emulators run in their own process group so that killing them kills everything they
//! started, and a dropped [`Group`] never leaves an emulator behind.
//!
//! Their own group also means that the test runner's kill of the *script's* group does
//! not reach them. So ptest itself passes it on: SIGTERM/SIGINT/SIGHUP to ptest kill every
//! emulator group it started before it exits, and if ptest is SIGKILLed the kernel
//! kills the emulator (`PR_SET_PDEATHSIG`).

use std::collections::BTreeSet;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant};

use rustix::process::{Pid, Signal, kill_process_group};

use crate::EngineError;

/// How long a process group gets between SIGTERM and SIGKILL: the one grace period of
/// ptest, for emulators here and for test scripts in the runner.
pub const GRACE: Duration = Duration::from_secs(5);

/// A child process leading its own process group.
#[derive(Debug)]
pub struct Group {
    child: Child,
    done: Option<ExitStatus>,
}

impl Group {
    /// Spawns `cmd` as the leader of a new process group, stdin from `/dev/null`.
    pub fn spawn(cmd: &mut Command, what: &str) -> Result<Group, EngineError> {
        use std::os::unix::process::CommandExt;
        install_signal_relay();
        cmd.stdin(Stdio::null()).process_group(0);
        // SAFETY: the closure runs between fork and exec and only makes one
        // async-signal-safe system call (prctl).
        unsafe {
            cmd.pre_exec(|| {
                let _ = rustix::process::set_parent_process_death_signal(Some(Signal::KILL));
                Ok(())
            });
        }
        let child = cmd.spawn().map_err(|e| {
            let prog = cmd.get_program().to_string_lossy().into_owned();
            EngineError::Emulator(match e.kind() {
                std::io::ErrorKind::NotFound => {
                    format!("{what}: `{prog}` not found; install it or set its path in the [engine] settings")
                }
                std::io::ErrorKind::PermissionDenied => {
                    format!("{what}: `{prog}` is not executable (chmod +x it or point to the right binary)")
                }
                _ => format!("{what}: cannot start `{prog}`: {e}"),
            })
        })?;
        if let Ok(mut g) = GROUPS.lock() {
            g.insert(child.id() as i32);
        }
        Ok(Group { child, done: None })
    }

    /// The child's piped stdout and stderr (those that were piped), for reader threads.
    pub fn take_output(&mut self) -> Vec<Box<dyn std::io::Read + Send>> {
        let mut v: Vec<Box<dyn std::io::Read + Send>> = Vec::new();
        if let Some(o) = self.child.stdout.take() {
            v.push(Box::new(o));
        }
        if let Some(e) = self.child.stderr.take() {
            v.push(Box::new(e));
        }
        v
    }

    pub fn id(&self) -> u32 {
        self.child.id()
    }

    /// The exit status if the leader has exited.
    pub fn try_wait(&mut self) -> Option<ExitStatus> {
        if self.done.is_none() {
            self.done = self.child.try_wait().ok().flatten();
            if self.done.is_some() && INTERRUPTED.load(Ordering::SeqCst) {
                // We killed it on a signal: the relay thread is about to exit the process;
                // do not report the death as the emulator's own failure.
                loop {
                    std::thread::park();
                }
            }
        }
        self.done
    }

    /// Waits up to `limit` for the leader to exit.
    pub fn wait_for(&mut self, limit: Duration) -> Option<ExitStatus> {
        let start = Instant::now();
        loop {
            if let Some(s) = self.try_wait() {
                return Some(s);
            }
            if start.elapsed() >= limit {
                return None;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// SIGTERM to the whole group, [`GRACE`] to exit, then SIGKILL; reaps the leader.
    pub fn kill_tree(&mut self) {
        let Some(pgid) = i32::try_from(self.child.id()).ok().and_then(Pid::from_raw) else {
            return;
        };
        let _ = kill_process_group(pgid, Signal::TERM);
        if self.wait_for(GRACE).is_some() {
            // The leader is gone; make sure nothing else in its group survives it.
            let _ = kill_process_group(pgid, Signal::KILL);
            return;
        }
        let _ = kill_process_group(pgid, Signal::KILL);
        let _ = self.child.wait().map(|s| self.done = Some(s));
    }
}

impl Drop for Group {
    fn drop(&mut self) {
        if let Ok(mut g) = GROUPS.lock() {
            g.remove(&(self.child.id() as i32));
        }
        if self.try_wait().is_none() {
            self.kill_tree();
        } else if let Some(pgid) = i32::try_from(self.child.id()).ok().and_then(Pid::from_raw) {
            let _ = kill_process_group(pgid, Signal::KILL);
        }
    }
}

/// Process groups of the emulators this process is running.
static GROUPS: Mutex<BTreeSet<i32>> = Mutex::new(BTreeSet::new());
static RELAY: AtomicBool = AtomicBool::new(false);
static INTERRUPTED: AtomicBool = AtomicBool::new(false);

/// Says why the process is exiting when a signal stops it (set by the caller, which
/// decides where messages go; unset, nothing is said).
static INTERRUPT_NOTE: OnceLock<fn(&str)> = OnceLock::new();

/// Sets what tells the user that a signal stopped ptest and its emulators (once per
/// process; later calls are ignored).
pub fn on_interrupt(note: fn(&str)) {
    let _ = INTERRUPT_NOTE.set(note);
}

/// On SIGTERM/SIGINT/SIGHUP: SIGTERM every emulator group, SIGKILL shortly after, exit.
fn install_signal_relay() {
    use signal_hook::consts::{SIGHUP, SIGINT, SIGTERM};
    if RELAY.swap(true, Ordering::SeqCst) {
        return;
    }
    let Ok(mut signals) = signal_hook::iterator::Signals::new([SIGTERM, SIGINT, SIGHUP]) else {
        return;
    };
    std::thread::spawn(move || {
        if let Some(sig) = signals.forever().next() {
            INTERRUPTED.store(true, Ordering::SeqCst);
            signal_groups(Signal::TERM);
            std::thread::sleep(Duration::from_millis(500));
            signal_groups(Signal::KILL);
            if let Some(note) = INTERRUPT_NOTE.get() {
                note(&format!("stopped by signal {sig}; the emulator was killed"));
            }
            std::process::exit(128 + sig);
        }
    });
}

fn signal_groups(signal: Signal) {
    let groups: Vec<i32> = GROUPS
        .lock()
        .map(|g| g.iter().copied().collect())
        .unwrap_or_default();
    for pgid in groups.into_iter().filter_map(Pid::from_raw) {
        let _ = kill_process_group(pgid, signal);
    }
}

/// The last `n` lines of a log, for failure messages. Reads at most the last 64 KiB, so
/// a huge log costs nothing; a missing log has no lines.
pub fn tail(path: &std::path::Path, n: usize) -> Vec<String> {
    use std::io::{Read, Seek, SeekFrom};
    const WINDOW: u64 = 64 * 1024;
    let Ok(mut f) = std::fs::File::open(path) else {
        return Vec::new();
    };
    let len = f.metadata().map(|m| m.len()).unwrap_or(0);
    let mut bytes = Vec::new();
    if f.seek(SeekFrom::Start(len.saturating_sub(WINDOW))).is_err()
        || f.take(WINDOW).read_to_end(&mut bytes).is_err()
    {
        return Vec::new();
    }
    let text = String::from_utf8_lossy(&bytes);
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(n)..]
        .iter()
        .map(|l| l.to_string())
        .collect()
}

/// The last `n` non-blank lines of a log, indented for an error message.
pub(crate) fn tail_indented(path: &std::path::Path, n: usize) -> String {
    let lines = tail(path, n + 8);
    let kept: Vec<&str> = lines
        .iter()
        .map(String::as_str)
        .filter(|l| !l.trim().is_empty())
        .collect();
    kept[kept.len().saturating_sub(n)..].join("\n    ")
}
