//! `ptest record` for upstream QEMU.

use std::path::PathBuf;

use super::run::{Ending, Monitor, Watch, run};
use super::*;
use crate::busybox::initramfs;
use crate::marker::end_marker;
use crate::process::tail_indented;

/// Records `command` on image `image_name` into `replays/TEST/NAME.*`.
pub fn record(
    ctx: &Context,
    image_name: &str,
    name: &str,
    copies: &[PathBuf],
    command: &[String],
) -> Result<(), EngineError> {
    if command.is_empty() {
        return Err(EngineError::Usage(
            "nothing to record: give the guest command after `--`".into(),
        ));
    }
    let files = ReplayFiles::of(ctx, name)?;
    // The cheap checks first: a missing QEMU is reported before any image is built.
    let spec = catalog::resolve(ctx, image_name)?;
    let arch = spec.arch.clone().unwrap_or_else(|| "x86_64".into());
    let emu = emulator(ctx, &arch)?;
    let (spec, img) = image(ctx, image_name)?;
    let (memory, shift) = machine_settings(ctx, &spec);
    let timeout = ctx.settings.record_timeout();
    let replay_dir = ctx.test_dir("replays")?;
    let log_dir = ctx.test_dir("logs")?;
    for d in [&replay_dir, &log_dir] {
        std::fs::create_dir_all(d).map_err(EngineError::io(d))?;
    }
    let busybox = std::fs::read(&img.busybox).map_err(EngineError::io(&img.busybox))?;
    let initrd = initramfs(&busybox, command, copies)?;
    // Old metadata goes first: from here on, nothing vouches for a half-made recording.
    for p in [&files.meta, &files.rr] {
        let _ = std::fs::remove_file(p);
    }
    std::fs::write(&files.initramfs, &initrd).map_err(EngineError::io(&files.initramfs))?;
    let log = log_dir.join(format!("{name}-record.log"));
    let console = log_dir.join(format!("{name}-record.console"));
    let machine = machine_line(memory, shift);
    let args = concrete(
        &machine,
        &Paths {
            kernel: &img.kernel,
            initrd: &files.initramfs,
            serial: &console,
            rrfile: &files.rr,
            mode: "record",
        },
    );
    ctx.observer.note(&format!(
        "recording {name} on {image_name}: {}",
        command.join(" ")
    ));
    let started = std::time::Instant::now();
    let ending = run(
        &emu.program,
        &args,
        &replay_dir,
        &log,
        Watch {
            timeout: Some(timeout),
            stall: None,
            monitor: Monitor::Qmp,
            command: "record",
        },
        ctx,
        &mut |_| {},
    )?;
    let logs = format!(
        "QEMU log: {}, console: {}",
        log.display(),
        console.display()
    );
    let fail = |msg: String| {
        let _ = std::fs::remove_file(&files.rr);
        Err(EngineError::Emulator(format!("{msg} ({logs})")))
    };
    let instructions = match ending {
        Ending::Shutdown(Some(n)) => n,
        Ending::Shutdown(None) => return fail("recording: QEMU never answered on QMP".into()),
        Ending::Exited(status) => {
            return fail(format!(
                "recording: QEMU exited ({status}) before the guest powered off:\n    {}",
                tail_indented(&log, 5)
            ));
        }
        Ending::TimedOut(_) => {
            let _ = std::fs::remove_file(&files.rr);
            return Err(EngineError::TimedOut {
                what: "recording: the guest command".into(),
                setting: "record-timeout",
                limit: timeout,
                emulator: "QEMU",
                logs,
            });
        }
        Ending::Stalled(_) => return fail("recording stalled".into()),
    };
    let Some(guest_exit) = end_marker(&console) else {
        return fail(format!(
            "recording: the guest powered off without the end marker: the command did not finish\n    {}",
            tail_indented(&console, 5)
        ));
    };
    let meta = Metadata {
        format: metadata::FORMAT,
        engine: Engine::Qemu.name().into(),
        image: image_name.to_string(),
        arch,
        emulator_version: emu.version,
        machine,
        command: command.to_vec(),
        copied: copies.iter().map(|p| p.display().to_string()).collect(),
        kernel_sha256: img.info.kernel_sha256.clone(),
        initramfs_sha256: crate::hash::sha256_bytes(&initrd),
        replay_sha256: crate::hash::sha256_file(&files.rr)?,
        replay_size: std::fs::metadata(&files.rr).map(|m| m.len()).unwrap_or(0),
        instructions,
        guest_exit,
    };
    metadata::write(&files.meta, &meta)?;
    ctx.observer.note(&format!(
        "recorded {} ({} instructions, {} KiB, {:.1}s); guest command exited {guest_exit}",
        files.rr.display(),
        instructions,
        meta.replay_size / 1024,
        started.elapsed().as_secs_f64()
    ));
    Ok(())
}
