//! `ptest record` for PANDA, as `run_debian.py` + `run_guest.py` recorded: the emulator
//! runs in the caller's working directory, host files go on a CD made from
//! `./replays/BINARY/cdrom`, and the dialogue is theirs plus one exchange after
//! `end_record` that asks the guest for the command's exit status.

use std::time::Duration;

use regex::Regex;

use super::*;
use crate::dialogue::{Sockets, converse_then};
use crate::metadata::Metadata;
use crate::process::{Group, tail_indented};

pub fn record(ctx: &Context, req: &RecordRequest) -> Result<(), EngineError> {
    let (image, spec, note) = pick_image(ctx, req.image.as_deref(), req.arch.as_deref())?;
    let (image, spec, name) = (image.as_str(), &spec, req.name.as_str());
    crate::recording::check_name(name)?;
    let arch = req
        .arch
        .clone()
        .or(spec.arch.clone())
        .unwrap_or_else(|| "i386".into());
    let bin = binary(&arch, build_dir(ctx).as_deref())?;
    let prompt_src = spec.prompt.clone().ok_or_else(|| {
        EngineError::Usage(format!(
            "image {image}: no prompt regex; set prompt under [images.{image}]"
        ))
    })?;
    let prompt = Regex::new(&prompt_src).map_err(|e| {
        EngineError::Usage(format!(
            "image {image}: prompt {prompt_src:?} is not a regex: {e}"
        ))
    })?;
    let qcow = spec.local_path(&ctx.qcow_dir(), image);
    if !qcow.exists() {
        crate::images::fetch(ctx, &[image.to_string()])?;
    }
    let cwd = std::env::current_dir().map_err(EngineError::io("."))?;
    let cd = cd_copy(&cwd, &req.command, &req.copies)?;
    let replay_dir = ctx.test_dir("replays")?;
    let log_dir = ctx.test_dir("logs")?;
    for d in [&replay_dir, &log_dir] {
        std::fs::create_dir_all(d).map_err(EngineError::io(d))?;
    }
    // run_guest.py's realpath(recording_path).
    let replay_dir = std::fs::canonicalize(&replay_dir).unwrap_or(replay_dir);
    let base = replay_dir.join(name);
    let nondet = replay_dir.join(format!("{name}-rr-nondet.log"));
    let meta_path = replay_dir.join(format!("{name}.meta.json"));
    for p in [
        &meta_path,
        &nondet,
        &replay_dir.join(format!("{name}-rr-snp")),
    ] {
        let _ = std::fs::remove_file(p);
    }
    let cd_files = cd.files()?;
    if !cd_files.is_empty() {
        crate::iso::build(&cd_files, &cd.iso())?;
    }
    let sockdir = std::env::temp_dir().join(format!("ptest-panda-{}-{name}", std::process::id()));
    std::fs::create_dir_all(&sockdir).map_err(EngineError::io(&sockdir))?;
    let (mon_sock, ser_sock) = (sockdir.join("monitor"), sockdir.join("serial"));
    let snapshot = req
        .snapshot
        .clone()
        .or(spec.snapshot.clone())
        .unwrap_or_else(|| "root".into());
    let args = record_args(spec, ctx, &qcow, &snapshot, &mon_sock, &ser_sock);
    let log = log_dir.join(format!("{name}-record.log"));
    let transcript = log_dir.join(format!("{name}-record.console"));
    let _ = std::fs::remove_file(&transcript);
    let logf = std::fs::File::create(&log).map_err(EngineError::io(&log))?;
    {
        use std::io::Write;
        let mut l = &logf;
        if let Some(note) = &note {
            ctx.observer.note(note);
            let _ = writeln!(l, "ptest: {note}");
        }
        let _ = writeln!(
            l,
            "$ cd {} && {} {}",
            cwd.display(),
            bin.display(),
            args.join(" ")
        );
    }
    let errf = logf.try_clone().map_err(EngineError::io(&log))?;
    let who = format!(
        "pid {}, test {}, recording {name}",
        std::process::id(),
        ctx.test.as_deref().unwrap_or("?")
    );
    // Held until this function returns, i.e. after the emulator is gone.
    let _image_lock = lock::lock(&qcow, &who, &*ctx.observer)?;
    let mut cmd = std::process::Command::new(&bin);
    cmd.args(&args).current_dir(&cwd).stdout(logf).stderr(errf);
    let mut group = Group::spawn(&mut cmd, "PANDA", &ctx.cancel)?;
    let usage = crate::usage::EmulatorUse::start(ctx, "record", group.id(), &bin, &args, &cwd);
    let cdrom = spec.cdrom.clone().unwrap_or_else(|| "ide1-cd0".into());
    let iso = cd.iso();
    let steps = record_steps(
        (!cd_files.is_empty()).then_some((cdrom.as_str(), iso.as_path())),
        &cd.dir,
        &list2cmdline(&cd.words),
        &base,
        ctx.settings.record_timeout(),
    );
    let mut guest_exit = None;
    let result = converse_then(
        &mut group,
        &Sockets {
            monitor: &mon_sock,
            serial: &ser_sock,
            transcript: &transcript,
        },
        &prompt,
        ctx.settings.prompt_timeout(),
        &steps,
        &mut |console| {
            console.sendline(EXIT_QUERY)?;
            guest_exit = parse_exit(&console.expect(&prompt, Duration::from_secs(30))?);
            Ok(())
        },
    );
    // On error, or if `quit` did not stop it in time: the whole process tree goes.
    if result.is_err() || group.wait_for(Duration::from_secs(10)).is_none() {
        group.kill_tree();
    }
    let _ = std::fs::remove_dir_all(&sockdir);
    usage.finish();
    result.map_err(|e| {
        EngineError::Emulator(format!(
            "{e}\n  PANDA's last output:\n    {}\n  (PANDA log: {}, console: {})",
            tail_indented(&log, 8),
            log.display(),
            transcript.display()
        ))
    })?;
    let instructions = instruction_count(&nondet).map_err(|_| {
        EngineError::Emulator(format!(
            "PANDA wrote no {} (PANDA log: {}, console: {})",
            nondet.display(),
            log.display(),
            transcript.display()
        ))
    })?;
    let guest_exit = guest_exit.ok_or_else(|| {
        EngineError::Emulator(format!(
            "recording {name}: the guest did not report the command's exit status (console: {})",
            transcript.display()
        ))
    })?;
    let image_files = kernel_files(spec, ctx);
    let meta = Metadata {
        format: metadata::FORMAT,
        engine: Engine::Panda.name().into(),
        image: image.to_string(),
        arch,
        emulator_version: version(ctx, &bin),
        machine: replay_args(spec, ctx, Path::new("{replay}")),
        command: req.command.clone(),
        copied: cd_files.iter().map(|p| p.display().to_string()).collect(),
        kernel_sha256: image_files.0,
        initramfs_sha256: image_files.1,
        replay_sha256: crate::hash::sha256_file(&nondet)?,
        replay_size: std::fs::metadata(&nondet).map(|m| m.len()).unwrap_or(0),
        instructions,
        guest_exit,
    };
    metadata::write(&meta_path, &meta)?;
    if guest_exit != 0 {
        return Err(EngineError::Emulator(format!(
            "recording {name}: the guest command `{}` exited with status {guest_exit}; the recording is kept in {} (console: {})",
            list2cmdline(&cd.words),
            replay_dir.display(),
            transcript.display()
        )));
    }
    ctx.observer.note(&format!(
        "recorded {} ({instructions} instructions)",
        base.display()
    ));
    Ok(())
}

/// SHA-256 of the image's `-kernel` and `-initrd` files, when it boots them; a qcow-only
/// image (PANDA's run_debian images) has its kernel inside the qcow, and these stay
/// empty (the qcow's snapshot is what a replay starts from, and it lives in `-rr-snp`).
fn kernel_files(spec: &ImageSpec, ctx: &Context) -> (String, String) {
    let args = extra_args(spec, &ctx.qcow_dir());
    let hash_of = |flag: &str| {
        args.iter()
            .position(|a| a == flag)
            .and_then(|i| args.get(i + 1))
            .and_then(|p| crate::hash::sha256_file(Path::new(p)).ok())
            .unwrap_or_default()
    };
    (hash_of("-kernel"), hash_of("-initrd"))
}
