//! One attempt of one test: run its script, then check or bless its outputs.

use std::path::Path;
use std::time::Instant;

use crate::compare::{Comparer, FileComparison, FileOutcome};
use crate::suite::{Script, TestDef, reference};

use super::RunContext;
use super::environment::{ScriptPaths, command_line, script_env};
use super::process::{self, Exit, ScriptCommand};
use super::result::{Mode, Status, TestResult};

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
    let log = log_dir.join(format!("{}.log", ctx.mode.as_str()));
    let mut result = TestResult {
        name: test.name.clone(),
        mode: ctx.mode,
        status: Status::Errored,
        duration: Default::default(),
        attempts: 1,
        script_ok: false,
        message: None,
        files: Vec::new(),
        log: log.clone(),
        log_tail: Vec::new(),
        leaked: 0,
    };
    let outcome = match prepare(ctx, test, &log_dir) {
        Ok(Some(script)) => {
            run_and_check(ctx, test, comparer, &script, &log, services, &mut result)
        }
        Ok(None) => Ok((
            Status::Passed,
            Some("no setup script: nothing to set up".into()),
        )),
        Err(why) => Err(why),
    };
    match outcome {
        Ok((status, message)) => {
            result.status = status;
            result.message = message;
        }
        Err(why) => {
            result.status = Status::Errored;
            result.message = Some(why);
        }
    }
    if result.leaked > 0 {
        let note = format!(
            "leaked {} process(es) that outlived the script (killed when it ended)",
            result.leaked
        );
        result.message = Some(match result.message.take() {
            Some(m) => format!("{m}; {note}"),
            None => note,
        });
    }
    // A mismatch is about the outputs, not the script: its log tail would be noise.
    if !result.status.is_success() && result.status != Status::Failed {
        result.log_tail = ptest_engine::process::tail(&log, LOG_TAIL_LINES)
            .iter()
            .map(|line| printable(line))
            .collect();
    }
    result.duration = started.elapsed();
    result
}

/// A script's log line made safe to print and to put in XML: colour and cursor sequences
/// removed (they would repaint the terminal or leak into piped CI logs, `NO_COLOR` or
/// not), other control characters shown as `^X`.
fn printable(line: &str) -> String {
    let mut out = String::with_capacity(line.len());
    for c in console::strip_ansi_codes(line).chars() {
        match c {
            '\t' => out.push(c),
            // C0 controls in caret notation (ESC → ^[), as `cat -v` shows them.
            c if (c as u32) < 0x20 => {
                out.push('^');
                out.push(char::from(b'@' + c as u8));
            }
            '\u{7f}' => out.push_str("^?"),
            c if c.is_control() => out.push('\u{fffd}'),
            c => out.push(c),
        }
    }
    out
}

/// Create the test's folders and pick the script. `Ok(None)`: nothing to run.
fn prepare(ctx: &RunContext, test: &TestDef, log_dir: &Path) -> Result<Option<Script>, String> {
    let r = &ctx.regdir;
    for dir in [
        log_dir.to_path_buf(),
        r.replays(&test.name),
        r.misc(&test.name),
        // bless stages the new reference inside blessed/: it must exist even when the
        // directory was made by `setup` rather than `init`.
        r.root.join("blessed"),
    ] {
        r.ensure_dir(&dir, false).map_err(|e| e.to_string())?;
    }
    match ctx.mode {
        Mode::Setup => test.setup.clone(),
        Mode::Bless | Mode::Test => test.test.clone().map(Some),
    }
}

type Verdict = Result<(Status, Option<String>), String>;

fn run_and_check(
    ctx: &RunContext,
    test: &TestDef,
    comparer: &Comparer,
    script: &Script,
    log: &Path,
    services: &AttemptServices<'_>,
    result: &mut TestResult,
) -> Verdict {
    let tmpout = match ctx.mode {
        Mode::Setup => None,
        Mode::Bless | Mode::Test => Some(
            ctx.regdir
                .clear_tmpout(&test.name)
                .map_err(|e| e.to_string())?,
        ),
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
        mode: ctx.mode,
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
    };
    let process::Ended { exit, leaked } = process::run(&cmd);
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
            let t = humantime::format_duration(test.settings.timeout);
            return Ok((
                Status::TimedOut,
                Some(format!(
                    "{script_name} timed out after {t}; its process group was killed (raise `timeout` in test.toml or pass --timeout)"
                )),
            ));
        }
        Exit::Interrupted => return Ok((Status::Interrupted, Some("interrupted".into()))),
        other => return Err(format!("{script_name} {}", other.describe())),
    }
    let Some(tmpout) = tmpout else {
        return Ok((Status::Passed, None));
    };
    still_a_folder(&tmpout)?;
    check_outputs(ctx, test, comparer, &tmpout, result)
}

/// The output folder must still be the one ptest created: a script that replaced it with
/// a link would otherwise get whatever the link points at compared, and blessed as
/// `blessed/NAME` (a link to the outside). Checked after the run, when the script and
/// everything it started are gone.
fn still_a_folder(tmpout: &Path) -> Result<(), String> {
    let what = match std::fs::symlink_metadata(tmpout) {
        Ok(meta) if meta.is_dir() => return Ok(()),
        Ok(meta) if meta.file_type().is_symlink() => "replaced by a symbolic link",
        Ok(_) => "replaced by a file",
        Err(_) => "removed",
    };
    Err(format!(
        "{} was {what} during the run; nothing was compared or blessed: write outputs into that folder, never replace it",
        tmpout.display()
    ))
}

fn check_outputs(
    ctx: &RunContext,
    test: &TestDef,
    comparer: &Comparer,
    tmpout: &Path,
    result: &mut TestResult,
) -> Verdict {
    let produced = count_files(tmpout);
    if produced == 0 {
        return Err(format!(
            "the test script produced no output in {}: write outputs there ($PTEST_TMPOUT_DIR, or tmpoutfile in Python)",
            tmpout.display()
        ));
    }
    let blessed = ctx.regdir.blessed(&test.name);
    let has_reference = count_files(&blessed) > 0;
    match ctx.mode {
        Mode::Test if !has_reference => Err(format!(
            "no blessed reference in {}: run `ptest bless {}` (or `ptest accept {}` to keep this run's output)",
            blessed.display(),
            test.name,
            test.name
        )),
        Mode::Test => {
            let cmp = comparer
                .compare_dirs(&blessed, tmpout)
                .map_err(|e| e.to_string())?;
            let ok = cmp.all_same();
            result.files = cmp.files;
            if ok {
                Ok((Status::Passed, None))
            } else {
                Ok((Status::Failed, Some(summarise(&result.files))))
            }
        }
        Mode::Bless => {
            // Refuse to bless what could not be compared later (links, FIFOs …).
            let count =
                reference::check_outputs(tmpout).map_err(|e| format!("not blessed: {e}"))?;
            let changes = if has_reference {
                let cmp = comparer
                    .compare_dirs(&blessed, tmpout)
                    .map_err(|e| e.to_string())?;
                Some(cmp)
            } else {
                None
            };
            if super::interrupt::requested() {
                return Ok((
                    Status::Interrupted,
                    Some("interrupted before blessing".into()),
                ));
            }
            reference::promote(&ctx.regdir, &test.name, tmpout).map_err(|e| {
                format!(
                    "could not store the blessed reference in {}: {e} (the old reference is intact)",
                    blessed.display()
                )
            })?;
            let message = match &changes {
                None => format!("blessed {count} new file(s)"),
                Some(cmp) if cmp.all_same() => {
                    format!("blessed {count} file(s), unchanged from the old reference")
                }
                Some(cmp) => format!(
                    "blessed {count} file(s); vs the old reference: {}",
                    summarise(&cmp.files)
                ),
            };
            result.files = changes.map(|c| c.files).unwrap_or_default();
            Ok((Status::Passed, Some(message)))
        }
        Mode::Setup => Ok((Status::Passed, None)),
    }
}

/// "2 files differ, 1 missing, 1 unexpected" (bless: relative to the old reference).
pub fn summarise(files: &[FileComparison]) -> String {
    let count = |pred: fn(&FileOutcome) -> bool| files.iter().filter(|f| pred(&f.outcome)).count();
    let parts = [
        (
            count(|o| matches!(o, FileOutcome::Differs { .. })),
            "differ",
        ),
        (
            count(|o| matches!(o, FileOutcome::Missing)),
            "missing (blessed, not produced)",
        ),
        (
            count(|o| matches!(o, FileOutcome::Unexpected)),
            "not blessed (new)",
        ),
        (
            count(|o| matches!(o, FileOutcome::Invalid { .. })),
            "invalid",
        ),
    ];
    let text: Vec<String> = parts
        .iter()
        .filter(|(n, _)| *n > 0)
        .map(|(n, what)| format!("{n} file(s) {what}"))
        .collect();
    if text.is_empty() {
        "all files match".into()
    } else {
        text.join(", ")
    }
}

/// Entries under `dir` that are not folders (links and FIFOs count: the comparison
/// reports them), so that empty subfolders are not taken for output.
fn count_files(dir: &Path) -> usize {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return 0;
    };
    entries
        .flatten()
        .map(|e| match e.file_type() {
            Ok(t) if t.is_dir() => count_files(&e.path()),
            _ => 1,
        })
        .sum()
}
