//! Command-line parsing only: no behaviour lives here.

use std::path::PathBuf;
use std::time::Duration;

use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::suite::partition::Partition;

mod engine;
pub mod plog;
pub use engine::{EngineCommand, ImagesCommand};

#[derive(Debug, Parser)]
#[command(
    name = "ptest",
    version,
    long_version = crate::runner::contain::LONG_VERSION,
    about = "Regression tests for record/replay program analyses (PANDA, QEMU)",
    long_about = "Runs a ptest.py-style suite: setup scripts make recordings, test scripts replay them \
                  with analyses and write outputs, `bless` stores those as the reference and `test` \
                  re-runs and compares. With no command, runs `test` on every enabled test.",
    after_help = OPTION_PLACES,
    args_conflicts_with_subcommands = false,
    subcommand_precedence_over_arg = true
)]
pub struct Cli {
    #[command(flatten)]
    pub global: GlobalArgs,

    /// `--failed`/`--partition`/`--changed` given before the command (`ptest --failed test`); the
    /// command's own [`RunArgs`] hold them when given after it.
    #[command(flatten)]
    pub run: RunOptions,

    #[command(subcommand)]
    pub command: Option<Command>,

    /// Tests to run (with no command: `test`); `all` or nothing means every enabled test.
    #[arg(value_name = "TEST")]
    pub tests: Vec<String>,
}

#[derive(Debug, Clone, Args)]
pub struct GlobalArgs {
    /// Suite directory: holds `config.testing` (or `tests/config.testing`) [default: .]
    #[arg(long, global = true, value_name = "DIR", env = "PTEST_SUITE_DIR")]
    pub suite: Option<PathBuf>,

    /// Regression directory (qcows, replays, blessed, tmpout, misc, logs)
    /// [env: PANDA_REGRESSION_DIR]
    // Read from the environment by the commands, not by clap: an empty variable (an unset
    // CI secret) must get the "how to set it" hint, not a parse error.
    #[arg(long, global = true, value_name = "DIR")]
    pub regression_dir: Option<PathBuf>,

    /// Tests run at once (default: number of CPUs).
    #[arg(short = 'j', long, global = true, value_name = "N")]
    pub jobs: Option<usize>,

    /// Per-test timeout (script and comparison), e.g. `90s`, `20m`, `1h30m`; overrides the config.
    #[arg(long, global = true, value_name = "DURATION", value_parser = parse_duration)]
    pub timeout: Option<Duration>,

    /// Stream each script's output live instead of capturing it.
    #[arg(short, long, global = true)]
    pub verbose: bool,

    /// When to use colour.
    #[arg(long, global = true, value_enum, default_value_t = ColorChoice::Auto)]
    pub color: ColorChoice,

    /// Write a JUnit XML report here.
    #[arg(long, global = true, value_name = "FILE")]
    pub junit: Option<PathBuf>,

    /// Write a JSON report here.
    #[arg(long, global = true, value_name = "FILE")]
    pub json: Option<PathBuf>,

    /// Write a self-contained HTML report here.
    #[arg(long, global = true, value_name = "FILE")]
    pub html: Option<PathBuf>,

    /// Python interpreter for `.py` scripts (default: config, else `python3`).
    #[arg(long, global = true, value_name = "PATH")]
    pub python: Option<PathBuf>,

    /// Record on OURS wherever the suite names image ORIGINAL, and map ORIGINAL's `-os`
    /// profile to OURS's (e.g. `i386=panda-busybox-i386`); adds to `[image-map]`.
    #[arg(long, global = true, value_name = "ORIGINAL=OURS", env = IMAGE_MAP_ENV,
          value_delimiter = ',', value_parser = parse_image_map)]
    pub image_map: Vec<(String, String)>,
}

/// Where options may stand; `ptest --help` and the README say the same.
pub const OPTION_PLACES: &str = "Options may stand before or after the command \
(`ptest --partition hash:1/4 test` is `ptest test --partition hash:1/4`). Only a command's \
own options (`init --force`, `clean --orphans --yes`, `archive --output --images`, \
`report html --output`, `cache prune --keep --max-age --dry-run`, and those of `plog`, `record`, `replay`, `images`, `replays`) must \
follow it.";

/// The options of `setup`, `bless` and `test` (and plain `ptest`) when given before the
/// command. Same names and help as in [`RunArgs`], where they land when given after it.
#[derive(Debug, Clone, Default, Args)]
pub struct RunOptions {
    /// Only tests that did not pass in the last run (setup, bless, test).
    #[arg(long)]
    pub failed: bool,
    /// Run one shard of the selected tests: `count:K/N`, `hash:K/N` or `duration:K/N`
    /// (setup, bless, test, archive).
    #[arg(long, value_name = "STRATEGY:K/N")]
    pub partition: Option<Partition>,
    /// Run only tests whose inputs changed since their last pass; reuse the others'
    /// (test).
    #[arg(long, overrides_with = "no_changed")]
    pub changed: bool,
    /// Run every selected test, even with `changed = true` in ptest.toml (test).
    #[arg(long, overrides_with = "changed")]
    pub no_changed: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ColorChoice {
    Auto,
    Always,
    Never,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Create the regression directory layout, fetch images and run every setup script.
    Init {
        /// Also replace files ptest did not create (never outside the regression directory).
        #[arg(long)]
        force: bool,
        #[arg(value_name = "TEST")]
        tests: Vec<String>,
    },
    /// Run setup scripts (make recordings).
    Setup(RunArgs),
    /// Run test scripts and store their outputs as the blessed reference.
    Bless(RunArgs),
    /// Run test scripts and compare their outputs with the blessed reference.
    Test(RunArgs),
    /// Promote the outputs of the last `test` run to blessed, without re-running.
    Accept {
        #[arg(value_name = "TEST")]
        tests: Vec<String>,
    },
    /// List tests, their scripts, references and last results.
    List {
        /// Whether `ptest test --changed` would run each test, and why (the input that
        /// changed).
        #[arg(long)]
        changed: bool,
    },
    /// Show the differences found by the last run again.
    Diff {
        #[arg(value_name = "TEST")]
        tests: Vec<String>,
    },
    /// Remove things no command removes on its own.
    Clean {
        /// Blessed references of tests no longer in config.testing (listed; removed only with --yes).
        #[arg(long)]
        orphans: bool,
        /// Really remove them.
        #[arg(long, short = 'y')]
        yes: bool,
    },
    /// Review the last run's differences interactively: accept, reject or skip each.
    Review {
        #[arg(value_name = "TEST")]
        tests: Vec<String>,
    },
    /// Combine or render reports (JSON reports of shards into one; HTML).
    Report {
        #[command(subcommand)]
        command: ReportCommand,
    },
    /// Export or import stored test durations (for `--partition duration:K/N` on fresh machines).
    Durations {
        #[command(subcommand)]
        command: DurationsCommand,
    },
    /// Pack what tests need to replay elsewhere (recordings, metadata, optionally images).
    Archive(ArchiveArgs),
    /// Unpack an archive from `ptest archive` into the regression directory, verifying hashes.
    Unarchive {
        /// The archive file.
        #[arg(value_name = "ARCHIVE")]
        archive: PathBuf,
        /// The most the archive may unpack to (its members' sizes, checked before each is
        /// written), e.g. `512M`, `100G`.
        #[arg(long, value_name = "SIZE", default_value = "32G", value_parser = crate::human::parse_size)]
        max_size: u64,
    },
    /// List or prune the per-machine cache: PANDA builds, guest images' parts.
    Cache {
        #[command(subcommand)]
        command: CacheCommand,
    },
    /// Read, dump and diff pandalogs.
    Plog {
        #[command(subcommand)]
        command: plog::PlogCommand,
    },
    #[command(flatten)]
    Engine(EngineCommand),
}

#[derive(Debug, Clone, Default, Args)]
pub struct RunArgs {
    /// Only tests that did not pass in the last run.
    #[arg(long)]
    pub failed: bool,
    /// Run one shard of the selected tests: `count:K/N`, `hash:K/N` or `duration:K/N`.
    #[arg(long, value_name = "STRATEGY:K/N")]
    pub partition: Option<Partition>,
    /// Run each test N times (2 to 1000) and compare the runs: `bless` blesses only when all
    /// agree, `test` reports a test whose outputs varied as flaky; both show what varies.
    #[arg(long, value_name = "N", value_parser = repeat_count)]
    pub repeat: Option<u32>,
    /// With --repeat: write the checked suggestions into each test's test.toml, then
    /// re-check the kept runs under the new rules.
    #[arg(long, requires = "repeat")]
    pub apply_suggestions: bool,
    /// test: run only tests whose inputs changed since their last pass (the emulator,
    /// the plugins it mapped, the recording, the scripts, the reference, declared
    /// `inputs`, the settings); the others are reported as cached passes, without running.
    /// Also `changed = true` in ptest.toml.
    #[arg(long, overrides_with = "no_changed")]
    pub changed: bool,
    /// Run every selected test, even with `changed = true` in ptest.toml.
    #[arg(long, overrides_with = "changed")]
    pub no_changed: bool,
    #[arg(value_name = "TEST")]
    pub tests: Vec<String>,
}

#[derive(Debug, Subcommand)]
pub enum ReportCommand {
    /// Merge the JSON reports of several shards into one run's reports.
    Merge {
        /// The shards' JSON reports (from `--json`).
        #[arg(value_name = "REPORT", required = true)]
        inputs: Vec<PathBuf>,
    },
    /// Render a JSON report (a run's or a merged one) as one self-contained HTML file.
    Html {
        /// The JSON report.
        #[arg(value_name = "REPORT")]
        input: PathBuf,
        /// Where to write the HTML.
        #[arg(short, long, value_name = "FILE")]
        output: PathBuf,
    },
}

#[derive(Debug, Subcommand)]
pub enum CacheCommand {
    /// Each entry: kind, size, last used, key; and where the cache is.
    List,
    /// Remove entries, keeping the newest N of each kind and/or those used lately; an
    /// entry in use (its lock held) is skipped and named.
    Prune {
        /// Keep the N most recently used entries of each kind.
        #[arg(long, value_name = "N")]
        keep: Option<usize>,
        /// Keep the entries used within this long, e.g. `30d`, `12h`.
        #[arg(long, value_name = "DURATION", value_parser = parse_age)]
        max_age: Option<Duration>,
        /// Say what would be removed; remove nothing.
        #[arg(long)]
        dry_run: bool,
    },
}

#[derive(Debug, Subcommand)]
pub enum DurationsCommand {
    /// Write the stored durations to a file (to keep in the suite's repository).
    Export {
        #[arg(value_name = "FILE")]
        file: PathBuf,
    },
    /// Read durations from a file exported on another machine into the regression directory.
    Import {
        #[arg(value_name = "FILE")]
        file: PathBuf,
    },
}

#[derive(Debug, Clone, Args)]
pub struct ArchiveArgs {
    /// The archive to write.
    #[arg(short, long, value_name = "FILE")]
    pub output: PathBuf,
    /// Pack only this shard's tests.
    #[arg(long, value_name = "STRATEGY:K/N")]
    pub partition: Option<Partition>,
    /// Also pack the guest images the tests use.
    #[arg(long)]
    pub images: bool,
    #[arg(value_name = "TEST")]
    pub tests: Vec<String>,
}

/// `--image-map`'s variable: how the mapping reaches `ptest record`/`replay` run by scripts.
pub const IMAGE_MAP_ENV: &str = "PTEST_IMAGE_MAP";

fn parse_image_map(s: &str) -> Result<(String, String), String> {
    match s.split_once('=') {
        Some((from, to)) if !from.trim().is_empty() && !to.trim().is_empty() => {
            Ok((from.trim().to_string(), to.trim().to_string()))
        }
        _ => Err(format!(
            "{s:?} is not ORIGINAL=OURS (e.g. i386=panda-busybox-i386)"
        )),
    }
}

fn parse_duration(s: &str) -> Result<Duration, String> {
    match humantime::parse_duration(s) {
        // A zero timeout would kill every test the moment it starts.
        Ok(d) if d.is_zero() => Err("must be longer than zero".into()),
        Ok(d) => Ok(d),
        Err(e) => Err(format!(
            "{e} (write durations like `90s`, `20m` or `1h30m`)"
        )),
    }
}

/// Most runs `--repeat` takes: beyond, a typo (an extra zero) more likely than a plan.
pub const MAX_REPEAT: u32 = 1000;

fn repeat_count(s: &str) -> Result<u32, String> {
    match s.parse::<u32>() {
        Ok(n) if (2..=MAX_REPEAT).contains(&n) => Ok(n),
        Ok(n) if n < 2 => Err(format!(
            "{n} run(s) cannot disagree; give 2 or more (3 is a good start)"
        )),
        _ => Err(format!(
            "give a whole number of runs from 2 to {MAX_REPEAT}"
        )),
    }
}

fn parse_age(s: &str) -> Result<Duration, String> {
    humantime::parse_duration(s).map_err(|e| format!("{e} (write ages like `30d`, `12h` or `1w`)"))
}
