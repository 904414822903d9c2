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
        /// Host file to copy into the guest. Also, as in PANDA's run_debian.py, a word of
        /// the command that is an existing host file is copied in and `guest:PATH` names a
        /// guest file. QEMU: the command runs in `/ptest`, holding the copies. PANDA: the
        /// copies go to `./replays/BINARY/cdrom`, mounted at that same path in the guest.
        #[arg(long = "copy", value_name = "HOSTFILE")]
        copies: Vec<PathBuf>,
        /// Guest architecture: picks `panda-system-ARCH` and, unless the configured image is
        /// of that arch, the arch's image as run_debian.py chose it. A QEMU image has its own.
        #[arg(long)]
        arch: Option<String>,
        /// The snapshot to boot from (PANDA; default the image's, else `root`).
        #[arg(long)]
        snapshot: Option<String>,
        /// The command's words, after `--`. PANDA: typed as Python's list2cmdline joins
        /// them. QEMU: joined and split again as a shell would (quotes group words).
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
            snapshot,
            command,
        } => {
            if let Some(q) = image.clone().or(ctx.default_image.clone())
                && images::resolve(ctx, &q)?.engine.as_deref() == Some("qemu")
            {
                let (mut copies, command) = qemu_command(copies, &command)?;
                copies.dedup();
                return qemu::record(ctx, &q, &name, &copies, &command);
            }
            let (image, spec, note) =
                crate::panda::pick_image(ctx, image.as_deref(), arch.as_deref())?;
            crate::panda::record(
                ctx,
                &crate::panda::RecordRequest {
                    image: &image,
                    spec: &spec,
                    note: note.as_deref(),
                    arch: arch.as_deref(),
                    snapshot: snapshot.as_deref(),
                    name: &name,
                    copies: &copies,
                    command: &command,
                },
            )
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
            if crate::panda::is_panda_replay(ctx, &name) || !is_qemu_replay(ctx, &req)? {
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

/// Whether a replay that is not a PANDA recording is QEMU's: its `NAME.rr` exists, or
/// the image it would use is a QEMU one. Otherwise the missing recording is PANDA's.
fn is_qemu_replay(ctx: &Context, req: &qemu::ReplayRequest) -> Result<bool, EngineError> {
    if ctx
        .test_dir("replays")
        .is_ok_and(|d| d.join(format!("{}.rr", req.name)).exists())
    {
        return Ok(true);
    }
    Ok(
        match req.image.map(str::to_string).or(ctx.default_image.clone()) {
            Some(i) => images::resolve(ctx, &i)?.engine.as_deref() == Some("qemu"),
            None => false,
        },
    )
}

/// The QEMU engine's command from `ptest record`'s words: rejoined and split as a shell
/// would (so `sh -c 'a; b'` stays one argument, as `shlex.split` made it before), then
/// `guest:PATH` → `PATH` and an existing host file → copied in, named `./BASENAME`.
fn qemu_command(
    mut copies: Vec<PathBuf>,
    words: &[String],
) -> Result<(Vec<PathBuf>, Vec<String>), EngineError> {
    let mut out = Vec::new();
    for w in shell_words(&words.join(" "))? {
        if let Some(g) = w.strip_prefix("guest:") {
            out.push(g.to_string());
        } else if std::path::Path::new(&w).is_file() {
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

/// POSIX shell word splitting (quotes and backslashes; no expansions), as `shlex.split`.
fn shell_words(s: &str) -> Result<Vec<String>, EngineError> {
    let mut words = Vec::new();
    let mut cur: Option<String> = None;
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        match c {
            ' ' | '\t' | '\n' => words.extend(cur.take()),
            '\'' => {
                let w = cur.get_or_insert_with(String::new);
                loop {
                    match chars.next() {
                        Some('\'') => break,
                        Some(x) => w.push(x),
                        None => return Err(unclosed(s)),
                    }
                }
            }
            '"' => {
                let w = cur.get_or_insert_with(String::new);
                loop {
                    match chars.next() {
                        Some('"') => break,
                        Some('\\') => match chars.next() {
                            Some(x @ ('"' | '\\' | '$' | '`')) => w.push(x),
                            Some(x) => {
                                w.push('\\');
                                w.push(x);
                            }
                            None => return Err(unclosed(s)),
                        },
                        Some(x) => w.push(x),
                        None => return Err(unclosed(s)),
                    }
                }
            }
            '\\' => {
                let w = cur.get_or_insert_with(String::new);
                w.extend(chars.next());
            }
            _ => cur.get_or_insert_with(String::new).push(c),
        }
    }
    words.extend(cur);
    Ok(words)
}

fn unclosed(s: &str) -> EngineError {
    EngineError::Usage(format!(
        "guest command {s:?}: unclosed quote; close it or quote the whole argument"
    ))
}

fn pick_image(ctx: &Context, image: Option<String>) -> Result<String, EngineError> {
    image.or_else(|| ctx.default_image.clone()).ok_or_else(|| {
        EngineError::Usage(
            "no image: pass --image NAME, or set image = \"NAME\" in ptest.toml or the test's test.toml".into(),
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shell_words_split_as_shlex() {
        let w = shell_words("guest:/bin/busybox sh -c 'echo one; echo two | wc -c; true'").unwrap();
        assert_eq!(
            w,
            [
                "guest:/bin/busybox",
                "sh",
                "-c",
                "echo one; echo two | wc -c; true"
            ]
        );
        assert_eq!(
            shell_words(r#"a "b \"c\" d" e\ f ''"#).unwrap(),
            ["a", "b \"c\" d", "e f", ""]
        );
        assert!(shell_words("a 'b").is_err());
    }
}
