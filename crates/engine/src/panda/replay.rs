//! `ptest replay` for PANDA: run `panda-system-ARCH -replay BASE ARGS` in the test's
//! tmpout dir, as `run_test_debian` did; PANDA's stdout and stderr go into the log and to
//! the observer, which passes them through (the helper keeps stdout in `tmpfulloutfile`,
//! as the original did), and its
//! progress lines are watched: a replay that stops advancing is killed (see [`Stall`]).

use std::io::{BufRead, BufReader, Write};
use std::process::Stdio;
use std::sync::mpsc;
use std::time::{Duration, Instant};

use super::*;
use crate::observe::Stream;
use crate::process::{Group, tail_indented};
use crate::recording;
use crate::usage::EmulatorUse;

pub fn replay(ctx: &Context, req: &ReplayRequest) -> Result<(), EngineError> {
    let (dir, stem) = recording::locate(ctx, req.name)?;
    let base = dir.join(&stem);
    let nondet = recording::panda_nondet(&dir, &stem);
    if !nondet.exists() {
        return Err(missing_recording(ctx, req.name));
    }
    let total = instruction_count(&nondet)?;
    let meta = metadata::read(&recording::meta_path(&dir, &stem)).ok();
    let image = req
        .image
        .map(str::to_string)
        .or(meta.as_ref().map(|m| m.image.clone()))
        .or(ctx.default_image.clone())
        .or_else(|| stand_in::replay_image(ctx, req.arch));
    let spec = match &image {
        Some(i) => crate::catalog::resolve(ctx, i)?,
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
    let bin = binary(&arch, build_dir(ctx).as_deref())?;
    let mut args = replay_args(&spec, ctx, &base);
    if let Some(m) = &meta {
        // Another PANDA build is what regression testing is for: the version is not
        // compared (nor asked for: that would cost a process per replay).
        let now = metadata::Metadata {
            image: image.clone().unwrap_or_default(),
            machine: replay_args(&spec, ctx, Path::new("{replay}")),
            replay_sha256: crate::hash::sha256_file(&nondet)?,
            ..m.clone()
        };
        let diffs = metadata::differences(m, &now);
        if !diffs.is_empty() {
            return Err(EngineError::Mismatch(format!(
                "replay {stem} does not match its recording; refusing to start:\n  - {}\n  re-record with `ptest setup {}`",
                diffs.join("\n  - "),
                ctx.test.as_deref().unwrap_or("TEST")
            )));
        }
    }
    let mut engine_args = req.engine_args.to_vec();
    if let Some(i) = &image
        && let Some(note) = stand_in::map_os_profile(ctx, i, &spec, &mut engine_args)?
    {
        ctx.observer.note(&note);
    }
    args.extend(engine_args);
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
    let mut group = Group::spawn(&mut cmd, "PANDA", &ctx.cancel)?;
    let usage =
        EmulatorUse::start(ctx, "replay", group.id(), &bin, &args, &tmpout).replaying(&dir, &stem);
    let (tx, rx) = mpsc::channel::<Option<u64>>();
    let mut readers = Vec::new();
    // take_output gives stdout first, then stderr: the observer shows each as what it is.
    for (i, out) in group.take_output().into_iter().enumerate() {
        let tx = tx.clone();
        let mut logf = logf.try_clone().map_err(EngineError::io(&log))?;
        let observer = ctx.observer.clone();
        let stream = if i == 0 {
            Stream::Stdout
        } else {
            Stream::Stderr
        };
        readers.push(std::thread::spawn(move || {
            for line in BufReader::new(out).split(b'\n').map_while(Result::ok) {
                let _ = logf.write_all(&line);
                let _ = logf.write_all(b"\n");
                observer.output(stream, &line);
                let _ = tx.send(parse_progress(&String::from_utf8_lossy(&line)));
            }
        }));
    }
    drop(tx);
    let stall = Stall::new(ctx)?;
    let outcome = watch(&mut group, &rx, &stall, &usage);
    for r in readers {
        let _ = r.join();
    }
    usage.finish();
    match outcome {
        Watch::Stalled { at, quiet } => Err(EngineError::Stalled {
            name: stem,
            at: Some(at),
            total,
            quiet: Duration::from_secs(quiet.as_secs()),
            emulator: "PANDA",
            logs: format!("log: {}", log.display()),
        }),
        Watch::Exited(status) if status.success() => Ok(()),
        Watch::Exited(status) => Err(EngineError::Replay {
            message: format!(
                "replay {stem}: PANDA failed ({status}):\n    {}\n  (log: {})",
                tail_indented(&log, 6),
                log.display()
            ),
            name: stem,
        }),
    }
}

/// When a PANDA replay counts as stalled. PANDA reports progress in 1% steps: 1.8 s per
/// step on a plain replay, many times that with heavy plugins, and nothing at all while
/// it loads the snapshot and plugins. So: no kill for `startup` (5 × the floor) while
/// no gap between progress lines has been seen (before the first line, and between the
/// first and the second: the first step's length is not known until it ends), then
/// stalled after no progress for max(floor, `GAP_FACTOR` × the longest gap between
/// progress lines seen so far). The floor is `[engine] stall-timeout`, or 2 minutes when
/// unset.
pub struct Stall {
    floor: Duration,
    startup: Duration,
}

const GAP_FACTOR: u32 = 10;

impl Stall {
    fn new(ctx: &Context) -> Result<Stall, EngineError> {
        // PANDA's own default is longer than the engine-wide one (`stall_timeout()`).
        let floor = ctx
            .settings
            .stall_timeout
            .unwrap_or(Duration::from_secs(120));
        Ok(Stall {
            floor,
            startup: floor * 5,
        })
    }

    /// How long without progress is too long, given the longest gap so far (`None`:
    /// fewer than two progress lines yet).
    fn limit(&self, longest_gap: Option<Duration>) -> Duration {
        match longest_gap {
            None => self.startup,
            Some(g) => self.floor.max(g * GAP_FACTOR),
        }
    }
}

enum Watch {
    Exited(std::process::ExitStatus),
    Stalled { at: u64, quiet: Duration },
}

/// `usage` is sampled at the first progress line: PANDA has loaded its plugins by then.
fn watch(
    group: &mut Group,
    rx: &mpsc::Receiver<Option<u64>>,
    stall: &Stall,
    usage: &EmulatorUse,
) -> Watch {
    let mut at = 0;
    let mut last = Instant::now();
    let mut seen_first = false;
    let mut longest: Option<Duration> = None;
    loop {
        match rx.recv_timeout(Duration::from_millis(200)) {
            Ok(Some(n)) if n > at || !seen_first => {
                // The wait for the first line is start-up, not a gap.
                if seen_first {
                    longest = Some(longest.unwrap_or_default().max(last.elapsed()));
                } else {
                    usage.sample();
                }
                seen_first = true;
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
        if last.elapsed() > stall.limit(longest) {
            group.kill_tree();
            return Watch::Stalled {
                at,
                quiet: last.elapsed(),
            };
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stall_limit_grows_with_the_slowest_progress_step() {
        let s = Stall {
            floor: Duration::from_secs(120),
            startup: Duration::from_secs(600),
        };
        assert_eq!(s.limit(None), Duration::from_secs(600));
        // A plain replay: 1.8 s per 1% → the floor.
        assert_eq!(
            s.limit(Some(Duration::from_millis(1800))),
            Duration::from_secs(120)
        );
        // A heavy plugin at 40 s per 1% may stay quiet for 400 s.
        assert_eq!(
            s.limit(Some(Duration::from_secs(40))),
            Duration::from_secs(400)
        );
    }
}
