//! `ptest replay` for upstream QEMU.

use super::*;

/// What `ptest replay` was asked.
pub struct ReplayRequest<'a> {
    pub name: &'a str,
    pub arch: Option<&'a str>,
    pub image: Option<&'a str>,
    /// Where the guest's console goes (relative: in the tmpout dir); default the log dir.
    pub console: Option<&'a Path>,
    pub engine_args: &'a [String],
}

/// Replays `replays/TEST/NAME` with `engine_args`, in `tmpout/TEST/`; returns the exit code.
pub fn replay(ctx: &Context, req: &ReplayRequest) -> Result<i32, EngineError> {
    let files = replay_files(ctx, req.name)?;
    if !files.rr.exists() {
        return Err(EngineError::Mismatch(format!(
            "replay {}: {} does not exist; record it first (`ptest setup {}`)",
            req.name,
            files.rr.display(),
            ctx.test.as_deref().unwrap_or("TEST")
        )));
    }
    let recorded = read_metadata(&files)?;
    let image_name = req.image.unwrap_or(&recorded.image);
    let (now, bin, img) = current_metadata(&recorded, &files, image_name, ctx)?;
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
    let stall = ctx.settings.stall_timeout()?;
    let total = recorded.instructions;
    let bar = ctx.interactive.then(|| {
        let bar = indicatif::ProgressBar::new(total.max(1));
        bar.set_style(
            indicatif::ProgressStyle::with_template(
                "replay {msg} [{bar:30}] {percent}% {pos}/{len} instr, ETA {eta}",
            )
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
        );
        bar.set_message(req.name.to_string());
        bar
    });
    let ending = run(&bin, &args, &tmpout, &log, None, Some(stall), &mut |n| {
        if let Some(b) = &bar {
            b.set_position(n.min(total));
        }
    });
    if let Some(b) = &bar {
        b.finish_and_clear();
    }
    let where_ = format!(
        "QEMU log: {}, console: {}",
        log.display(),
        console.display()
    );
    match ending? {
        Ending::Stalled(n) => Err(EngineError::Replay(format!(
            "replay {} stalled {} (no progress for {}); QEMU was killed ({where_})",
            req.name,
            match n {
                Some(n) => format!("at instruction {n} of {total}"),
                None =>
                    "before this QEMU reported any position (it answers no query-replay)".into(),
            },
            humantime::format_duration(stall)
        ))),
        Ending::Exited(status) if !status.success() => Err(EngineError::Replay(format!(
            "replay {}: QEMU failed ({status}):\n    {}\n  ({where_})",
            req.name,
            tail(&log, 6)
        ))),
        Ending::TimedOut(n) => Err(EngineError::Replay(format!(
            "replay {} did not finish in time{}; QEMU was killed ({where_})",
            req.name,
            n.map(|n| format!(" (at instruction {n} of {total})"))
                .unwrap_or_default()
        ))),
        Ending::Exited(_) | Ending::Shutdown(_) => {
            if end_marker(&console).is_none() {
                return Err(EngineError::Replay(format!(
                    "replay {} ended without the end marker: the recorded command did not finish in this replay ({where_})",
                    req.name
                )));
            }
            Ok(0)
        }
    }
}
