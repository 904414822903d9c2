//! `ptest record`, `ptest replay`, `ptest images`, `ptest replays`.

use std::path::PathBuf;

use crate::{Context, EngineError, images, qemu};

#[derive(Debug, clap::Subcommand)]
pub enum EngineCommand {
    /// Record a guest command into the current test's replay folder.
    Record {
        /// Image to record on (default: the test's or suite's `image`).
        #[arg(long)]
        image: Option<String>,
        /// Name of the recording (files replays/TEST/NAME.*).
        #[arg(long)]
        name: String,
        /// Host file to copy into the guest; the command runs in the folder holding the copies
        /// (`/ptest` with QEMU, the CD mounted at `/mnt/ptest` with PANDA).
        #[arg(long = "copy", value_name = "HOSTFILE")]
        copies: Vec<PathBuf>,
        /// Guest architecture (picks PANDA's `panda-system-ARCH`; a QEMU image has its own).
        #[arg(long)]
        arch: Option<String>,
        /// The command to run in the guest, after `--`.
        #[arg(last = true, required = true)]
        command: Vec<String>,
    },
    /// Replay a recording of the current test, with analysis arguments for the emulator.
    Replay {
        /// Name of the recording in the test's replay folder, or a path `DIR/NAME`.
        name: String,
        /// Guest architecture (PANDA recordings).
        #[arg(long)]
        arch: Option<String>,
        /// Replay on this image instead of the recorded one.
        #[arg(long)]
        image: Option<String>,
        /// Write the guest's console here (relative to the test's tmpout dir).
        #[arg(long, value_name = "FILE")]
        console: Option<PathBuf>,
        /// Extra emulator arguments, after `--` (e.g. `-d in_asm -D trace.txt`).
        #[arg(last = true)]
        engine_args: Vec<String>,
    },
    /// Guest images: list, fetch.
    Images {
        #[command(subcommand)]
        command: Option<ImagesCommand>,
    },
    /// List the recordings the suite holds.
    Replays {
        /// Only this test's recordings.
        test: Option<String>,
    },
}

#[derive(Debug, clap::Subcommand)]
pub enum ImagesCommand {
    /// The images ptest knows (built-in and the suite's).
    List,
    /// Download/build and verify images into qcows/ (default: the suite's default image).
    Fetch { names: Vec<String> },
}

/// Runs one engine subcommand; returns the process exit code.
pub fn run(cmd: EngineCommand, ctx: &Context) -> Result<i32, EngineError> {
    match cmd {
        EngineCommand::Record {
            image,
            name,
            copies,
            arch,
            command,
        } => {
            let image = pick_image(ctx, image)?;
            let spec = images::resolve(ctx, &image)?;
            match spec.engine.as_deref() {
                Some("qemu") => qemu::record(ctx, &image, &name, &copies, &command),
                _ => crate::panda::record(
                    ctx,
                    &image,
                    &spec,
                    arch.as_deref(),
                    &name,
                    &copies,
                    &command,
                ),
            }
        }
        EngineCommand::Replay {
            name,
            arch,
            image,
            console,
            engine_args,
        } => {
            let req = qemu::ReplayRequest {
                name: &name,
                arch: arch.as_deref(),
                image: image.as_deref(),
                console: console.as_deref(),
                engine_args: &engine_args,
            };
            if crate::panda::is_panda_replay(ctx, &name) {
                crate::panda::replay(ctx, &req)
            } else {
                qemu::replay(ctx, &req)
            }
        }
        EngineCommand::Images { command } => match command {
            None | Some(ImagesCommand::List) => {
                crate::catalog::print(ctx);
                Ok(0)
            }
            Some(ImagesCommand::Fetch { names }) => {
                let names = if names.is_empty() {
                    vec![pick_image(ctx, None)?]
                } else {
                    names
                };
                images::fetch(ctx, &names)?;
                Ok(0)
            }
        },
        EngineCommand::Replays { test } => crate::replays::list(ctx, test.as_deref()),
    }
}

fn pick_image(ctx: &Context, image: Option<String>) -> Result<String, EngineError> {
    image.or_else(|| ctx.default_image.clone()).ok_or_else(|| {
        EngineError::Usage(
            "no image: pass --image NAME, or set image = \"NAME\" in ptest.toml or the test's test.toml".into(),
        )
    })
}
