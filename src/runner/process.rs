//! Running one script on the one supervisor ([`ptest_engine::process::Group`]): its own
//! process group on the run's kill list, output captured to a log, a timeout, and the
//! whole process tree killed (SIGTERM, the grace period, SIGKILL) on timeout or Ctrl-C
//! (the [`Cancel`] does that), then whatever carries its containment token.

use std::ffi::OsString;
use std::fs::File;
use std::io::{self, BufRead, BufReader, Write};
use std::os::unix::process::ExitStatusExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use ptest_engine::process::{Cancel, Group, Parent};

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
    /// Note the emulators the script runs (see `emulators`), for the test's inputs.
    pub watch_emulators: bool,
}

/// How a script ended, and how many processes it left behind (killed).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ended {
    pub exit: Exit,
    pub leaked: usize,
    /// With `watch_emulators`: the emulators seen in its process tree (pid, executable).
    pub emulators: Vec<(u32, PathBuf)>,
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

/// Runs `cmd` to completion, timeout or interruption (`cancel`). Never panics on the
/// child's behalf.
pub fn run(cmd: &ScriptCommand, cancel: &Cancel) -> Ended {
    let spawn_failed = |why: String| Ended {
        exit: Exit::SpawnFailed(why),
        leaked: 0,
        emulators: Vec::new(),
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
        .envs(cmd.contain.iter().map(|t| (super::contain::TOKEN_ENV, t)));
    // Its own process group (the supervisor's): a timeout or Ctrl-C kills the script
    // *and* whatever it started (an emulator), and the terminal's Ctrl-C reaches only ptest.
    let mut tees = Vec::new();
    let group = if let Some(prefix) = &cmd.stream {
        command.stdout(Stdio::piped()).stderr(Stdio::piped());
        let group = Group::start(&mut command, cancel, Parent::Survive);
        if let Ok(mut group) = group {
            let log = Arc::new(Mutex::new(log));
            for out in group.take_output() {
                tees.push(tee(out, log.clone(), prefix.clone()));
            }
            Ok(group)
        } else {
            group
        }
    } else {
        match log.try_clone() {
            Ok(err_log) => {
                command.stdout(log).stderr(err_log);
                Group::start(&mut command, cancel, Parent::Survive)
            }
            Err(e) => Err(e),
        }
    };
    let mut group = match group {
        Ok(group) => group,
        Err(e) => return spawn_failed(spawn_error(&cmd.program, &e)),
    };
    let watch = cmd
        .watch_emulators
        .then(|| super::emulators::EmulatorWatch::start(group.id(), cmd.contain.clone()));
    let mut ended = supervise(&mut group, cmd.timeout, cmd.contain.as_deref(), cancel);
    ended.emulators = watch.map(|w| w.finish()).unwrap_or_default();
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
    from: Box<dyn io::Read + Send>,
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
fn supervise(
    group: &mut Group,
    timeout: Duration,
    contain: Option<&str>,
    cancel: &Cancel,
) -> Ended {
    // A timeout too large to represent means "no timeout".
    let deadline = Instant::now().checked_add(timeout);
    let timed_out = group.wait_until(deadline).is_none();
    if timed_out {
        group.stop();
    }
    // Leftovers (an emulator the script started and did not wait for, a daemon that left
    // the group) die now, before any output is compared or blessed; the leader is still
    // unreaped, so its group id cannot have been reused.
    let leaked = contain.map(super::contain::sweep_attempt).unwrap_or(0);
    let status = group.reap();
    super::contain::reap_stray_zombies();
    let exit = if timed_out {
        Exit::TimedOut
    } else if cancel.requested() {
        Exit::Interrupted
    } else {
        exit_of(status)
    };
    Ended {
        exit,
        leaked,
        emulators: Vec::new(),
    }
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
