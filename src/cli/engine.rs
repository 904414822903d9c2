//! Arguments of `ptest record`, `ptest replay`, `ptest images` and `ptest replays`.
//! Parsing only: the behaviour is in `commands::engine`.

use std::path::PathBuf;

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
