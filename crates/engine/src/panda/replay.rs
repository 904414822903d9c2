//! `ptest replay` for PANDA: run `panda-system-ARCH … -replay BASE ARGS` in the test's
//! tmpout dir, watching PANDA's progress lines; when they stop advancing for
//! `stall-timeout`, kill it and say where it stalled.

use std::io::{BufRead, BufReader, Write};
use std::process::Stdio;
use std::sync::mpsc;
use std::time::{Duration, Instant};

use super::*;
use crate::metadata;
use crate::process::Group;
use crate::qemu::ReplayRequest;

pub fn replay(ctx: &Context, req: &ReplayRequest) -> Result<i32, EngineError> {
    let (dir, stem) = match Path::new(req.name)
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
    {
        Some(d) => (
            d.to_path_buf(),
            Path::new(req.name)
                .file_name()
                .map(|f| f.to_string_lossy().into_owned())
                .unwrap_or_default(),
        ),
        None => (ctx.test_dir("replays")?, req.name.to_string()),
    };
    let base = dir.join(&stem);
    let nondet = dir.join(format!("{stem}-rr-nondet.log"));
    let total = instruction_count(&nondet)?;
    let meta = metadata::read(&dir.join(format!("{stem}.meta.json"))).ok();
    let image = req
        .image
        .map(str::to_string)
        .or(meta.as_ref().map(|m| m.image.clone()))
        .or(ctx.default_image.clone());
    let spec = match &image {
        Some(i) => crate::images::resolve(ctx, i)?,
        None => ImageSpec::default(),
    };
    let arch = req
        .arch
        .map(str::to_string)
        .or(meta.as_ref().map(|m| m.arch.clone()))
        .or(spec.arch.clone())
        .ok_or_else(|| {
            EngineError::Usage(format!("replay {stem}: unknown architecture; pass --arch"))
        })?;
    let bin = binary(&arch, std::env::var("PANDA_BUILD").ok().as_deref())?;
    let mut args = replay_args(&spec, ctx, &base);
    if let Some(m) = &meta {
        let now = metadata::Metadata {
            image: image.clone().unwrap_or_default(),
            emulator_version: bin.display().to_string(),
            machine: replay_args(&spec, ctx, Path::new("{replay}")),
            replay_sha256: crate::hash::sha256_file(&nondet)?,
            ..m.clone()
        };
        let mut diffs = metadata::differences(m, &now);
        // Another PANDA build is what regression testing is for; only the machine matters.
        diffs.retain(|d| !d.starts_with("emulator version"));
        if !diffs.is_empty() {
            return Err(EngineError::Mismatch(format!(
                "replay {stem} does not match its recording; refusing to start:\n  - {}",
                diffs.join("\n  - ")
            )));
        }
    }
    args.extend(req.engine_args.iter().cloned());
    let tmpout = ctx.test_dir("tmpout")?;
    let log_dir = ctx.test_dir("logs")?;
    for d in [&tmpout, &log_dir] {
        std::fs::create_dir_all(d).map_err(EngineError::io(d))?;
    }
    let log = log_dir.join(format!("{stem}-replay.log"));
    let mut logf = std::fs::File::create(&log).map_err(EngineError::io(&log))?;
    let _ = writeln!(
        logf,
        "$ cd {} && {} {}",
        tmpout.display(),
        bin.display(),
        args.join(" ")
    );
    let mut cmd = std::process::Command::new(&bin);
    cmd.args(&args)
        .current_dir(&tmpout)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut group = Group::spawn(&mut cmd, "PANDA")?;
    let (tx, rx) = mpsc::channel::<Option<u64>>();
    let outputs = group.take_output();
    let mut readers = Vec::new();
    for out in outputs {
        let tx = tx.clone();
        let mut logf = logf.try_clone().map_err(EngineError::io(&log))?;
        readers.push(std::thread::spawn(move || {
            for line in BufReader::new(out).split(b'\n').map_while(Result::ok) {
                let text = String::from_utf8_lossy(&line);
                let _ = writeln!(logf, "{text}");
                let _ = tx.send(parse_progress(&text));
            }
        }));
    }
    drop(tx);
    let stall = ctx.settings.stall_timeout()?;
    let outcome = watch(&mut group, &rx, stall, total);
    for r in readers {
        let _ = r.join();
    }
    match outcome {
        Watch::Stalled(at) => {
            eprintln!(
                "ptest: replay {stem} stalled at instruction {at} of {total} (no progress for {}); PANDA was killed (log: {})",
                humantime::format_duration(stall),
                log.display()
            );
            Ok(1)
        }
        Watch::Exited(status) if status.success() => Ok(0),
        Watch::Exited(status) => {
            eprintln!(
                "ptest: replay {stem}: PANDA failed ({status}):\n    {}\n  (log: {})",
                crate::qemu::tail(&log, 6),
                log.display()
            );
            Ok(1)
        }
    }
}

enum Watch {
    Exited(std::process::ExitStatus),
    Stalled(u64),
}

fn watch(
    group: &mut Group,
    rx: &mpsc::Receiver<Option<u64>>,
    stall: Duration,
    _total: u64,
) -> Watch {
    let mut at = 0;
    let mut last = Instant::now();
    loop {
        match rx.recv_timeout(Duration::from_millis(200)) {
            Ok(Some(n)) if n > at => {
                at = n;
                last = Instant::now();
            }
            Ok(_) => {}
            Err(mpsc::RecvTimeoutError::Timeout) => {}
            Err(mpsc::RecvTimeoutError::Disconnected) => {
                // Output closed: the emulator is exiting.
                if let Some(s) = group.wait_for(Duration::from_secs(10)) {
                    return Watch::Exited(s);
                }
            }
        }
        if let Some(s) = group.try_wait() {
            return Watch::Exited(s);
        }
        if last.elapsed() > stall {
            group.kill_tree();
            return Watch::Stalled(at);
        }
    }
}
