//! Running one script: its own process group, output captured to a log, a timeout, and
//! the whole process tree killed (SIGTERM, a grace period, SIGKILL) on timeout or Ctrl-C.

use std::ffi::OsString;
use std::fs::File;
use std::io::{self, BufRead, BufReader, Write};
use std::os::unix::process::{CommandExt, ExitStatusExt};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc::{self, RecvTimeoutError};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use rustix::process::{Pid, Signal, WaitId, WaitIdOptions, kill_process_group, waitid};

use super::interrupt;

/// How long a process group gets between SIGTERM and SIGKILL.
pub const KILL_GRACE: Duration = ptest_engine::process::GRACE;

/// Everything needed to start a script.
#[derive(Debug, Clone)]
pub struct ScriptCommand {
    pub program: PathBuf,
    pub args: Vec<OsString>,
    pub cwd: PathBuf,
    pub env: Vec<(String, OsString)>,
    /// stdout and stderr go here (truncated first).
    pub log: PathBuf,
    pub timeout: Duration,
    /// `Some(prefix)`: also stream output live to stderr, each line prefixed.
    pub stream: Option<String>,
    /// The attempt's containment token (see `contain`): what carries it is killed when the
    /// script ends.
    pub contain: Option<String>,
}

/// How a script ended, and how many processes it left behind (killed).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ended {
    pub exit: Exit,
    pub leaked: usize,
}

/// How a script ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Exit {
    Code(i32),
    Signal(i32),
    TimedOut,
    Interrupted,
    /// Could not be started at all; the message says why and what to do.
    SpawnFailed(String),
}

impl Exit {
    pub fn success(&self) -> bool {
        *self == Exit::Code(0)
    }

    /// A short description for messages: "exited with code 3", "killed by SIGSEGV".
    pub fn describe(&self) -> String {
        match self {
            Exit::Code(code) => format!("exited with code {code}"),
            Exit::Signal(sig) => format!("killed by {}", signal_name(*sig)),
            Exit::TimedOut => "timed out".into(),
            Exit::Interrupted => "interrupted".into(),
            Exit::SpawnFailed(why) => why.clone(),
        }
    }
}

pub fn signal_name(sig: i32) -> String {
    let name = match sig {
        1 => "SIGHUP",
        2 => "SIGINT",
        3 => "SIGQUIT",
        4 => "SIGILL",
        6 => "SIGABRT",
        7 => "SIGBUS",
        8 => "SIGFPE",
        9 => "SIGKILL",
        11 => "SIGSEGV",
        13 => "SIGPIPE",
        14 => "SIGALRM",
        15 => "SIGTERM",
        _ => return format!("signal {sig}"),
    };
    name.to_string()
}

/// Runs `cmd` to completion, timeout or interruption. Never panics on the child's behalf.
pub fn run(cmd: &ScriptCommand) -> Ended {
    let spawn_failed = |why: String| Ended {
        exit: Exit::SpawnFailed(why),
        leaked: 0,
    };
    let log = match File::create(&cmd.log) {
        Ok(mut log) => {
            // Say what ran, so a log read weeks later explains itself.
            let mut line = cmd.program.display().to_string();
            for arg in &cmd.args {
                line.push(' ');
                line.push_str(&arg.to_string_lossy());
            }
            let _ = writeln!(log, "$ {line} (in {})", cmd.cwd.display());
            log
        }
        Err(e) => {
            return spawn_failed(format!(
                "cannot create log {}: {e}; check the regression directory is writable",
                cmd.log.display()
            ));
        }
    };
    let mut command = Command::new(&cmd.program);
    command
        .args(&cmd.args)
        .current_dir(&cmd.cwd)
        .envs(cmd.env.iter().map(|(k, v)| (k, v)))
        .stdin(Stdio::null())
        .envs(cmd.contain.iter().map(|t| (super::contain::TOKEN_ENV, t)))
        // Own process group: a timeout or Ctrl-C kills the script *and* whatever it
        // started (an emulator), and the terminal's Ctrl-C reaches only ptest.
        .process_group(0);
    let mut tees = Vec::new();
    let child = if let Some(prefix) = &cmd.stream {
        command.stdout(Stdio::piped()).stderr(Stdio::piped());
        let child = command.spawn();
        if let Ok(mut child) = child {
            let log = Arc::new(Mutex::new(log));
            if let Some(out) = child.stdout.take() {
                tees.push(tee(out, log.clone(), prefix.clone()));
            }
            if let Some(err) = child.stderr.take() {
                tees.push(tee(err, log, prefix.clone()));
            }
            Ok(child)
        } else {
            child
        }
    } else {
        match log.try_clone() {
            Ok(err_log) => command.stdout(log).stderr(err_log).spawn(),
            Err(e) => Err(e),
        }
    };
    let mut child = match child {
        Ok(child) => child,
        Err(e) => return spawn_failed(spawn_error(&cmd.program, &e)),
    };
    let ended = supervise(&mut child, cmd.timeout, cmd.contain.as_deref());
    // Everything that held the script's output pipes is dead by now: these end.
    for t in tees {
        let _ = t.join();
    }
    ended
}

fn spawn_error(program: &Path, e: &io::Error) -> String {
    match e.kind() {
        // The script exists: what is missing is the interpreter its `#!` line names.
        io::ErrorKind::NotFound if program.is_file() => format!(
            "cannot run {}: the interpreter of its #! line ({}) was not found; fix that line (a CRLF line ending breaks it too) or name the script .py / .sh",
            program.display(),
            shebang(program).unwrap_or_else(|| "none".into())
        ),
        io::ErrorKind::NotFound => format!(
            "cannot run {}: not found; install it or point ptest at it (`python = ...` in ptest.toml, or --python)",
            program.display()
        ),
        io::ErrorKind::PermissionDenied => format!(
            "cannot run {}: permission denied; `chmod +x` it",
            program.display()
        ),
        _ => format!("cannot run {}: {e}", program.display()),
    }
}

/// The `#!` line of a script, quoted so that a stray `\r` shows.
fn shebang(path: &Path) -> Option<String> {
    use std::io::Read;
    let mut head = [0u8; 256];
    let n = File::open(path).ok()?.read(&mut head).ok()?;
    let first = head[..n].split(|&b| b == b'\n').next()?;
    let line = String::from_utf8_lossy(first.strip_prefix(b"#!")?);
    Some(format!("{:?}", line.trim_start()))
}

fn tee(
    from: impl io::Read + Send + 'static,
    log: Arc<Mutex<File>>,
    prefix: String,
) -> std::thread::JoinHandle<()> {
    std::thread::spawn(move || {
        let mut reader = BufReader::new(from);
        let mut line = Vec::new();
        while reader.read_until(b'\n', &mut line).is_ok_and(|n| n > 0) {
            if let Ok(mut log) = log.lock() {
                let _ = log.write_all(&line);
            }
            let mut err = io::stderr().lock();
            let _ = write!(err, "{prefix}{}", String::from_utf8_lossy(&line));
            if !line.ends_with(b"\n") {
                let _ = writeln!(err);
            }
            line.clear();
        }
    })
}

/// Wait for the script, enforcing the timeout, then make sure nothing it started survives
/// it: its process group, and whatever carries its containment token.
fn supervise(child: &mut Child, timeout: Duration, contain: Option<&str>) -> Ended {
    let pid = child.id() as i32;
    let Some(group) = Pid::from_raw(pid) else {
        return Ended {
            exit: Exit::SpawnFailed("child has no pid".into()),
            leaked: 0,
        };
    };
    let _registered = interrupt::register(pid);
    if interrupt::requested() {
        // Ctrl-C arrived between spawn and registration: the handler did not see us.
        let _ = kill_process_group(group, Signal::TERM);
    }
    let (tx, rx) = mpsc::channel::<()>();
    // Wait without reaping: while the leader is a zombie its pid (= the group id) cannot
    // be reused, so killing the group afterwards cannot hit an unrelated process.
    std::thread::spawn(move || {
        let _ = waitid(
            WaitId::Pid(group),
            WaitIdOptions::EXITED | WaitIdOptions::NOWAIT,
        );
        let _ = tx.send(());
    });
    // A timeout too large to represent means "no timeout".
    let deadline = Instant::now().checked_add(timeout);
    let waited = match deadline {
        Some(deadline) => rx.recv_timeout(deadline.saturating_duration_since(Instant::now())),
        None => rx.recv().map_err(|_| RecvTimeoutError::Disconnected),
    };
    let timed_out = waited == Err(RecvTimeoutError::Timeout);
    if timed_out {
        let _ = kill_process_group(group, Signal::TERM);
        if rx.recv_timeout(KILL_GRACE).is_err() {
            let _ = kill_process_group(group, Signal::KILL);
            let _ = rx.recv();
        }
    }
    // Leftovers (an emulator the script started and did not wait for, a daemon that left
    // the group) die now, before any output is compared or blessed.
    let leaked = contain.map(super::contain::sweep_attempt).unwrap_or(0);
    let _ = kill_process_group(group, Signal::KILL);
    let status = child.wait();
    super::contain::reap_stray_zombies();
    let exit = if timed_out {
        Exit::TimedOut
    } else if interrupt::requested() {
        Exit::Interrupted
    } else {
        exit_of(status)
    };
    Ended { exit, leaked }
}

fn exit_of(status: io::Result<std::process::ExitStatus>) -> Exit {
    match status {
        Ok(status) => match (status.code(), status.signal()) {
            (Some(code), _) => Exit::Code(code),
            (None, Some(sig)) => Exit::Signal(sig),
            (None, None) => Exit::SpawnFailed("ended with an unknown status".into()),
        },
        Err(e) => Exit::SpawnFailed(format!("waiting for the script failed: {e}")),
    }
}
