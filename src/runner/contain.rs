//! Containment: every process a test starts is found and killed when the test ends, times
//! out or is interrupted, and when ptest itself is SIGKILLed — however it detached
//! (`setsid`, `set -m`, a new session, an emulator's `-daemonize`).
//!
//! How: each attempt's environment carries a token (`PTEST_CONTAIN=RUN/TEST/N`). Processes
//! inherit it whatever they do to their process group or session, so when the script has
//! ended, a scan of `/proc/*/environ` finds every survivor; they are killed and the test
//! is reported as having leaked. ptest is a child subreaper, so detached orphans are
//! re-parented to it (and reaped) rather than to init. A watchdog process, holding the read
//! end of a pipe only ptest writes to, wakes when ptest dies (even by SIGKILL) and sweeps
//! the whole run.
//!
//! This needs neither root, namespaces nor cgroups (v1 only on some machines), so it works
//! for any user. A process that empties its own environment (`env -i`) escapes the scan;
//! the process-group kill still reaches it unless it also left the group.

use std::io::Read;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

use rustix::process::{Pid, Signal, WaitId, WaitIdOptions, kill_process, waitid};

/// The environment variable holding an attempt's token.
pub const TOKEN_ENV: &str = "PTEST_CONTAIN";
/// The hidden command `ptest __watchdog RUN` runs as.
pub const WATCHDOG: &str = "__watchdog";
/// `ptest --version`: the version and the containment mechanism in use.
pub const LONG_VERSION: &str = concat!(
    env!("CARGO_PKG_VERSION"),
    "\ncontainment: environment token + /proc scan, child subreaper, watchdog (any user; no namespaces or cgroups needed)"
);

/// One run's containment: its token prefix and the watchdog that outlives a killed ptest.
pub struct RunContainment {
    run: String,
    // Dropping the write end (ptest's exit, or its death) wakes the watchdog.
    _watchdog_pipe: Option<std::io::PipeWriter>,
}

impl RunContainment {
    /// Makes ptest a subreaper and starts the watchdog (`exe` is this ptest binary).
    pub fn start(exe: &Path) -> RunContainment {
        let _ = rustix::process::set_child_subreaper(Some(rustix::process::getpid()));
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or_default();
        let run = format!("{}-{nanos:x}", std::process::id());
        let pipe = std::io::pipe().ok().and_then(|(reader, writer)| {
            use std::os::unix::process::CommandExt;
            Command::new(exe)
                .args([WATCHDOG, &run])
                .stdin(Stdio::from(reader))
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                // Not in ptest's group: Ctrl-C on the terminal must not end it first.
                .process_group(0)
                .env_remove(TOKEN_ENV)
                .spawn()
                .ok()
                .map(|_| writer)
        });
        RunContainment {
            run,
            _watchdog_pipe: pipe,
        }
    }

    /// The token for one attempt of `test`.
    pub fn token(&self, test: &str, attempt: u32) -> String {
        format!("{}/{test}/{attempt}", self.run)
    }
}

/// `ptest __watchdog RUN`: waits for ptest to go away (EOF on stdin), then kills whatever
/// the run's tests left behind.
pub fn watchdog_main(run: &str) {
    let mut sink = [0u8; 64];
    let mut stdin = std::io::stdin().lock();
    while matches!(stdin.read(&mut sink), Ok(n) if n > 0) {}
    sweep(format!("{TOKEN_ENV}={run}/").as_bytes());
}

/// Kills what one attempt left behind; returns how many processes that was.
pub fn sweep_attempt(token: &str) -> usize {
    // The NUL ends the variable: `…/t/1` must not match `…/t/10`.
    sweep(format!("{TOKEN_ENV}={token}\0").as_bytes())
}

/// Kills every process whose environment has a variable starting with `needle`, until a
/// scan finds none and no process is half-way through `execve` (they may fork while
/// being killed). Returns how many were killed.
fn sweep(needle: &[u8]) -> usize {
    let me = std::process::id() as i32;
    let mut killed = Vec::new();
    for _ in 0..100 {
        let Scan {
            found,
            exec_pending,
        } = scan(needle, me);
        if found.is_empty() && !exec_pending {
            break;
        }
        for pid in found {
            if let Some(p) = Pid::from_raw(pid) {
                // Stopped first would not help: SIGKILL works on stopped processes too.
                let _ = kill_process(p, Signal::KILL);
            }
            if !killed.contains(&pid) {
                killed.push(pid);
            }
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    reap_orphans(&killed);
    killed.len()
}

struct Scan {
    /// Pids (other than ptest) whose environment carries the needle.
    found: Vec<i32>,
    /// Some process is inside `execve`: its environment cannot be read yet.
    exec_pending: bool,
}

/// Pids (other than `me`) whose environment contains `needle`. A zombie has no readable
/// environment and is not counted: it is already dead.
fn scan(needle: &[u8], me: i32) -> Scan {
    let finder = memchr::memmem::Finder::new(needle);
    let mut scan = Scan {
        found: Vec::new(),
        exec_pending: false,
    };
    for (pid, entry) in processes() {
        if pid == me {
            continue;
        }
        let Ok(env) = std::fs::read(entry.join("environ")) else {
            continue;
        };
        // Match whole variables only: the needle starts a NUL-separated entry.
        let hit = finder.find_iter(&env).any(|at| at == 0 || env[at - 1] == 0);
        if hit {
            scan.found.push(pid);
        } else if env.is_empty() && in_execve(&entry) {
            scan.exec_pending = true;
        }
    }
    scan
}

/// Whether a process with an empty environment is in the middle of `execve`: the kernel
/// lets the parent of a `vfork`/`posix_spawn` go on, and a scan see the process, before
/// it points `/proc/PID/environ` and `cmdline` at the new image. A script's child that
/// is exec'ing (`setsid daemon &` as the script exits) would otherwise escape the sweep.
/// Kernel threads, exiting processes and zombies have empty environments too.
fn in_execve(entry: &Path) -> bool {
    /// `PF_EXITING | PF_KTHREAD` in the flags field of `/proc/PID/stat`: a process that is
    /// exiting has dropped its memory, and so has an empty environment too.
    const NOT_EXECING: u64 = 0x0000_0004 | 0x0020_0000;
    if !std::fs::read(entry.join("cmdline")).is_ok_and(|c| c.is_empty()) {
        return false;
    }
    let Ok(stat) = std::fs::read_to_string(entry.join("stat")) else {
        return false;
    };
    // `PID (COMM) STATE PPID PGRP SESSION TTY TPGID FLAGS …`; COMM may hold `)`.
    let Some((_, rest)) = stat.rsplit_once(')') else {
        return false;
    };
    let fields: Vec<&str> = rest.split_whitespace().take(7).collect();
    let (Some(&state), Some(&flags)) = (fields.first(), fields.get(6)) else {
        return false;
    };
    let other = flags.parse::<u64>().is_ok_and(|f| f & NOT_EXECING != 0);
    !matches!(state, "Z" | "X") && !other
}

/// Every process's pid and `/proc/PID` folder (none if /proc cannot be read).
fn processes() -> impl Iterator<Item = (i32, std::path::PathBuf)> {
    std::fs::read_dir("/proc")
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|entry| {
            let pid = entry.file_name().to_str()?.parse::<i32>().ok()?;
            Some((pid, entry.path()))
        })
}

/// Reaps the killed processes that were re-parented to ptest (its subreaper role), so that
/// no zombie accumulates over a long run.
fn reap_orphans(killed: &[i32]) {
    for &pid in killed {
        let Some(p) = Pid::from_raw(pid) else {
            continue;
        };
        // Not our child (ECHILD) or not dead yet: leave it; a SIGKILLed child dies at once.
        for _ in 0..20 {
            match waitid(
                WaitId::Pid(p),
                WaitIdOptions::EXITED | WaitIdOptions::NOHANG,
            ) {
                Ok(Some(_)) | Err(_) => break,
                Ok(None) => std::thread::sleep(Duration::from_millis(5)),
            }
        }
    }
}

/// Reaps zombies re-parented to ptest (as subreaper) when a script died before its
/// children: dead members of a killed process group. Group leaders are skipped: those are
/// the running tests' scripts, whose status their own supervisor collects.
pub fn reap_stray_zombies() {
    let me = std::process::id() as i32;
    for (pid, entry) in processes() {
        let Ok(stat) = std::fs::read_to_string(entry.join("stat")) else {
            continue;
        };
        // `PID (COMM) STATE PPID PGRP …`; COMM may hold spaces and parentheses.
        let Some(rest) = stat.rsplit_once(')').map(|(_, r)| r) else {
            continue;
        };
        let fields: Vec<&str> = rest.split_whitespace().take(3).collect();
        let [state, ppid, pgrp] = fields[..] else {
            continue;
        };
        if state == "Z"
            && ppid == me.to_string()
            && pgrp != pid.to_string()
            && let Some(p) = Pid::from_raw(pid)
        {
            let _ = waitid(
                WaitId::Pid(p),
                WaitIdOptions::EXITED | WaitIdOptions::NOHANG,
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sweep_kills_a_detached_process_carrying_the_token_and_nothing_else() {
        let token = format!("unit-{}/t/1", std::process::id());
        let spawn = |token: &str| {
            use std::os::unix::process::CommandExt;
            Command::new("sleep")
                .arg("30")
                .env(TOKEN_ENV, token)
                .process_group(0)
                .spawn()
                .expect("sleep")
        };
        // Reaped by the sweep, not here (it is our child, as an orphan would be).
        #[allow(clippy::zombie_processes)]
        let carrier = spawn(&token);
        let mut other = spawn(&format!("{token}0"));
        // At once: `spawn` returns while the child may still be inside execve, with an
        // empty /proc/PID/environ (the flake this test had); the sweep must wait it out.
        assert_eq!(sweep_attempt(&token), 1);
        // Killed and reaped (it was our child): no trace left.
        assert!(!Path::new(&format!("/proc/{}", carrier.id())).exists());
        assert!(
            other.try_wait().expect("try_wait").is_none(),
            "wrong process killed"
        );
        let _ = other.kill();
        let _ = other.wait();
    }
}
