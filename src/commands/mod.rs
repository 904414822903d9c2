//! One module per command; each turns parsed arguments into calls on the library layers
//! and returns an exit code from [`crate::exit_code`]. Commands wire layers together and
//! print what the layers return; they must not grow logic of their own (comparing,
//! promoting, rendering outcomes).

/// `println!` for command output that may go to a closed pipe (`ptest list | head`):
/// a reader that stopped reading is not worth a panic.
macro_rules! say {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let _ = writeln!(std::io::stdout().lock(), $($arg)*);
    }};
}

mod accept;
mod archive;
mod cache;
mod changed;
mod clean;
mod diff;
mod durations;
mod engine;
mod list;
mod plog;
mod repeat;
mod report;
mod review;
mod run;

use std::io::IsTerminal;
use std::path::{Path, PathBuf};

use ptest_engine::process::Cancel;

use crate::cli::{Cli, ColorChoice, Command, GlobalArgs, RunArgs, RunOptions};
use crate::exit_code;
use crate::runner::RunKind;
use crate::suite::partition::Partition;
use crate::suite::regdir::RegDirError;
use crate::suite::{Overrides, RegressionDir, Suite, SuiteError};

/// Errors that stop a command before or outside running tests: bad configuration or an
/// environment ptest cannot work in exit with [`exit_code::USAGE`]; failed or timed-out
/// replays and recordings with [`exit_code::ENGINE_FAILED`] (see [`CommandError::exit_code`]).
#[derive(Debug, thiserror::Error)]
pub enum CommandError {
    #[error(transparent)]
    Suite(#[from] SuiteError),
    #[error(transparent)]
    RegDir(#[from] RegDirError),
    #[error(transparent)]
    State(#[from] crate::runner::state::StateError),
    #[error(transparent)]
    Compare(#[from] crate::compare::CompareError),
    #[error(transparent)]
    Plog(#[from] ptest_plog::PlogError),
    #[error(transparent)]
    Engine(#[from] ptest_engine::EngineError),
    #[error("{}: {source}", path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error(transparent)]
    Edit(#[from] crate::variation::edit::EditError),
    #[error("{0}")]
    Usage(String),
    /// Ctrl-C or SIGTERM stopped the command (exit 130); the message says what was left.
    #[error("{0}")]
    Interrupted(String),
}

impl From<crate::suite::plan::PlanError> for CommandError {
    fn from(e: crate::suite::plan::PlanError) -> Self {
        match e {
            crate::suite::plan::PlanError::Suite(e) => CommandError::Suite(e),
            crate::suite::plan::PlanError::Compare(e) => CommandError::Compare(e),
        }
    }
}

impl CommandError {
    /// Its code in the one table ([`exit_code`]).
    pub fn exit_code(&self) -> i32 {
        match self {
            CommandError::Engine(e) => engine::exit_code(e),
            CommandError::Interrupted(_) => exit_code::INTERRUPTED,
            _ => exit_code::USAGE,
        }
    }

    /// The config line with a caret under what is wrong, when the error points into one.
    fn excerpt(&self) -> Option<&crate::suite::config::Excerpt> {
        match self {
            CommandError::Suite(SuiteError::Toml { excerpt, .. }) => excerpt.as_deref(),
            _ => None,
        }
    }

    pub fn io(path: &Path) -> impl FnOnce(std::io::Error) -> CommandError + '_ {
        move |source| CommandError::Io {
            path: path.to_path_buf(),
            source,
        }
    }
}

/// Runs the parsed command line; returns the process exit code.
/// `cancel` is the one cancellation of the process (`main` makes it listen to signals);
/// the runner, the engine and `review` stop through it.
pub fn run(cli: Cli, cancel: &Cancel) -> i32 {
    let color_err = use_color(cli.global.color, std::io::stderr().is_terminal());
    match dispatch(cli, cancel) {
        Ok(code) => code,
        Err(e) => {
            let prefix = if color_err {
                console::style("error:")
                    .red()
                    .bold()
                    .force_styling(true)
                    .to_string()
            } else {
                "error:".to_string()
            };
            eprintln!("{prefix} {e}");
            // The caret picture is for people: logs and scripts keep the one line.
            if color_err && let Some(excerpt) = e.excerpt() {
                eprintln!("{}", console::style(excerpt).dim().force_styling(true));
            }
            e.exit_code()
        }
    }
}

fn dispatch(cli: Cli, cancel: &Cancel) -> Result<i32, CommandError> {
    let g = &cli.global;
    let before = &cli.run;
    misplaced_run_options(before, cli.command.as_ref())?;
    match cli.command {
        None => run::scripts(
            g,
            RunKind::Test,
            &with_names(RunArgs::default(), &cli.tests, before)?,
            cancel,
        ),
        Some(Command::Test(args)) => run::scripts(
            g,
            RunKind::Test,
            &with_names(args, &cli.tests, before)?,
            cancel,
        ),
        Some(Command::Bless(args)) => run::scripts(
            g,
            RunKind::Bless,
            &with_names(args, &cli.tests, before)?,
            cancel,
        ),
        Some(Command::Setup(args)) => run::scripts(
            g,
            RunKind::Setup,
            &with_names(args, &cli.tests, before)?,
            cancel,
        ),
        Some(Command::Init { force, tests }) => {
            run::init(g, force, &join(tests, &cli.tests), cancel)
        }
        Some(Command::Accept { tests }) => accept::run(g, &join(tests, &cli.tests)),
        Some(Command::List { changed }) => list::run(g, changed),
        Some(Command::Diff { tests }) => diff::run(g, &join(tests, &cli.tests)),
        Some(Command::Clean { orphans, yes }) => clean::run(g, orphans, yes),
        Some(Command::Review { tests }) => review::run(g, &join(tests, &cli.tests), cancel),
        Some(Command::Report { command }) => report::run(g, command),
        Some(Command::Durations { command }) => durations::run(g, command),
        Some(Command::Archive(mut args)) => {
            args.partition = one_partition(args.partition, before)?;
            archive::pack(g, &args, cancel)
        }
        Some(Command::Unarchive { archive, max_size }) => archive::unpack(g, &archive, max_size),
        Some(Command::Cache { command }) => cache::run(command),
        Some(Command::Plog { command }) => plog::run(command),
        Some(Command::Engine(command)) => engine::run(g, command, cancel),
    }
}

/// `--failed`/`--partition` before a command they mean nothing to (clap accepts them
/// there, as they are options of plain `ptest`).
fn misplaced_run_options(
    before: &RunOptions,
    command: Option<&Command>,
) -> Result<(), CommandError> {
    let (failed, partition) = match command {
        None | Some(Command::Test(_) | Command::Bless(_) | Command::Setup(_)) => (true, true),
        Some(Command::Archive(_)) => (false, true),
        Some(_) => (false, false),
    };
    let test = matches!(command, None | Some(Command::Test(_)));
    let misplaced = if (before.changed || before.no_changed) && !test {
        "--changed and --no-changed choose the tests of `test` (`list --changed` shows them)"
    } else if before.failed && !failed {
        "--failed chooses the tests of `setup`, `bless` or `test`"
    } else if before.partition.is_some() && !partition {
        "--partition chooses the tests of `setup`, `bless`, `test` or `archive`"
    } else {
        return Ok(());
    };
    Err(CommandError::Usage(format!(
        "{misplaced}; it means nothing to this command: drop it"
    )))
}

/// Test names may come before the command (`ptest NAME`) or after it.
fn join(mut tests: Vec<String>, before: &[String]) -> Vec<String> {
    tests.extend(before.iter().cloned());
    tests
}

/// A run's arguments with what stood before the command added: names, `--failed`,
/// `--partition` (given once, before or after).
fn with_names(
    mut args: RunArgs,
    names: &[String],
    before: &RunOptions,
) -> Result<RunArgs, CommandError> {
    args.tests = join(std::mem::take(&mut args.tests), names);
    args.failed |= before.failed;
    args.partition = one_partition(args.partition, before)?;
    if (args.changed || before.changed) && (args.no_changed || before.no_changed) {
        return Err(CommandError::Usage(
            "--changed and --no-changed contradict each other: give one".into(),
        ));
    }
    args.changed |= before.changed;
    args.no_changed |= before.no_changed;
    Ok(args)
}

fn one_partition(
    after: Option<Partition>,
    before: &RunOptions,
) -> Result<Option<Partition>, CommandError> {
    match (after, before.partition) {
        (Some(a), Some(b)) => Err(CommandError::Usage(format!(
            "--partition given twice ({b} before the command, {a} after it): give it once"
        ))),
        (after, before) => Ok(after.or(before)),
    }
}

/// A `state.json` that a command only uses as a hint and will rewrite: say why it is
/// ignored, and go on.
fn warn_state(e: &crate::runner::state::StateError) {
    eprintln!("ptest: warning: {e}; ignoring it");
}

/// `--color`, honouring `NO_COLOR` for `auto`.
pub fn use_color(choice: ColorChoice, is_terminal: bool) -> bool {
    match choice {
        ColorChoice::Always => true,
        ColorChoice::Never => false,
        ColorChoice::Auto => {
            is_terminal && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
        }
    }
}

/// What the command line overrides in every test's settings (`--timeout`, `--python`, `--image-map`).
fn overrides(g: &GlobalArgs) -> Overrides {
    Overrides {
        timeout: g.timeout,
        python: g.python.clone(),
        env: engine::image_map_env(g),
    }
}

fn load_suite(g: &GlobalArgs) -> Result<Suite, CommandError> {
    Ok(Suite::load(g.suite.as_deref().unwrap_or(Path::new(".")))?)
}

fn regression_dir(g: &GlobalArgs) -> Result<RegressionDir, CommandError> {
    let from_env = || {
        std::env::var_os("PANDA_REGRESSION_DIR")
            .filter(|v| !v.is_empty())
            .map(PathBuf::from)
    };
    let dir = g.regression_dir.clone().or_else(from_env);
    Ok(RegressionDir::new(dir.as_deref())?)
}
