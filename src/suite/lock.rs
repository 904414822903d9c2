//! The regression directory's locks, so several ptest processes (on one machine, or on
//! several over NFS) can share one directory. It owns the lock files and the rule of who
//! takes what; it must not print, and must not decide anything about tests beyond
//! refusing (or waiting, when asked) while another process holds one.
//!
//! What is locked (all under `.ptest/`):
//! - `lock`: held *shared* by every command that works on tests, *exclusive* by
//!   [`RegressionDir::lock`] (a command that needs the whole directory to itself).
//! - `locks/tests/NAME.lock`: exclusive while NAME's setup, test or bless runs, and while
//!   `accept` promotes or `clean --orphans` removes its reference. Two processes never
//!   run the same test at once.
//! - `locks/images/NAME.lock`: exclusive while `init` downloads, verifies or builds image
//!   NAME into `qcows/`.
//!
//! Every lock is an open-file-description (OFD) byte-range lock, `fcntl(F_OFD_SETLK)`:
//! Linux's NFS client forwards byte-range locks to the server (NLM for NFSv3, the
//! protocol itself for NFSv4), which `flock` does not do reliably; unlike classic POSIX
//! locks, closing some other descriptor of the file does not drop them. The kernel drops
//! them when the process dies, so a killed ptest leaves no stale lock. The holder writes
//! its pid, host and command into the file, only so a refused process can name it.

use std::fs::{File, OpenOptions};
use std::io;
use std::os::fd::AsRawFd;
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};

use super::regdir::{RegDirError, RegressionDir};

/// Whoever holds a lock, as it wrote itself into the lock file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Holder {
    pub pid: String,
    pub host: String,
    pub command: String,
}

impl std::fmt::Display for Holder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "pid {} on host {}, `{}`",
            self.pid, self.host, self.command
        )
    }
}

impl Holder {
    fn me(command: &str) -> Holder {
        Holder {
            pid: std::process::id().to_string(),
            host: hostname(),
            command: command.to_string(),
        }
    }

    /// Read from a lock file; `None` while it is empty (being written, or never was).
    pub fn read(path: &Path) -> Option<Holder> {
        let text = std::fs::read_to_string(path).ok()?;
        let mut lines = text.lines();
        let pid = lines.next()?.trim().to_string();
        let host = lines.next().unwrap_or("?").trim().to_string();
        let command = lines.next().unwrap_or("ptest").trim().to_string();
        (!pid.is_empty()).then_some(Holder { pid, host, command })
    }

    fn describe(path: &Path) -> String {
        Holder::read(path).map_or_else(|| "pid unknown".to_string(), |h| h.to_string())
    }
}

/// This machine's name, as other hosts sharing the directory over NFS would know it.
pub fn hostname() -> String {
    rustix::system::uname()
        .nodename()
        .to_string_lossy()
        .into_owned()
}

/// A held lock; dropping it (or the process dying) releases it.
#[derive(Debug)]
pub struct Held {
    _file: File,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Shared,
    Exclusive,
}

fn open(path: &Path) -> io::Result<File> {
    OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .open(path)
}

/// `fcntl(F_OFD_SETLK[W])` on the whole file. `Ok(false)`: another holds a conflicting lock.
fn ofd_lock(file: &File, kind: Kind, wait: bool) -> io::Result<bool> {
    // SAFETY: `flock` is plain old data; all-zero is a valid value (l_pid must be 0 for
    // OFD locks, l_len 0 means "to the end of the file").
    let mut fl: libc::flock = unsafe { std::mem::zeroed() };
    fl.l_type = match kind {
        Kind::Shared => libc::F_RDLCK,
        Kind::Exclusive => libc::F_WRLCK,
    } as libc::c_short;
    fl.l_whence = libc::SEEK_SET as libc::c_short;
    let cmd = if wait {
        libc::F_OFD_SETLKW
    } else {
        libc::F_OFD_SETLK
    };
    loop {
        // SAFETY: a valid descriptor and a pointer to a live, initialised `flock`.
        let rc = unsafe { libc::fcntl(file.as_raw_fd(), cmd, &fl as *const libc::flock) };
        if rc == 0 {
            return Ok(true);
        }
        let e = io::Error::last_os_error();
        match e.raw_os_error() {
            Some(libc::EINTR) => continue,
            Some(libc::EAGAIN) | Some(libc::EACCES) if !wait => return Ok(false),
            _ => return Err(e),
        }
    }
}

/// Each held lock is an open file: a suite of more tests than the soft limit on open
/// files (often 1024) would fail with "too many open files". Raise the soft limit toward
/// the hard one when needed; if that is refused, opening reports the error.
fn room_for_descriptors(locks: usize) {
    use rustix::process::{Resource, getrlimit, setrlimit};
    // The run's own files: logs, pipes, reports, outputs being compared.
    let wanted = locks as u64 + 512;
    let limit = getrlimit(Resource::Nofile);
    if limit.current.is_some_and(|soft| soft < wanted) {
        let raised = limit
            .maximum
            .map_or(wanted, |hard| hard.min(wanted.max(4096)));
        let _ = setrlimit(
            Resource::Nofile,
            rustix::process::Rlimit {
                current: Some(raised),
                maximum: limit.maximum,
            },
        );
    }
}

fn io_err(path: &Path) -> impl FnOnce(io::Error) -> RegDirError + '_ {
    move |source| RegDirError::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// Take `path` exclusively and write ourselves into it. `Ok(None)`: held by another.
fn take_exclusive(path: &Path, me: &Holder, wait: bool) -> Result<Option<Held>, RegDirError> {
    let file = open(path).map_err(io_err(path))?;
    if !ofd_lock(&file, Kind::Exclusive, wait).map_err(io_err(path))? {
        return Ok(None);
    }
    let text = format!("{}\n{}\n{}\n", me.pid, me.host, me.command);
    file.set_len(0).map_err(io_err(path))?;
    file.write_all_at(text.as_bytes(), 0)
        .map_err(io_err(path))?;
    Ok(Some(Held { _file: file }))
}

/// What to do when another process holds a test's lock.
pub enum WhenHeld<'a> {
    /// Fail with [`RegDirError::TestLocked`] naming the test and the holder.
    Refuse,
    /// Wait for it; the callback hears which test is awaited and who holds it, first.
    Wait(&'a mut dyn FnMut(&str, &str)),
}

/// Holds the whole regression directory's lock until dropped ([`RegressionDir::lock`]).
#[derive(Debug)]
pub struct Lock {
    _held: Held,
}

/// The locks a command holds on its tests (and the shared directory lock).
#[derive(Debug)]
pub struct TestLocks {
    _dir: Held,
    _tests: Vec<Held>,
}

impl RegressionDir {
    fn locks_dir(&self, kind: &str) -> Result<PathBuf, RegDirError> {
        let dir = self.state_dir().join("locks").join(kind);
        self.ensure_dir(&dir, false)?;
        Ok(dir)
    }

    fn dir_lock_path(&self) -> Result<PathBuf, RegDirError> {
        let state = self.state_dir();
        self.ensure_dir(&state, false)?;
        Ok(state.join("lock"))
    }

    /// The whole directory, exclusively: refused while any other ptest works on it.
    pub fn lock(&self) -> Result<Lock, RegDirError> {
        self.lock_whole("ptest")
    }

    /// [`Self::lock`], naming the command in the lock file.
    pub fn lock_whole(&self, command: &str) -> Result<Lock, RegDirError> {
        let path = self.dir_lock_path()?;
        match take_exclusive(&path, &Holder::me(command), false)? {
            Some(held) => Ok(Lock { _held: held }),
            None => Err(RegDirError::Locked {
                path: self.root.clone(),
                holder: "held by other ptest processes".into(),
            }),
        }
    }

    /// Lock `tests` for `command` (e.g. "ptest bless"), in name order so that waiting
    /// processes cannot deadlock. Refusing takes nothing: all or none.
    pub fn lock_tests(
        &self,
        tests: &[&str],
        command: &str,
        mut when_held: WhenHeld<'_>,
    ) -> Result<TestLocks, RegDirError> {
        let dir_path = self.dir_lock_path()?;
        let dir_file = open(&dir_path).map_err(io_err(&dir_path))?;
        if !ofd_lock(&dir_file, Kind::Shared, false).map_err(io_err(&dir_path))? {
            return Err(RegDirError::Locked {
                path: self.root.clone(),
                holder: Holder::describe(&dir_path),
            });
        }
        let locks = self.locks_dir("tests")?;
        let me = Holder::me(command);
        let mut names: Vec<&str> = tests.to_vec();
        names.sort_unstable();
        names.dedup();
        room_for_descriptors(names.len());
        let mut held = Vec::with_capacity(names.len());
        for name in names {
            let path = locks.join(format!("{name}.lock"));
            if let Some(h) = take_exclusive(&path, &me, false)? {
                held.push(h);
                continue;
            }
            match &mut when_held {
                WhenHeld::Refuse => {
                    return Err(RegDirError::TestLocked {
                        test: name.to_string(),
                        holder: Holder::describe(&path),
                        lock: path,
                    });
                }
                WhenHeld::Wait(notify) => {
                    notify(name, &Holder::describe(&path));
                    // A blocking lock returns only once it is ours (or with an error).
                    if let Some(h) = take_exclusive(&path, &me, true)? {
                        held.push(h);
                    }
                }
            }
        }
        Ok(TestLocks {
            _dir: Held { _file: dir_file },
            _tests: held,
        })
    }

    /// Lock images while they are fetched or built into `qcows/`, waiting for any other
    /// process doing the same (it will have finished the work: then it is only verified).
    pub fn lock_images(
        &self,
        images: &[String],
        command: &str,
        notify: &mut dyn FnMut(&str, &str),
    ) -> Result<Vec<Held>, RegDirError> {
        let locks = self.locks_dir("images")?;
        let me = Holder::me(command);
        let mut names: Vec<&str> = images.iter().map(String::as_str).collect();
        names.sort_unstable();
        names.dedup();
        let mut held = Vec::with_capacity(names.len());
        for name in names {
            let path = locks.join(format!("{name}.lock"));
            if let Some(h) = take_exclusive(&path, &me, false)? {
                held.push(h);
                continue;
            }
            notify(name, &Holder::describe(&path));
            if let Some(h) = take_exclusive(&path, &me, true)? {
                held.push(h);
            }
        }
        Ok(held)
    }
}

#[cfg(test)]
#[path = "lock_tests.rs"]
mod tests;
