//! `ptest record` for PANDA.

use std::path::PathBuf;
use std::time::Duration;

use regex::Regex;

use super::*;
use crate::expect::{Session, run_steps};
use crate::metadata::{self, Metadata};
use crate::process::Group;

#[allow(clippy::too_many_arguments)]
pub fn record(
    ctx: &Context,
    image: &str,
    spec: &ImageSpec,
    arch: Option<&str>,
    name: &str,
    copies: &[PathBuf],
    command: &[String],
) -> Result<i32, EngineError> {
    crate::qemu::check_name(name)?;
    if command.is_empty() {
        return Err(EngineError::Usage(
            "nothing to record: give the guest command after `--`".into(),
        ));
    }
    let arch = arch
        .map(str::to_string)
        .or(spec.arch.clone())
        .unwrap_or_else(|| "i386".into());
    let bin = binary(&arch, std::env::var("PANDA_BUILD").ok().as_deref())?;
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
    let qcow = spec.local_path(ctx, image);
    if !qcow.exists() {
        crate::images::fetch(ctx, &[image.to_string()])?;
    }
    let replay_dir = ctx.test_dir("replays")?;
    let log_dir = ctx.test_dir("logs")?;
    for d in [&replay_dir, &log_dir] {
        std::fs::create_dir_all(d).map_err(EngineError::io(d))?;
    }
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
    let iso = replay_dir.join(format!("{name}.iso"));
    if !copies.is_empty() {
        crate::iso::build(copies, &iso)?;
    }
    let sockdir = std::env::temp_dir().join(format!("ptest-panda-{}-{name}", std::process::id()));
    std::fs::create_dir_all(&sockdir).map_err(EngineError::io(&sockdir))?;
    let (mon_sock, ser_sock) = (sockdir.join("monitor"), sockdir.join("serial"));
    let args = record_args(spec, ctx, &qcow, &mon_sock, &ser_sock);
    let log = log_dir.join(format!("{name}-record.log"));
    let transcript = log_dir.join(format!("{name}-record.console"));
    let _ = std::fs::remove_file(&transcript);
    let logf = std::fs::File::create(&log).map_err(EngineError::io(&log))?;
    {
        use std::io::Write;
        let mut l = &logf;
        let _ = writeln!(l, "$ {} {}", bin.display(), args.join(" "));
    }
    let errf = logf.try_clone().map_err(EngineError::io(&log))?;
    let mut cmd = std::process::Command::new(&bin);
    cmd.args(&args)
        .current_dir(&replay_dir)
        .stdout(logf)
        .stderr(errf);
    let mut group = Group::spawn(&mut cmd, "PANDA")?;
    let words: Vec<String> = command
        .iter()
        .map(|w| crate::qemu::shell_quote(w))
        .collect();
    let cdrom = spec.cdrom.clone().unwrap_or_else(|| "ide1-cd0".into());
    let steps = record_steps(
        (!copies.is_empty()).then_some((cdrom.as_str(), iso.as_path())),
        &words.join(" "),
        &base,
        ctx.settings.record_timeout()?,
    );
    let result = converse(
        &mut group,
        &mon_sock,
        &ser_sock,
        &transcript,
        &prompt,
        ctx.settings.prompt_timeout()?,
        &steps,
    );
    // On error, or if `quit` did not stop it in time: the whole process tree goes.
    if result.is_err() || group.wait_for(Duration::from_secs(10)).is_none() {
        group.kill_tree();
    }
    let _ = std::fs::remove_dir_all(&sockdir);
    result.map_err(|e| EngineError::Emulator(format!("{e} (PANDA log: {})", log.display())))?;
    let instructions = instruction_count(&nondet).map_err(|_| {
        EngineError::Emulator(format!(
            "PANDA wrote no {} (PANDA log: {}, console: {})",
            nondet.display(),
            log.display(),
            transcript.display()
        ))
    })?;
    let meta = Metadata {
        format: metadata::FORMAT,
        engine: "panda".into(),
        image: image.to_string(),
        arch,
        emulator_version: bin.display().to_string(),
        machine: replay_args(spec, ctx, Path::new("{replay}")),
        command: command.to_vec(),
        copied: copies.iter().map(|p| p.display().to_string()).collect(),
        kernel_sha256: String::new(),
        initramfs_sha256: String::new(),
        replay_sha256: crate::hash::sha256_file(&nondet)?,
        replay_size: std::fs::metadata(&nondet).map(|m| m.len()).unwrap_or(0),
        instructions,
        guest_exit: 0,
    };
    metadata::write(&meta_path, &meta)?;
    eprintln!(
        "ptest: recorded {} ({instructions} instructions)",
        base.display()
    );
    Ok(0)
}

/// Waits for the monitor and the guest's prompt, then runs `steps` and quits.
pub fn converse(
    group: &mut Group,
    mon_sock: &Path,
    ser_sock: &Path,
    transcript: &Path,
    prompt: &Regex,
    prompt_timeout: Duration,
    steps: &[crate::expect::Step],
) -> Result<(), EngineError> {
    let monitor_prompt = Regex::new(r"\(qemu\)").map_err(|e| EngineError::Usage(e.to_string()))?;
    let mut alive = || group.try_wait().is_none();
    let limit = Duration::from_secs(30);
    let mut monitor = Session::connect("monitor", mon_sock, transcript, limit, &mut alive)?;
    let mut console = Session::connect("console", ser_sock, transcript, limit, &mut alive)?;
    monitor.expect(&monitor_prompt, Duration::from_secs(30))?;
    console.sendline("")?;
    console
        .expect(prompt, prompt_timeout)
        .map_err(|e| EngineError::Emulator(format!("the guest never showed its prompt: {e}")))?;
    run_steps(&mut monitor, &mut console, &monitor_prompt, prompt, steps)?;
    monitor.sendline("quit")?;
    // Closing our end at once could let the emulator see the hang-up before the command.
    monitor.wait_closed(Duration::from_secs(10));
    Ok(())
}
