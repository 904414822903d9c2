//! The PANDA driver: command lines and the monitor/console dialogue exactly as PANDA's
//! own `run_debian.py`/`run_guest.py` produce them (boot the qcow from its snapshot with
//! monitor and serial console on Unix sockets, bring host files in on a CD mounted at the
//! host's path, `begin_record`, run the command, `end_record`, quit), and replays run as
//! `ptest_utils.run_test_debian` ran them (`-replay BASE ARGS`), watched through PANDA's
//! progress output.
//!
//! Only [`monitor`] holds PANDA-specific monitor commands; everything else is shared
//! with, and tested against, upstream QEMU.

use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::driver::{Driver, Emulator, Recording};
use crate::engines::Engine;
use crate::expect::Step;
use crate::panda_build::{binary, build_dir, version};
use crate::request::{RecordRequest, ReplayRequest};
use crate::spec::ImageSpec;
use crate::{Context, EngineError, metadata};

mod guest;
mod lock;
mod record;
mod replay;
mod stand_in;

pub use guest::{cd_copy, list2cmdline};

/// The PANDA engine's driver.
pub struct Panda;

impl Driver for Panda {
    fn record(&self, ctx: &Context, req: &RecordRequest) -> Result<(), EngineError> {
        record::record(ctx, req)
    }

    fn replay(&self, ctx: &Context, req: &ReplayRequest) -> Result<(), EngineError> {
        replay::replay(ctx, req)
    }

    fn probe(&self, ctx: &Context, arch: &str) -> Result<Emulator, EngineError> {
        let bin = binary(arch, build_dir(ctx).as_deref())?;
        Ok(Emulator {
            version: version(ctx, &bin),
            program: bin.display().to_string(),
        })
    }

    fn recording(&self, _: &Context, dir: &Path, test: &str, file: &str) -> Option<Recording> {
        let name = file.strip_suffix("-rr-nondet.log")?;
        let nondet = dir.join(file);
        let snp = dir.join(format!("{name}-rr-snp"));
        let size = [&nondet, &snp]
            .iter()
            .filter_map(|p| std::fs::metadata(p).ok())
            .map(|m| m.len())
            .sum();
        let status = match metadata::read(&crate::recording::meta_path(dir, name)) {
            Err(_) => "no metadata (recorded outside ptest)".to_string(),
            Ok(m) => match crate::hash::sha256_file(&nondet) {
                Ok(h) if h == m.replay_sha256 => "matches".into(),
                Ok(_) => "DIFFERS: replay file changed since it was recorded".into(),
                Err(e) => format!("cannot check: {e}"),
            },
        };
        Some(Recording {
            test: test.into(),
            name: name.into(),
            engine: Engine::Panda,
            size,
            instructions: instruction_count(&nondet).ok(),
            status,
        })
    }
}

/// The few monitor commands that exist only in PANDA.
pub mod monitor {
    pub fn begin_record(base: &str) -> String {
        format!("begin_record \"{base}\"")
    }
    pub const END_RECORD: &str = "end_record";
}

/// What ptest types after `end_record` to learn the guest command's exit status (the
/// one console exchange the original `run_guest.py` does not have), and the answer's tag.
pub const EXIT_QUERY: &str = "echo ptest-guest-exit=$?";
const EXIT_TAG: &str = "ptest-guest-exit=";

/// The image PANDA's `run_debian.py` used for `arch` (its `SUPPORTED_ARCHES`): the
/// built-in short name, e.g. `i386` = `wheezy_panda2.qcow2`.
pub fn arch_image(arch: &str) -> Result<(String, ImageSpec), EngineError> {
    crate::catalog::builtin(arch)
        .map(|s| (arch.to_string(), s))
        .ok_or_else(|| {
            EngineError::Usage(format!(
                "no built-in PANDA image for arch {arch:?} (known: {}); declare one under [images.NAME] and set image = \"NAME\"",
                crate::catalog::arch_names().join(", ")
            ))
        })
}

/// The image a recording for `arch` boots: `explicit` (`--image`) as given; else the
/// configured image when its arch is `arch`; else `arch`'s run_debian image; in each
/// case its stand-in when the image is mapped ([`stand_in`]). The third value explains a
/// configured image that was passed over, or the stand-in, for the log.
pub fn pick_image(
    ctx: &Context,
    explicit: Option<&str>,
    arch: Option<&str>,
) -> Result<(String, ImageSpec, Option<String>), EngineError> {
    stand_in::map_recording(ctx, pick_unmapped(ctx, explicit, arch)?)
}

fn pick_unmapped(
    ctx: &Context,
    explicit: Option<&str>,
    arch: Option<&str>,
) -> Result<(String, ImageSpec, Option<String>), EngineError> {
    if let Some(name) = explicit {
        return Ok((name.to_string(), crate::catalog::resolve(ctx, name)?, None));
    }
    let configured = match &ctx.default_image {
        Some(name) => Some((name.clone(), crate::catalog::resolve(ctx, name)?)),
        None => None,
    };
    match (configured, arch) {
        (Some((name, spec)), None) => Ok((name, spec, None)),
        (Some((name, spec)), Some(a)) if spec.arch.as_deref().is_none_or(|x| x == a) => {
            Ok((name, spec, None))
        }
        (Some((name, spec)), Some(a)) => {
            let (n, s) = arch_image(a)?;
            let note = format!(
                "image {name} is {}, not {a}: recording on {a}'s image {n} as PANDA's run_debian.py would",
                spec.arch.as_deref().unwrap_or("?")
            );
            Ok((n, s, Some(note)))
        }
        (None, a) => {
            let (n, s) = arch_image(a.unwrap_or("i386"))?;
            Ok((n, s, None))
        }
    }
}

/// `extra_args` with `{qcows}` replaced by the qcows folder.
fn extra_args(spec: &ImageSpec, qcows: &Path) -> Vec<String> {
    let q = qcows.to_string_lossy();
    spec.extra_args
        .iter()
        .map(|a| a.replace("{qcows}", &q))
        .collect()
}

/// `-m M` only when the test or the image asks for memory: PANDA's run_debian images
/// do not, and the original framework never passed it.
fn memory(spec: &ImageSpec, ctx: &Context) -> Vec<String> {
    let m = match ctx.settings.memory {
        Some(m) => Some(format!("{m}M")),
        None => spec.memory.clone(),
    };
    m.map(|m| vec!["-m".into(), m]).unwrap_or_default()
}

/// The arguments (after the binary) that boot `qcow` from `snapshot` for recording, in
/// `run_guest.py`'s order.
pub fn record_args(
    spec: &ImageSpec,
    ctx: &Context,
    qcow: &Path,
    snapshot: &str,
    monitor: &Path,
    serial: &Path,
) -> Vec<String> {
    let mut a = vec![
        qcow.display().to_string(),
        "-monitor".into(),
        format!("unix:{},server,nowait", monitor.display()),
        "-serial".into(),
        format!("unix:{},server,nowait", serial.display()),
        "-loadvm".into(),
        snapshot.to_string(),
        "-display".into(),
        "none".into(),
    ];
    a.extend(extra_args(spec, &ctx.qcow_dir()));
    a.extend(memory(spec, ctx));
    a
}

/// The arguments that replay `base` (PANDA's `-replay` takes the path without the
/// `-rr-snp`/`-rr-nondet.log` suffixes), before the analysis's own: only what the image
/// declares (its recording used it too) and `-replay BASE`. Never `-os`: with it PANDA's
/// `callstack_instr` switches to a stack type that needs `osi`, and plain replays abort.
pub fn replay_args(spec: &ImageSpec, ctx: &Context, base: &Path) -> Vec<String> {
    let mut a = memory(spec, ctx);
    a.extend(extra_args(spec, &ctx.qcow_dir()));
    a.extend(["-replay".into(), base.display().to_string()]);
    a
}

/// The console/monitor dialogue of one recording, step for step `run_guest.py`'s: the CD
/// (when the copy folder holds files) is mounted at the copy folder's own path, its
/// `setup.sh` runs if present, and the command is typed before `begin_record` with Enter
/// pressed only once recording runs, so the recording holds the command and nothing else.
pub fn record_steps(
    cdrom: Option<(&str, &Path)>,
    copy_dir: &Path,
    command: &str,
    base: &Path,
    command_timeout: Duration,
) -> Vec<Step> {
    let short = Duration::from_secs(30);
    let dir = crate::quote::shell_quote(&copy_dir.display().to_string());
    let mut steps = Vec::new();
    if let Some((device, iso)) = cdrom {
        steps.push(Step::Monitor(format!(
            "change {device} \"{}\"",
            iso.display()
        )));
        steps.push(Step::Console(format!("mkdir -p {dir}"), short));
        // The guest may automount the CD, or not have noticed it yet: retry until mounted.
        steps.push(Step::Console(
            format!("while ! mount /dev/cdrom {dir}; do sleep 0.3; umount /dev/cdrom; done"),
            short,
        ));
    }
    steps.push(Step::Console(
        format!("{dir}/setup.sh &> /dev/null || true"),
        short,
    ));
    steps.push(Step::Type(command.to_string()));
    steps.push(Step::Monitor(monitor::begin_record(
        &base.display().to_string(),
    )));
    steps.push(Step::Enter(command_timeout));
    steps.push(Step::Monitor(monitor::END_RECORD.into()));
    steps
}

/// The exit status in the guest's answer to [`EXIT_QUERY`].
pub fn parse_exit(answer: &str) -> Option<i32> {
    answer.match_indices(EXIT_TAG).find_map(|(i, _)| {
        let digits: String = answer[i + EXIT_TAG.len()..]
            .chars()
            .take_while(char::is_ascii_digit)
            .collect();
        digits.parse().ok()
    })
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

/// The error for a PANDA recording that is not there, in PANDA's file names.
pub fn missing_recording(ctx: &Context, name: &str) -> EngineError {
    let test = ctx.test.as_deref().unwrap_or("TEST");
    let base = if name.contains('/') {
        PathBuf::from(name)
    } else {
        ctx.test_dir("replays")
            .map(|d| d.join(name))
            .unwrap_or_else(|_| PathBuf::from(name))
    };
    let b = base.display();
    EngineError::Mismatch(format!(
        "replay {name}: no PANDA recording {b}-rr-nondet.log / {b}-rr-snp; record it first (`ptest setup {test}`)"
    ))
}

#[cfg(test)]
mod tests;
