//! Running QEMU under watch: its own process group, output to the log, a monitor polled
//! for the instruction count. Recordings use QMP (`query-replay`, and the guest's power-off
//! stops the VM so the final count can be read); replays use HMP's `info replay` and end
//! when QEMU exits, because a QMP monitor doubles QEMU's system time in a replay (see
//! [`crate::hmp`]).

use std::fs::File;
use std::path::Path;
use std::process::{Command, ExitStatus};
use std::time::{Duration, Instant};

use crate::hmp::Hmp;
use crate::process::Group;
use crate::qmp::Qmp;
use crate::quote::shell_quote;
use crate::usage::EmulatorUse;
use crate::{Context, EngineError};

/// How often the instruction count is polled (progress and the stall watchdog).
const POLL: Duration = Duration::from_millis(200);

/// Which monitor watches the run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Monitor {
    /// QMP, with `-no-shutdown`: the guest's power-off stops the VM and the final count is
    /// read before QEMU is told to quit (recordings store it).
    Qmp,
    /// HMP: counts for progress and the stall watchdog; QEMU exits at the guest's power-off.
    Hmp,
}

/// How a run is watched: its time limit, the stall watchdog's quiet time, the monitor.
#[derive(Debug, Clone, Copy)]
pub struct Watch {
    pub timeout: Option<Duration>,
    pub stall: Option<Duration>,
    pub monitor: Monitor,
    /// `record` or `replay`, for the test's inputs (`usage`).
    pub command: &'static str,
}

/// How a QEMU run ended.
#[derive(Debug)]
pub enum Ending {
    /// The guest powered off; the final instruction count when QMP told it.
    Shutdown(Option<u64>),
    Exited(ExitStatus),
    /// Killed after `record-timeout`.
    TimedOut(Option<u64>),
    /// Killed because the replay's instruction count stopped advancing.
    Stalled(Option<u64>),
}

/// Runs QEMU (`args` plus a monitor) in its own process group with output to `log`, until
/// the guest powers off, QEMU exits, `timeout` passes or (replay) the instruction count
/// stops advancing for `stall`. `progress` sees each new instruction count.
pub fn run(
    bin: &str,
    args: &[String],
    cwd: &Path,
    log: &Path,
    watch_by: Watch,
    ctx: &Context,
    progress: &mut dyn FnMut(u64),
) -> Result<Ending, EngineError> {
    let Watch {
        timeout,
        stall,
        monitor,
        command,
    } = watch_by;
    let sock = std::env::temp_dir().join(format!(
        "ptest-monitor-{}-{}.sock",
        std::process::id(),
        unique()
    ));
    let _ = std::fs::remove_file(&sock);
    let mut logf = File::create(log).map_err(EngineError::io(log))?;
    {
        use std::io::Write;
        let line: Vec<String> = std::iter::once(bin.to_string())
            .chain(args.iter().map(|a| shell_quote(a)))
            .collect();
        let _ = writeln!(logf, "$ cd {} && {}", cwd.display(), line.join(" "));
    }
    let err = logf.try_clone().map_err(EngineError::io(log))?;
    let mut cmd = Command::new(bin);
    let listen = format!("unix:{},server=on,wait=off", sock.display());
    cmd.args(args);
    match monitor {
        Monitor::Qmp => cmd.arg("-qmp").arg(listen).arg("-no-shutdown"),
        Monitor::Hmp => cmd.arg("-monitor").arg(listen),
    };
    cmd.current_dir(cwd).stdout(logf).stderr(err);
    let mut group = Group::spawn(&mut cmd, "QEMU", &ctx.cancel)?;
    let usage = EmulatorUse::start(ctx, command, group.id(), Path::new(bin), args, cwd);
    let now = Instant::now();
    let tracker = Tracker {
        start: now,
        icount: None,
        last_advance: now,
        timeout,
        stall,
        progress,
    };
    let ending = match monitor {
        Monitor::Qmp => watch(&mut group, &sock, tracker),
        Monitor::Hmp => watch_hmp(&mut group, &sock, tracker),
    };
    let _ = std::fs::remove_file(&sock);
    usage.finish();
    Ok(ending)
}

/// What both watches keep: the last instruction count and when it last advanced, against
/// the run's time limit and the stall watchdog's quiet time.
struct Tracker<'a> {
    start: Instant,
    icount: Option<u64>,
    last_advance: Instant,
    timeout: Option<Duration>,
    stall: Option<Duration>,
    progress: &'a mut dyn FnMut(u64),
}

impl Tracker<'_> {
    fn seen(&mut self, n: u64) {
        if self.icount.is_none_or(|old| n > old) {
            self.icount = Some(n);
            self.last_advance = Instant::now();
            (self.progress)(n);
        }
    }

    /// Kills the run and says how it ended, once a limit has passed.
    fn over_limit(&self, group: &mut Group) -> Option<Ending> {
        let ending = if self.timeout.is_some_and(|t| self.start.elapsed() > t) {
            Ending::TimedOut(self.icount)
        } else if self.stall.is_some_and(|s| self.last_advance.elapsed() > s) {
            Ending::Stalled(self.icount)
        } else {
            return None;
        };
        group.kill_tree();
        Some(ending)
    }
}

fn watch(group: &mut Group, sock: &Path, mut t: Tracker<'_>) -> Ending {
    let mut qmp: Option<Qmp> = None;
    loop {
        if let Some(status) = group.try_wait() {
            return Ending::Exited(status);
        }
        if qmp.is_none() {
            let mut alive = || true;
            qmp = Qmp::connect(sock, Duration::from_millis(100), &mut alive);
        }
        if let Some(q) = qmp.as_mut() {
            match q.query_replay() {
                Some(info) => {
                    t.seen(info.icount);
                    if q.status().as_deref() == Some("shutdown") {
                        // The VM is stopped now: this is the final count.
                        let last = q.query_replay().map(|l| l.icount).or(t.icount);
                        q.quit();
                        if group.wait_for(Duration::from_secs(5)).is_none() {
                            group.kill_tree();
                        }
                        return Ending::Shutdown(last);
                    }
                }
                // QEMU closed the socket: it is exiting; the next try_wait sees it.
                None => qmp = None,
            }
        }
        if let Some(ending) = t.over_limit(group) {
            return ending;
        }
        // Woken early by QMP events, so the guest's power-off is seen when it happens
        // (a plain sleep here cost half a poll interval per replay on average).
        match qmp.as_mut() {
            Some(q) => {
                if q.wait_event(POLL).is_none() {
                    qmp = None;
                }
            }
            None => std::thread::sleep(Duration::from_millis(20)),
        }
    }
}

/// [`watch`] over HMP: the wait between polls is a wait on QEMU itself, so its exit (the
/// guest powered off) is seen within a few milliseconds.
fn watch_hmp(group: &mut Group, sock: &Path, mut t: Tracker<'_>) -> Ending {
    let mut hmp: Option<Hmp> = None;
    loop {
        if let Some(status) = group.wait_for(POLL) {
            return Ending::Exited(status);
        }
        if hmp.is_none() {
            hmp = Hmp::connect(sock);
        }
        if let Some(h) = hmp.as_mut() {
            match h.replay_icount() {
                Some(n) => t.seen(n),
                // QEMU closed the socket: it is exiting; the next wait sees it.
                None => hmp = None,
            }
        }
        if let Some(ending) = t.over_limit(group) {
            return ending;
        }
    }
}

fn unique() -> u64 {
    use std::sync::atomic::{AtomicU64, Ordering};
    static N: AtomicU64 = AtomicU64::new(0);
    N.fetch_add(1, Ordering::Relaxed)
}
