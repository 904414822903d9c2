//! The monitor/console dialogue with a booted guest, as PANDA's `run_guest.py` holds it:
//! wait for the monitor and the guest's prompt, run [`Step`]s, quit. Used by PANDA
//! recordings and the `panda-busybox` snapshot, and tested against upstream QEMU; the
//! only PANDA-specific monitor commands are in `panda::monitor`.

use std::path::Path;
use std::time::Duration;

use regex::Regex;

use crate::EngineError;
use crate::expect::{Session, Step, run_steps};
use crate::process::Group;

/// The emulator's two sockets and where their conversation is logged.
pub struct Sockets<'a> {
    pub monitor: &'a Path,
    pub serial: &'a Path,
    pub transcript: &'a Path,
}

/// Waits for the monitor and the guest's prompt, then runs `steps` and quits.
pub fn converse(
    group: &mut Group,
    mon_sock: &Path,
    ser_sock: &Path,
    transcript: &Path,
    prompt: &Regex,
    prompt_timeout: Duration,
    steps: &[Step],
) -> Result<(), EngineError> {
    let sockets = Sockets {
        monitor: mon_sock,
        serial: ser_sock,
        transcript,
    };
    converse_then(group, &sockets, prompt, prompt_timeout, steps, &mut |_| {
        Ok(())
    })
}

/// [`converse`], with `after` talking to the console once `steps` are done, before `quit`.
pub fn converse_then(
    group: &mut Group,
    s: &Sockets,
    prompt: &Regex,
    prompt_timeout: Duration,
    steps: &[Step],
    after: &mut dyn FnMut(&mut Session) -> Result<(), EngineError>,
) -> Result<(), EngineError> {
    let monitor_prompt = Regex::new(r"\(qemu\)").map_err(|e| EngineError::Usage(e.to_string()))?;
    let mut alive = || group.try_wait().is_none();
    let limit = Duration::from_secs(30);
    let mut monitor = Session::connect("monitor", s.monitor, s.transcript, limit, &mut alive)?;
    let mut console = Session::connect("console", s.serial, s.transcript, limit, &mut alive)?;
    monitor.expect(&monitor_prompt, Duration::from_secs(30))?;
    console.sendline("")?;
    console
        .expect(prompt, prompt_timeout)
        .map_err(|e| EngineError::Emulator(format!("the guest never showed its prompt: {e}")))?;
    run_steps(&mut monitor, &mut console, &monitor_prompt, prompt, steps)?;
    after(&mut console)?;
    monitor.sendline("quit")?;
    // Closing our end at once could let the emulator see the hang-up before the command.
    monitor.wait_closed(Duration::from_secs(10));
    Ok(())
}
