//! The emulators a test script runs, seen from outside: a thread walks the script's
//! process tree (`/proc/PID/task/*/children`, and the orphans re-parented to ptest that
//! carry the attempt's containment token) every [`INTERVAL`] and notes each process whose
//! executable is an emulator. `inputs` compares them with those `ptest record`/`ptest
//! replay` reported: an emulator the script started itself makes the test's inputs
//! unknown, so it is never served from the cache. (An emulator that lives less than one
//! interval can be missed; an emulator that did real work lives far longer.)

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::mpsc;
use std::time::Duration;

const INTERVAL: Duration = Duration::from_millis(50);

/// A running watch over one script's process tree.
pub struct EmulatorWatch {
    /// Dropped to stop the watch at once (not after its pause).
    stop: mpsc::Sender<()>,
    thread: std::thread::JoinHandle<BTreeMap<u32, PathBuf>>,
}

impl EmulatorWatch {
    /// Watches the tree under `root` (the script), and orphans carrying `token`.
    pub fn start(root: u32, token: Option<String>) -> EmulatorWatch {
        let (stop, stopped) = mpsc::channel::<()>();
        let thread = std::thread::spawn(move || {
            let mut seen = BTreeMap::new();
            loop {
                look(root, token.as_deref(), &mut seen);
                if stopped.recv_timeout(INTERVAL) != Err(mpsc::RecvTimeoutError::Timeout) {
                    look(root, token.as_deref(), &mut seen);
                    return seen;
                }
            }
        });
        EmulatorWatch { stop, thread }
    }

    /// Stops it: every emulator seen, as (pid, executable).
    pub fn finish(self) -> Vec<(u32, PathBuf)> {
        drop(self.stop);
        self.thread
            .join()
            .map(|seen| seen.into_iter().collect())
            .unwrap_or_default()
    }
}

/// Whether `exe` is an emulator ptest knows: QEMU's or PANDA's system emulators.
pub fn is_emulator(exe: &Path) -> bool {
    exe.file_name()
        .map(|n| n.to_string_lossy())
        .is_some_and(|n| n.starts_with("qemu-system-") || n.starts_with("panda-system-"))
}

fn look(root: u32, token: Option<&str>, seen: &mut BTreeMap<u32, PathBuf>) {
    let mut stack = vec![root];
    if let Some(token) = token {
        let needle = format!("{}={token}\0", super::contain::TOKEN_ENV);
        stack.extend(
            children(std::process::id())
                .into_iter()
                .filter(|&pid| pid != root && carries(pid, needle.as_bytes())),
        );
    }
    let mut visited = 0;
    while let Some(pid) = stack.pop() {
        visited += 1;
        if visited > 10_000 {
            return; // a fork bomb is the timeout's business
        }
        if let Ok(exe) = std::fs::read_link(format!("/proc/{pid}/exe"))
            && is_emulator(&exe)
        {
            seen.entry(pid).or_insert(exe);
        }
        stack.extend(children(pid));
    }
}

fn children(pid: u32) -> Vec<u32> {
    let mut out = Vec::new();
    let Ok(tasks) = std::fs::read_dir(format!("/proc/{pid}/task")) else {
        return out;
    };
    for task in tasks.flatten() {
        if let Ok(list) = std::fs::read_to_string(task.path().join("children")) {
            out.extend(
                list.split_whitespace()
                    .filter_map(|p| p.parse::<u32>().ok()),
            );
        }
    }
    out
}

fn carries(pid: u32, needle: &[u8]) -> bool {
    std::fs::read(format!("/proc/{pid}/environ"))
        .is_ok_and(|env| env.windows(needle.len()).any(|w| w == needle))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emulators_are_known_by_their_executables_name() {
        assert!(is_emulator(Path::new("/usr/bin/qemu-system-x86_64")));
        assert!(is_emulator(Path::new("/b/i386-softmmu/panda-system-i386")));
        assert!(!is_emulator(Path::new("/usr/bin/qemu-img")));
        assert!(!is_emulator(Path::new("/usr/bin/python3")));
    }

    #[test]
    fn a_process_tree_is_walked_to_its_grandchildren() {
        // sh → sleep: the watch sees both levels (neither is an emulator, so `look` is
        // checked through `children`).
        let mut child = std::process::Command::new("sh")
            .args(["-c", "sleep 5 & wait"])
            .spawn()
            .unwrap();
        let pid = child.id();
        let deadline = std::time::Instant::now() + Duration::from_secs(10);
        while children(pid).is_empty() && std::time::Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(10));
        }
        let grandchildren = children(pid);
        let _ = child.kill();
        let _ = child.wait();
        assert_eq!(grandchildren.len(), 1, "sh's child, sleep");
    }
}
