//! `ptest replay` for upstream QEMU.

use super::run::{Ending, Monitor, Watch, run};
use super::*;
use crate::marker::end_marker;
use crate::observe::Counting;
use crate::process::tail_indented;

/// Replays `replays/TEST/NAME` with `engine_args`, in `tmpout/TEST/`.
pub fn replay(ctx: &Context, req: &ReplayRequest) -> Result<(), EngineError> {
    let files = ReplayFiles::of(ctx, req.name)?;
    if !files.rr.exists() {
        return Err(EngineError::Mismatch(format!(
            "replay {}: {} does not exist; record it first (`ptest setup {}`)",
            req.name,
            files.rr.display(),
            ctx.test.as_deref().unwrap_or("TEST")
        )));
    }
    let recorded = metadata::read(&files.meta)?;
    let image_name = req.image.unwrap_or(&recorded.image);
    let (now, emu, img) = current_metadata(&recorded, &files, image_name, ctx)?;
    let diffs = metadata::differences(&recorded, &now);
    if !diffs.is_empty() {
        return Err(EngineError::Mismatch(format!(
            "replay {} does not match its recording, so QEMU would hang; refusing to start:\n  - {}\n  re-record with `ptest setup {}` (and bless again), or restore what changed",
            req.name,
            diffs.join("\n  - "),
            ctx.test.as_deref().unwrap_or("TEST")
        )));
    }
    let tmpout = ctx.test_dir("tmpout")?;
    let log_dir = ctx.test_dir("logs")?;
    for d in [&tmpout, &log_dir] {
        std::fs::create_dir_all(d).map_err(EngineError::io(d))?;
    }
    // By the recording's name, also when it was given as a path (`DIR/NAME`).
    let log = log_dir.join(format!("{}-replay.log", files.name));
    let console = match req.console {
        Some(p) => tmpout.join(p),
        None => log_dir.join(format!("{}-replay.console", files.name)),
    };
    let mut args = concrete(
        &recorded.machine,
        &Paths {
            kernel: &img.kernel,
            initrd: &files.initramfs,
            serial: &console,
            rrfile: &files.rr,
            mode: "replay",
        },
    );
    args.extend(req.engine_args.iter().cloned());
    let stall = ctx.settings.stall_timeout();
    let total = recorded.instructions;
    let bar = ctx
        .observer
        .bar(Counting::Instructions, req.name, Some(total.max(1)), 0);
    let ending = run(
        &emu.program,
        &args,
        &tmpout,
        &log,
        Watch {
            timeout: None,
            stall: Some(stall),
            monitor: Monitor::Hmp,
            command: "replay",
        },
        ctx,
        &mut |n| {
            bar.set(n.min(total));
        },
    );
    bar.finish();
    let where_ = format!(
        "QEMU log: {}, console: {}",
        log.display(),
        console.display()
    );
    let failed = |message: String| EngineError::Replay {
        name: req.name.to_string(),
        message,
    };
    match ending? {
        Ending::Stalled(n) => Err(EngineError::Stalled {
            name: req.name.to_string(),
            at: n,
            total,
            quiet: stall,
            emulator: "QEMU",
            logs: where_,
        }),
        Ending::Exited(status) if !status.success() => Err(failed(format!(
            "replay {}: QEMU failed ({status}):\n    {}\n  ({where_})",
            req.name,
            tail_indented(&log, 6)
        ))),
        // Replays run without a time limit (the stall watchdog stops them); kept for
        // completeness of `Ending`.
        Ending::TimedOut(n) => Err(failed(format!(
            "replay {} did not finish in time{}; QEMU was killed ({where_})",
            req.name,
            n.map(|n| format!(" (at instruction {n} of {total})"))
                .unwrap_or_default()
        ))),
        Ending::Exited(_) | Ending::Shutdown(_) => {
            if end_marker(&console).is_none() {
                return Err(failed(format!(
                    "replay {} ended without the end marker: the recorded command did not finish in this replay ({where_})",
                    req.name
                )));
            }
            Ok(())
        }
    }
}
