//! The upstream QEMU driver: deterministic record/replay (`-icount shift=N,rr=…`) of a
//! kernel plus a per-recording busybox initramfs (`crate::busybox`) whose `/init` runs
//! the command between two marker lines (`crate::marker`) and powers off. Implements
//! `crate::driver::Driver`; everything engine-neutral lives in the shared modules.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use crate::debian::ImageFiles;
use crate::driver::{Driver, Emulator, Recording};
use crate::engines::Engine;
use crate::metadata::{self, Metadata};
use crate::recording::ReplayFiles;
use crate::request::{RecordRequest, ReplayRequest};
use crate::spec::ImageSpec;
use crate::{Context, EngineError, catalog, stamp};

mod image;
mod machine;
mod record;
mod replay;
mod run;

pub use image::ensure_image;
pub use machine::{DEFAULT_MEMORY, DEFAULT_SHIFT, Paths, concrete, machine_line};

/// The QEMU engine's driver.
pub struct Qemu;

impl Driver for Qemu {
    fn record(&self, ctx: &Context, req: &RecordRequest) -> Result<(), EngineError> {
        let image = req
            .image
            .clone()
            .or(ctx.default_image.clone())
            .ok_or_else(|| {
                EngineError::Usage(
                    "no image: pass --image NAME, or set image = \"NAME\" in ptest.toml or the test's test.toml".into(),
                )
            })?;
        let (mut copies, command) = command_words(req.copies.clone(), &req.command)?;
        copies.dedup();
        record::record(ctx, &image, &req.name, &copies, &command)
    }

    fn replay(&self, ctx: &Context, req: &ReplayRequest) -> Result<(), EngineError> {
        replay::replay(ctx, req)
    }

    fn probe(&self, ctx: &Context, arch: &str) -> Result<Emulator, EngineError> {
        emulator(ctx, arch)
    }

    fn recording(&self, ctx: &Context, dir: &Path, test: &str, file: &str) -> Option<Recording> {
        let name = file.strip_suffix(".rr")?;
        let files = ReplayFiles::new(dir, name);
        let size = std::fs::metadata(&files.rr).map(|m| m.len()).unwrap_or(0);
        let (instructions, status) = match metadata::read(&files.meta) {
            Err(_) => (None, "no metadata: re-record it".to_string()),
            Ok(m) => {
                let status = match current_metadata(&m, &files, &m.image, ctx) {
                    Err(e) => format!("cannot check: {e}"),
                    Ok((now, _, _)) => {
                        let d = metadata::differences(&m, &now);
                        if d.is_empty() {
                            "matches".to_string()
                        } else {
                            format!("DIFFERS: {}", d.join("; "))
                        }
                    }
                };
                (Some(m.instructions), status)
            }
        };
        Some(Recording {
            test: test.into(),
            name: name.into(),
            engine: Engine::Qemu,
            size,
            instructions,
            status,
        })
    }
}

/// The QEMU binary and its version line. The version is asked once per binary file (a
/// start of QEMU costs 50–200 ms): remembered while the file that `bin` resolves to is
/// unchanged (`stamp`).
pub fn emulator(ctx: &Context, arch: &str) -> Result<Emulator, EngineError> {
    let bin = ctx
        .settings
        .qemu
        .clone()
        .unwrap_or_else(|| format!("qemu-system-{arch}"));
    let version = match stamp::which(&bin).and_then(|p| std::fs::canonicalize(p).ok()) {
        Some(file) => stamp::remembered(ctx, &file, "qemu-version", |_| ask_version(ctx, &bin))?,
        None => ask_version(ctx, &bin)?,
    };
    Ok(Emulator {
        program: bin,
        version,
    })
}

/// `bin --version`'s first line, checked to be QEMU's.
fn ask_version(ctx: &Context, bin: &str) -> Result<String, EngineError> {
    let bin = bin.to_string();
    let mut cmd = Command::new(&bin);
    cmd.arg("--version").stderr(Stdio::piped());
    let out = crate::usage::probe(ctx, &mut cmd).map_err(|e| EngineError::EmulatorNotFound {
            program: bin.clone(),
            message: match e.kind() {
                std::io::ErrorKind::NotFound => format!(
                    "QEMU binary `{bin}` not found; install it (apt-get install --no-install-recommends qemu-system-x86) or set [engine] qemu = \"/path/to/qemu\""
                ),
                std::io::ErrorKind::PermissionDenied => {
                    format!("QEMU binary `{bin}` is not executable; chmod +x it or check [engine] qemu")
                }
                _ => format!("cannot run QEMU binary `{bin}`: {e}; check [engine] qemu"),
            },
        })?;
    let version = String::from_utf8_lossy(&out.stdout)
        .lines()
        .next()
        .unwrap_or("")
        .trim()
        .to_string();
    if !out.status.success() || !version.contains("QEMU") {
        return Err(EngineError::EmulatorNotFound {
            program: bin.clone(),
            message: format!(
                "`{bin} --version` did not answer like QEMU ({}); check [engine] qemu",
                out.status
            ),
        });
    }
    Ok(version)
}

/// The built QEMU image `name` (built now if missing).
pub fn image(ctx: &Context, name: &str) -> Result<(ImageSpec, ImageFiles), EngineError> {
    let spec = catalog::resolve(ctx, name)?;
    if spec.engine() != Engine::Qemu {
        return Err(EngineError::Usage(format!(
            "image {name} is for engine {}, not upstream QEMU",
            spec.engine()
        )));
    }
    let files = ensure_image(ctx, name, &spec)?;
    Ok((spec, files))
}

/// Guest memory (MiB) and icount shift: the `[engine]` settings over the image's own.
pub fn machine_settings(ctx: &Context, spec: &ImageSpec) -> (u32, u32) {
    let memory = ctx
        .settings
        .memory
        .or(spec.memory_mib())
        .unwrap_or(DEFAULT_MEMORY);
    (memory, ctx.settings.shift.unwrap_or(DEFAULT_SHIFT))
}

/// The metadata a replay would have now: image and emulator as they are, replay files
/// hashed. Also the emulator and the image's files, for the replay to use.
pub fn current_metadata(
    recorded: &Metadata,
    files: &ReplayFiles,
    image_name: &str,
    ctx: &Context,
) -> Result<(Metadata, Emulator, ImageFiles), EngineError> {
    let (spec, img) = image(ctx, image_name)?;
    let emu = emulator(ctx, &recorded.arch)?;
    let (memory, shift) = machine_settings(ctx, &spec);
    for p in [&files.rr, &files.initramfs] {
        if !p.exists() {
            return Err(EngineError::Mismatch(format!(
                "{}: missing; re-record with `ptest setup`",
                p.display()
            )));
        }
    }
    let now = Metadata {
        image: image_name.to_string(),
        emulator_version: emu.version.clone(),
        machine: machine_line(memory, shift),
        kernel_sha256: stamp::sha256(ctx, &img.kernel)?,
        initramfs_sha256: stamp::sha256(ctx, &files.initramfs)?,
        replay_sha256: stamp::sha256(ctx, &files.rr)?,
        replay_size: std::fs::metadata(&files.rr).map(|m| m.len()).unwrap_or(0),
        ..recorded.clone()
    };
    Ok((now, emu, img))
}

/// The QEMU engine's command from `ptest record`'s words: rejoined and split as a shell
/// would (so `sh -c 'a; b'` stays one argument, as `shlex.split` made it before), then
/// `guest:PATH` → `PATH` and an existing host file → copied in, named `./BASENAME`.
fn command_words(
    mut copies: Vec<PathBuf>,
    words: &[String],
) -> Result<(Vec<PathBuf>, Vec<String>), EngineError> {
    let mut out = Vec::new();
    for w in crate::quote::shell_words(&words.join(" "))? {
        if let Some(g) = w.strip_prefix("guest:") {
            out.push(g.to_string());
        } else if Path::new(&w).is_file() {
            let abs = std::path::absolute(&w).map_err(EngineError::io(&w))?;
            let base = abs
                .file_name()
                .map(|b| b.to_string_lossy().into_owned())
                .unwrap_or_default();
            copies.push(abs);
            out.push(format!("./{base}"));
        } else {
            out.push(w);
        }
    }
    Ok((copies, out))
}

#[cfg(test)]
mod tests;
