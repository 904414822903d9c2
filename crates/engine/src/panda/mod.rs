//! The PANDA driver: command lines and the monitor/console dialogue PANDA's own
//! `run_guest.py` uses (boot the qcow from its snapshot with monitor and serial console on
//! Unix sockets, bring host files in on a CD, `begin_record`, run the command,
//! `end_record`, quit), and replays watched through PANDA's progress output.
//!
//! Only [`monitor`] holds PANDA-specific monitor commands; everything else is shared
//! with, and tested against, upstream QEMU.

use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::expect::Step;
use crate::images::ImageSpec;
use crate::{Context, EngineError};

mod record;
mod replay;

pub use record::{converse, record};
pub use replay::replay;

/// The few monitor commands that exist only in PANDA.
pub mod monitor {
    pub fn begin_record(base: &str) -> String {
        format!("begin_record \"{base}\"")
    }
    pub const END_RECORD: &str = "end_record";
}

/// Where host files are mounted in the guest; the command runs there.
pub const GUEST_COPY_DIR: &str = "/mnt/ptest";

/// `panda-system-ARCH` from `$PANDA_BUILD/ARCH-softmmu/`, else from `PATH`.
pub fn binary(arch: &str, panda_build: Option<&str>) -> Result<PathBuf, EngineError> {
    let name = format!("panda-system-{arch}");
    let mut tried = Vec::new();
    if let Some(build) = panda_build.filter(|b| !b.is_empty()) {
        let p = Path::new(build).join(format!("{arch}-softmmu")).join(&name);
        if p.exists() {
            return executable(p);
        }
        tried.push(p.display().to_string());
    }
    if let Some(path) = std::env::var_os("PATH") {
        for dir in std::env::split_paths(&path) {
            let p = dir.join(&name);
            if p.exists() {
                return executable(p);
            }
        }
    }
    tried.push(format!("{name} on PATH"));
    Err(EngineError::Emulator(format!(
        "PANDA not found (tried {}); build PANDA and export PANDA_BUILD=/path/to/panda/build",
        tried.join(", ")
    )))
}

fn executable(p: PathBuf) -> Result<PathBuf, EngineError> {
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(&p)
        .map_err(EngineError::io(&p))?
        .permissions()
        .mode();
    if mode & 0o111 == 0 || p.is_dir() {
        return Err(EngineError::Emulator(format!(
            "{} is not executable",
            p.display()
        )));
    }
    Ok(p)
}

/// `extra_args` with `{qcows}` replaced by the qcows folder.
fn extra_args(spec: &ImageSpec, qcows: &Path) -> Vec<String> {
    let q = qcows.to_string_lossy();
    spec.extra_args
        .iter()
        .map(|a| a.replace("{qcows}", &q))
        .collect()
}

fn memory(spec: &ImageSpec, ctx: &Context) -> String {
    match ctx.settings.memory {
        Some(m) => format!("{m}M"),
        None => spec.memory.clone().unwrap_or_else(|| "128M".into()),
    }
}

/// The arguments (after the binary) that boot `qcow` from its snapshot for recording.
pub fn record_args(
    spec: &ImageSpec,
    ctx: &Context,
    qcow: &Path,
    monitor: &Path,
    serial: &Path,
) -> Vec<String> {
    let mut a = vec![
        qcow.display().to_string(),
        "-loadvm".into(),
        spec.snapshot.clone().unwrap_or_else(|| "root".into()),
        "-m".into(),
        memory(spec, ctx),
        "-monitor".into(),
        format!("unix:{},server,nowait", monitor.display()),
        "-serial".into(),
        format!("unix:{},server,nowait", serial.display()),
    ];
    let extra = extra_args(spec, &ctx.qcow_dir());
    if !extra.iter().any(|x| x == "-display" || x == "-nographic") {
        a.extend(["-display".into(), "none".into()]);
    }
    a.extend(extra);
    a
}

/// The arguments that replay `base` (PANDA's `-replay` takes the path without the
/// `-rr-snp`/`-rr-nondet.log` suffixes), before the analysis's own arguments.
pub fn replay_args(spec: &ImageSpec, ctx: &Context, base: &Path) -> Vec<String> {
    let mut a = vec!["-m".into(), memory(spec, ctx)];
    let extra = extra_args(spec, &ctx.qcow_dir());
    if !extra.iter().any(|x| x == "-display" || x == "-nographic") {
        a.extend(["-display".into(), "none".into()]);
    }
    a.extend(extra);
    if let Some(os) = &spec.os {
        a.extend(["-os".into(), os.clone()]);
    }
    a.extend(["-replay".into(), base.display().to_string()]);
    a
}

/// The console/monitor dialogue of one recording, as in PANDA's `run_guest.py`: the
/// command is typed before `begin_record` and Enter is pressed only once recording runs,
/// so the recording holds the command and nothing else.
pub fn record_steps(
    cdrom: Option<(&str, &Path)>,
    command: &str,
    base: &Path,
    command_timeout: Duration,
) -> Vec<Step> {
    let short = Duration::from_secs(60);
    let mut steps = Vec::new();
    if let Some((device, iso)) = cdrom {
        steps.push(Step::Monitor(format!(
            "change {device} \"{}\"",
            iso.display()
        )));
        steps.push(Step::Console(format!("mkdir -p {GUEST_COPY_DIR}"), short));
        // The guest may automount the CD, or not have noticed it yet: retry until mounted.
        steps.push(Step::Console(
            format!(
                "while ! mount /dev/cdrom {GUEST_COPY_DIR}; do sleep 0.3; umount /dev/cdrom; done"
            ),
            short,
        ));
        steps.push(Step::Console(format!("cd {GUEST_COPY_DIR}"), short));
    }
    steps.push(Step::Type(command.to_string()));
    steps.push(Step::Monitor(monitor::begin_record(
        &base.display().to_string(),
    )));
    steps.push(Step::Enter(command_timeout));
    steps.push(Step::Monitor(monitor::END_RECORD.into()));
    steps
}

/// PANDA's replay progress line: `NAME:  12345678 ( 12.34%) instrs. …`.
pub fn parse_progress(line: &str) -> Option<u64> {
    let at = line.find("instrs")?;
    let head = line[..at].trim_end();
    let open = head.rfind('(')?;
    let before = head[..open].trim_end();
    let digits: String = before
        .chars()
        .rev()
        .take_while(|c| c.is_ascii_digit())
        .collect();
    digits.chars().rev().collect::<String>().parse().ok()
}

/// The instruction count a PANDA recording holds: `NAME-rr-nondet.log` starts with it
/// as a little-endian u64.
pub fn instruction_count(nondet: &Path) -> Result<u64, EngineError> {
    use std::io::Read;
    let mut f = std::fs::File::open(nondet).map_err(EngineError::io(nondet))?;
    let mut b = [0u8; 8];
    f.read_exact(&mut b).map_err(|e| {
        EngineError::Mismatch(format!(
            "{}: too short to be a PANDA nondet log ({e})",
            nondet.display()
        ))
    })?;
    Ok(u64::from_le_bytes(b))
}

/// Whether `name` is a PANDA recording (`NAME-rr-nondet.log`) of the current test.
pub fn is_panda_replay(ctx: &Context, name: &str) -> bool {
    let file = format!("{name}-rr-nondet.log");
    if name.contains('/') {
        return Path::new(&file).exists();
    }
    ctx.test_dir("replays").is_ok_and(|d| d.join(file).exists())
}

#[cfg(test)]
mod tests;
