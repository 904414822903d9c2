//! The one process supervisor of ptest, for test scripts (the runner) and emulators (the
//! drivers) alike: a [`Group`] is a child leading its own process group, on its
//! [`Cancel`]'s kill list while it lives; it is waited for without being reaped (while
//! the leader is a zombie its pid, the group's id, cannot be reused, so a last SIGKILL to
//! the group cannot hit an unrelated process), stopped with SIGTERM, [`GRACE`] and
//! SIGKILL, and reaped last. A dropped `Group` never leaves a process of its group behind.
//!
//! Its own group means the terminal's Ctrl-C reaches only ptest, and a kill of a test
//! script's group does not reach the emulators its `ptest record`/`replay` started: each
//! ptest passes a signal on to its own groups through its [`Cancel`]. If ptest is
//! SIGKILLed, the kernel kills emulators started with [`Parent::KillOnDeath`]
//! (`PR_SET_PDEATHSIG`); test scripts have the runner's containment instead.

use std::io;
use std::os::unix::process::{CommandExt, ExitStatusExt};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

use rustix::process::{Pid, Signal, WaitId, WaitIdOptions, kill_process_group, waitid};

use crate::EngineError;
use crate::cancel::Registration;
pub use crate::cancel::{Cancel, GRACE, SignalHandlerKind};

/// How often a wait looks whether the leader has exited.
const POLL: Duration = Duration::from_millis(10);

/// What happens to the group if ptest dies without stopping it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Parent {
    /// The kernel SIGKILLs the leader when the thread that started it ends (emulators:
    /// started and waited for on one thread).
    KillOnDeath,
    /// Nothing (test scripts: started on a worker thread, contained by the runner).
    Survive,
}

/// A child process leading its own process group.
pub struct Group {
    child: Child,
    /// The leader's status once it has exited (not yet reaped while `reaped` is false).
    exited: Option<ExitStatus>,
    reaped: bool,
    _kill_list: Registration,
}

impl std::fmt::Debug for Group {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Group")
            .field("pid", &self.child.id())
            .field("exited", &self.exited)
            .finish()
    }
}

impl Group {
    /// Starts `cmd` (stdin from `/dev/null`) as the leader of a new process group on
    /// `cancel`'s kill list, listening to signals from now on (see [`Cancel::install`]).
    pub fn start(cmd: &mut Command, cancel: &Cancel, parent: Parent) -> io::Result<Group> {
        cancel.install();
        cmd.stdin(Stdio::null()).process_group(0);
        if parent == Parent::KillOnDeath {
            // SAFETY: the closure runs between fork and exec and only makes one
            // async-signal-safe system call (prctl).
            unsafe {
                cmd.pre_exec(|| {
                    let _ = rustix::process::set_parent_process_death_signal(Some(Signal::KILL));
                    Ok(())
                });
            }
        }
        let child = cmd.spawn()?;
        let group = Group {
            _kill_list: cancel.register(child.id() as i32),
            child,
            exited: None,
            reaped: false,
        };
        if cancel.requested() {
            // The signal came between spawn and registration: its kill missed this group.
            group.signal(Signal::TERM);
        }
        Ok(group)
    }

    /// An emulator: [`Group::start`] with [`Parent::KillOnDeath`], errors worded for
    /// `what` (`QEMU`, `PANDA`).
    pub fn spawn(cmd: &mut Command, what: &str, cancel: &Cancel) -> Result<Group, EngineError> {
        Group::start(cmd, cancel, Parent::KillOnDeath).map_err(|e| {
            let prog = cmd.get_program().to_string_lossy().into_owned();
            EngineError::Emulator(match e.kind() {
                io::ErrorKind::NotFound => {
                    format!("{what}: `{prog}` not found; install it or set its path in the [engine] settings")
                }
                io::ErrorKind::PermissionDenied => {
                    format!("{what}: `{prog}` is not executable (chmod +x it or point to the right binary)")
                }
                _ => format!("{what}: cannot start `{prog}`: {e}"),
            })
        })
    }

    /// The child's piped stdout and stderr (those that were piped), for reader threads.
    pub fn take_output(&mut self) -> Vec<Box<dyn io::Read + Send>> {
        let mut v: Vec<Box<dyn io::Read + Send>> = Vec::new();
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

    fn pgid(&self) -> Option<Pid> {
        i32::try_from(self.child.id()).ok().and_then(Pid::from_raw)
    }

    fn signal(&self, signal: Signal) {
        if let Some(pgid) = self.pgid() {
            let _ = kill_process_group(pgid, signal);
        }
    }

    /// The leader's exit status if it has exited (it stays unreaped until [`Group::reap`]).
    pub fn try_wait(&mut self) -> Option<ExitStatus> {
        if self.exited.is_none()
            && let Some(pid) = self.pgid()
        {
            let options = WaitIdOptions::EXITED | WaitIdOptions::NOWAIT | WaitIdOptions::NOHANG;
            self.exited = match waitid(WaitId::Pid(pid), options) {
                Ok(Some(status)) => Some(exit_status(&status)),
                Ok(None) => None,
                // Not our child any more (reaped elsewhere): ask std, which knows.
                Err(_) => self.child.try_wait().ok().flatten(),
            };
        }
        self.exited
    }

    /// Waits up to `limit` for the leader to exit.
    pub fn wait_for(&mut self, limit: Duration) -> Option<ExitStatus> {
        self.wait_until(Instant::now().checked_add(limit))
    }

    /// Waits until `deadline` (`None`: for ever) for the leader to exit.
    pub fn wait_until(&mut self, deadline: Option<Instant>) -> Option<ExitStatus> {
        loop {
            if let Some(s) = self.try_wait() {
                return Some(s);
            }
            if deadline.is_some_and(|d| Instant::now() >= d) {
                return None;
            }
            std::thread::sleep(POLL);
        }
    }

    /// SIGTERM to the whole group, [`GRACE`] for the leader to exit, then SIGKILL; waits
    /// for the leader's end (without reaping it).
    pub fn stop(&mut self) {
        self.signal(Signal::TERM);
        if self.wait_for(GRACE).is_none() {
            self.signal(Signal::KILL);
            self.wait_until(None);
        }
    }

    /// SIGKILLs whatever is left of the group and reaps the leader (stopping it first if
    /// it is still running).
    pub fn reap(&mut self) -> io::Result<ExitStatus> {
        if self.try_wait().is_none() {
            self.stop();
        }
        // The leader is a zombie: the group id is still ours.
        self.signal(Signal::KILL);
        let status = self.child.wait();
        self.reaped = true;
        status
    }

    /// [`Group::stop`], then [`Group::reap`].
    pub fn kill_tree(&mut self) {
        self.stop();
        let _ = self.reap();
    }
}

impl Drop for Group {
    fn drop(&mut self) {
        if !self.reaped {
            let _ = self.reap();
        }
    }
}

/// `waitid`'s status as std's (`code << 8` or the signal, as `wait` encodes them).
fn exit_status(status: &rustix::process::WaitIdStatus) -> ExitStatus {
    match (status.exit_status(), status.terminating_signal()) {
        (Some(code), _) => ExitStatus::from_raw((code & 0xff) << 8),
        (None, Some(signal)) => ExitStatus::from_raw(signal & 0x7f),
        (None, None) => ExitStatus::from_raw(0),
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

#[cfg(test)]
#[path = "process_tests.rs"]
mod tests;
