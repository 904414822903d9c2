//! Files and processes as tests wait for them: markers and pids scripts write, whether a
//! process is alive, signals, and a `ptest` in the background ([`Spawned`], [`finish`]).
//! Every wait has a deadline only a hang (or a survivor) reaches: tests assert on what
//! happened, never on how long it took.

use std::path::Path;
use std::process::Child;
use std::time::{Duration, Instant};

use crate::run::Run;

/// Read a file to a string, or panic naming it.
#[track_caller]
pub fn read(path: impl AsRef<Path>) -> String {
    let path = path.as_ref();
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// Wait until `path` exists (a script's marker), or panic after `limit`.
#[track_caller]
pub fn await_file(path: impl AsRef<Path>, limit: Duration) {
    let path = path.as_ref();
    let start = Instant::now();
    while !path.exists() {
        assert!(
            start.elapsed() < limit,
            "{} did not appear within {limit:?}",
            path.display()
        );
        std::thread::sleep(Duration::from_millis(1));
    }
}

/// Read a pid a script writes with `echo $$ > FILE`, waiting for the whole line.
#[track_caller]
pub fn read_pid(path: impl AsRef<Path>) -> i32 {
    await_line(path).trim().parse().expect("pid")
}

/// The text of a file a script writes with `echo … > FILE`, once a whole line is there:
/// the file exists, empty, before `echo` writes it (the limit only catches a hang).
#[track_caller]
pub fn await_line(path: impl AsRef<Path>) -> String {
    let path = path.as_ref();
    let start = Instant::now();
    loop {
        let text = std::fs::read_to_string(path).unwrap_or_default();
        if text.ends_with('\n') {
            return text;
        }
        assert!(
            start.elapsed() < Duration::from_secs(20),
            "{}: no line written ({text:?})",
            path.display()
        );
        std::thread::sleep(Duration::from_millis(1));
    }
}

/// Whether process `pid` is alive (a zombie counts as dead: it runs nothing).
pub fn alive(pid: i32) -> bool {
    match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        Ok(stat) => {
            // "pid (comm) S …": the state follows the last ')'.
            let state = stat
                .rsplit_once(')')
                .and_then(|(_, rest)| rest.split_whitespace().next())
                .unwrap_or("?");
            state != "Z" && state != "X"
        }
        Err(_) => false,
    }
}

/// Wait up to `limit` for `pid` to die; true if it did.
pub fn dies_within(pid: i32, limit: Duration) -> bool {
    let start = Instant::now();
    while alive(pid) {
        if start.elapsed() > limit {
            return false;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    true
}

/// Whether `pid` is dead or dies soon: a SIGKILL is delivered asynchronously, so a
/// process ptest killed just before exiting may take a moment to go (longer on a loaded
/// machine). A survivor (one nobody killed) stays alive and fails this at the deadline,
/// which only a survivor reaches.
pub fn gone(pid: i32) -> bool {
    dies_within(pid, Duration::from_secs(20))
}

/// Send `signal` to process `pid`.
pub fn signal(pid: u32, signal: rustix::process::Signal) {
    let pid = rustix::process::Pid::from_raw(pid as i32).expect("pid");
    rustix::process::kill_process(pid, signal).expect("kill");
}

/// Send `signal` to `pid` if it still exists (cleanup paths).
fn try_signal(pid: u32, signal: rustix::process::Signal) {
    if let Some(pid) = rustix::process::Pid::from_raw(pid as i32) {
        let _ = rustix::process::kill_process(pid, signal);
    }
}

/// A ptest started in the background. If a test panics before [`finish`], dropping it
/// interrupts ptest (which kills its scripts' process groups) rather than leaking it.
pub struct Spawned(Option<Child>);

impl Spawned {
    pub fn new(child: Child) -> Spawned {
        Spawned(Some(child))
    }

    pub fn id(&self) -> u32 {
        self.0.as_ref().map_or(0, Child::id)
    }

    /// The child itself, for tests that handle its pipes (no cleanup on drop).
    pub fn into_child(mut self) -> Child {
        self.0.take().expect("running ptest")
    }
}

impl Drop for Spawned {
    fn drop(&mut self) {
        let Some(mut child) = self.0.take() else {
            return;
        };
        if child.try_wait().ok().flatten().is_some() {
            return;
        }
        try_signal(child.id(), rustix::process::Signal::INT);
        let start = Instant::now();
        while start.elapsed() < Duration::from_secs(10) {
            if child.try_wait().ok().flatten().is_some() {
                return;
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        let _ = child.kill();
        let _ = child.wait();
    }
}

/// Wait for a spawned ptest with a limit; interrupt it (and fail) if it hangs.
#[track_caller]
pub fn finish(mut spawned: Spawned, limit: Duration) -> Run {
    let child = spawned.0.take().expect("running ptest");
    let pid = child.id();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(child.wait_with_output());
    });
    match rx.recv_timeout(limit) {
        Ok(out) => Run::from(out.expect("wait")),
        Err(_) => {
            try_signal(pid, rustix::process::Signal::INT);
            let out = rx
                .recv_timeout(Duration::from_secs(10))
                .map(|o| o.expect("wait"));
            if out.is_err() {
                try_signal(pid, rustix::process::Signal::KILL);
            }
            let out = out.map(|o| Run::from(o).all()).unwrap_or_default();
            panic!("ptest did not finish within {limit:?}:\n{out}");
        }
    }
}
