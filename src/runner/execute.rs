//! One attempt of one test: run its script, then compare its outputs with the reference
//! (`test`) or check that there are outputs (`bless`). It never writes references: blessing
//! is a step after the attempt ([`super::AfterAttempt`], provided by `ptest bless`).

use std::path::{Path, PathBuf};
use std::time::{Instant, SystemTime};

use crate::compare::{Cancel, CompareError, Comparer, Stopped};
use crate::record;
use crate::suite::regdir::RegDirError;
use crate::suite::{Script, ScriptError, TestDef};
use crate::tree;

use super::context::RunContext;
use super::environment::{ScriptPaths, command_line, script_env};
use super::process::{self, Exit, ScriptCommand};
use super::result::{Reason, ReplayStall, RunKind, ScriptExit, Status, TestResult};

/// Lines of the script's log kept with a failed result.
const LOG_TAIL_LINES: usize = 20;

/// What one attempt gets from the runner besides the suite.
pub(super) struct AttemptServices<'a> {
    pub notice_socket: Option<&'a Path>,
    /// Carried in the script's environment; whatever carries it dies with the attempt.
    pub contain_token: String,
}

pub(super) fn attempt(
    ctx: &RunContext,
    test: &TestDef,
    comparer: &Comparer,
    services: &AttemptServices<'_>,
) -> TestResult {
    let started = Instant::now();
    let log_dir = ctx.regdir.logs(&test.name);
    let log = log_dir.join(format!("{}.log", ctx.kind.as_str()));
    let mut result = TestResult {
        name: test.name.clone(),
        mode: ctx.kind,
        status: Status::Errored,
        duration: Default::default(),
        started: Default::default(),
        attempts: 1,
        script_ok: false,
        reason: None,
        files: Vec::new(),
        log: log.clone(),
        log_tail: Vec::new(),
        leaked: 0,
        variation: None,
        stall: None,
        inputs: None,
    };
    // What an earlier attempt's replay left is not this attempt's.
    let _ = ReplayStall::take(&log_dir);
    crate::inputs::clear_observations(&log_dir);
    let started_at = SystemTime::now();
    let stamps = crate::inputs::stamps(&ctx.regdir.root);
    let blessed = ctx.regdir.blessed(&test.name);
    let inputs_before =
        keeps_inputs(ctx).then(|| crate::inputs::static_inputs(&stamps, &ctx.exe, test, &blessed));
    let mut emulators = Vec::new();
    let outcome = match prepare(ctx, test, &log_dir) {
        Ok(Some(script)) => {
            let deadline = started.checked_add(test.settings.timeout);
            let cancel = Cancel::new(deadline, &ctx.cancel);
            let run = Attempt {
                script: &script,
                log: &log,
                services,
                cancel: &cancel,
            };
            run_and_check(ctx, test, comparer, &run, &mut result, &mut emulators)
        }
        Ok(None) => Ok((Status::Passed, Some(Reason::NothingToSetUp))),
        Err(why) => Err(why),
    };
    match outcome {
        Ok((status, reason)) => {
            result.status = status;
            result.reason = reason;
        }
        Err(why) => {
            result.status = Status::Errored;
            result.reason = Some(why.into());
        }
    }
    result.stall = ReplayStall::take(&log_dir);
    if let Some(before) = inputs_before
        && result.status == Status::Passed
    {
        let seen = crate::inputs::Observed {
            started: started_at,
            emulators,
            python_script: test
                .test
                .as_ref()
                .is_ok_and(|s| s.kind == crate::suite::ScriptKind::Python),
            helper_dir: ctx.helper_dir.clone(),
        };
        result.inputs = Some(crate::inputs::record(
            &stamps, &ctx.exe, test, &blessed, &log_dir, &seen, before,
        ));
    }
    result.duration = started.elapsed();
    result
}

/// A `test` run keeps what each passing test used, for a later `--changed` (a repeated
/// run's N runs are not one verdict).
fn keeps_inputs(ctx: &RunContext) -> bool {
    ctx.kind == RunKind::Test && ctx.repeat.is_none()
}

/// Complete an attempt's result once any step after it has run: for a broken script,
/// keep the last lines of its log. (Leaked processes are counted in the result and
/// worded with its reason.)
pub(super) fn finish(result: &mut TestResult) {
    // A mismatch is about the outputs, not the script: its log tail would be noise.
    if !result.status.is_success() && result.status != Status::Failed {
        result.log_tail = ptest_engine::process::tail(&result.log, LOG_TAIL_LINES)
            .iter()
            .map(|line| printable(line))
            .collect();
    }
}

/// A script's log line made safe to print and to put in XML: colour and cursor sequences
/// removed (they would repaint the terminal or leak into piped CI logs, `NO_COLOR` or
/// not), other control characters made visible.
fn printable(line: &str) -> String {
    crate::human::visible(&console::strip_ansi_codes(line)).into_owned()
}

/// Why an attempt errored (the script or the setup is broken, not the outputs). Each
/// message says what to do.
#[derive(Debug, thiserror::Error)]
pub enum AttemptError {
    #[error(transparent)]
    Folder(#[from] RegDirError),
    #[error(transparent)]
    Script(#[from] ScriptError),
    #[error(transparent)]
    Interpreter(#[from] super::environment::InterpreterError),
    #[error(
        "{} was {what} during the run; nothing was compared or blessed: write outputs into that folder, never replace it",
        path.display()
    )]
    OutputFolderReplaced { path: PathBuf, what: &'static str },
    #[error(
        "the test script produced no output in {}: write outputs there ($PTEST_TMPOUT_DIR, or tmpoutfile in Python)",
        path.display()
    )]
    NoOutput { path: PathBuf },
    #[error(
        "no blessed reference in {}: run `ptest bless {test}` (or `ptest accept {test}` to keep this run's output)",
        path.display()
    )]
    NoReference { path: PathBuf, test: String },
    #[error(transparent)]
    Compare(#[from] CompareError),
}

/// Create the test's folders and pick the script. `Ok(None)`: nothing to run.
fn prepare(
    ctx: &RunContext,
    test: &TestDef,
    log_dir: &Path,
) -> Result<Option<Script>, AttemptError> {
    let r = &ctx.regdir;
    for dir in [
        log_dir.to_path_buf(),
        r.replays(&test.name),
        r.misc(&test.name),
        // bless stages the new reference inside blessed/: it must exist even when the
        // directory was made by `setup` rather than `init`.
        r.root.join("blessed"),
    ] {
        r.ensure_dir(&dir, false)?;
    }
    Ok(match ctx.kind {
        RunKind::Setup => test.setup.clone()?,
        RunKind::Bless | RunKind::Test => Some(test.test.clone()?),
    })
}

/// A finished attempt's status and reason, or why it errored.
type Verdict = Result<(Status, Option<Reason>), AttemptError>;

impl From<AttemptError> for Reason {
    fn from(e: AttemptError) -> Reason {
        match e {
            AttemptError::OutputFolderReplaced { path, what } => Reason::OutputFolderReplaced {
                path,
                what: what.into(),
            },
            AttemptError::NoOutput { path } => Reason::NoOutput { path },
            AttemptError::NoReference { path, test } => Reason::NoReference { path, test },
            other => Reason::Error {
                error: other.to_string(),
            },
        }
    }
}

/// What one attempt runs and when it must stop.
struct Attempt<'a> {
    script: &'a Script,
    log: &'a Path,
    services: &'a AttemptServices<'a>,
    /// The test's deadline (its timeout covers the script and the comparison) and the
    /// interrupt flag, polled by the comparison.
    cancel: &'a Cancel,
}

fn run_and_check(
    ctx: &RunContext,
    test: &TestDef,
    comparer: &Comparer,
    run: &Attempt<'_>,
    result: &mut TestResult,
    emulators: &mut Vec<(u32, PathBuf)>,
) -> Verdict {
    let (script, log, services) = (run.script, run.log, run.services);
    let tmpout = match ctx.kind {
        RunKind::Setup => None,
        RunKind::Bless | RunKind::Test => Some(ctx.regdir.clear_tmpout(&test.name)?),
    };
    let python = match script.kind {
        crate::suite::ScriptKind::Python => Some(ctx.python(test)?),
        _ => None,
    };
    let (program, args) = command_line(script, python.as_deref());
    let paths = ScriptPaths {
        regdir: &ctx.regdir,
        suite_dir: &ctx.suite_dir,
        test: &test.name,
        test_dir: &test.dir,
        mode: ctx.kind,
        exe: &ctx.exe,
        helper_dir: &ctx.helper_dir,
        notice_socket: services.notice_socket,
    };
    let cmd = ScriptCommand {
        program,
        args,
        cwd: test.dir.clone(),
        env: script_env(&paths, &test.settings.env),
        log: log.to_path_buf(),
        timeout: test.settings.timeout,
        stream: ctx.verbose.then(|| format!("[{}] ", test.name)),
        contain: Some(services.contain_token.clone()),
        watch_emulators: keeps_inputs(ctx),
    };
    let process::Ended {
        exit,
        leaked,
        emulators: seen,
    } = process::run(&cmd, &ctx.cancel);
    *emulators = seen;
    result.leaked = leaked;
    result.script_ok = exit.success();
    let script_name = script
        .path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    match &exit {
        Exit::Code(0) => {}
        Exit::TimedOut => {
            let reason = Reason::TimedOut {
                script: script_name,
                limit: test.settings.timeout,
            };
            return Ok((Status::TimedOut, Some(reason)));
        }
        Exit::Interrupted => return Ok((Status::Interrupted, Some(Reason::Interrupted))),
        other => {
            let exit = match other {
                Exit::Code(code) => ScriptExit::Code { code: *code },
                Exit::Signal(signal) => ScriptExit::Signal { signal: *signal },
                other => ScriptExit::SpawnFailed {
                    why: other.describe(),
                },
            };
            let reason = Reason::ScriptFailed {
                script: script_name,
                exit,
            };
            return Ok((Status::Errored, Some(reason)));
        }
    }
    let Some(tmpout) = tmpout else {
        return Ok((Status::Passed, None));
    };
    still_a_folder(&tmpout)?;
    match judge_outputs(ctx, test, comparer, &tmpout, run.cancel, result) {
        Err(AttemptError::Compare(CompareError::Stopped(why))) => Ok(stopped(test, why)),
        verdict => verdict,
    }
}

/// The verdict of a comparison stopped by the test's deadline or by the user.
fn stopped(test: &TestDef, why: Stopped) -> (Status, Option<Reason>) {
    match why {
        Stopped::TimedOut => (
            Status::TimedOut,
            Some(Reason::TimedOutComparing {
                limit: test.settings.timeout,
            }),
        ),
        Stopped::Interrupted => (Status::Interrupted, Some(Reason::InterruptedComparing)),
    }
}

/// The output folder must still be the one ptest created: a script that replaced it with
/// a link would otherwise get whatever the link points at compared, and blessed as
/// `blessed/NAME` (a link to the outside). Checked after the run, when the script and
/// everything it started are gone.
fn still_a_folder(tmpout: &Path) -> Result<(), AttemptError> {
    let what = match std::fs::symlink_metadata(tmpout) {
        Ok(meta) if meta.is_dir() => return Ok(()),
        Ok(meta) if meta.file_type().is_symlink() => "replaced by a symbolic link",
        Ok(_) => "replaced by a file",
        Err(_) => "removed",
    };
    Err(AttemptError::OutputFolderReplaced {
        path: tmpout.to_path_buf(),
        what,
    })
}

/// `test`: compare the outputs with the blessed reference. `bless`: outputs exist; the
/// bless step after the attempt checks and promotes them.
fn judge_outputs(
    ctx: &RunContext,
    test: &TestDef,
    comparer: &Comparer,
    tmpout: &Path,
    cancel: &Cancel,
    result: &mut TestResult,
) -> Verdict {
    if count_files(tmpout) == 0 {
        return Err(AttemptError::NoOutput {
            path: tmpout.to_path_buf(),
        });
    }
    match ctx.kind {
        RunKind::Test => {
            let blessed = ctx.regdir.blessed(&test.name);
            if count_files(&blessed) == 0 {
                return Err(AttemptError::NoReference {
                    path: blessed,
                    test: test.name.clone(),
                });
            }
            let cmp = comparer.compare_dirs_until(&blessed, tmpout, cancel)?;
            result.files = record::records(&cmp.files);
            if cmp.all_same() {
                Ok((Status::Passed, None))
            } else {
                Ok((Status::Failed, Some(Reason::Mismatch)))
            }
        }
        RunKind::Bless | RunKind::Setup => Ok((Status::Passed, None)),
    }
}

/// Files under `dir` (links and FIFOs count: the comparison reports them); empty
/// subfolders are not output. An unreadable or missing folder has none.
fn count_files(dir: &Path) -> usize {
    tree::walk(dir).map_or(0, |entries| entries.len())
}
