//! `--repeat N`: one test run N times in a row (one attempt each, no retries: a retry
//! would hide the nondeterminism this looks for), each run's outputs kept in
//! `.ptest/repeat/NAME/K`, then the runs compared with each other by `variation`.
//!
//! `bless` blesses (through the command's [`super::AfterAttempt`] step) only when all N
//! agree; `test` reports a test whose outcome or outputs varied as flaky. A run that
//! errors, times out or is interrupted ends the test with that result: a broken script is
//! an error, not nondeterminism, and nothing is blessed.

use std::path::{Path, PathBuf};
use std::time::Duration;

use super::execute;
use super::result::{Reason, RunKind, Status, TestResult};
use super::{Job, RunContext};
use crate::suite::RegressionDir;
use crate::variation;

/// Where run `k` of `test` keeps its outputs (`k` from 1), for the report and for
/// `--apply-suggestions`' re-check.
pub fn run_dir(regdir: &RegressionDir, test: &str, k: u32) -> PathBuf {
    regdir
        .state_dir()
        .join("repeat")
        .join(test)
        .join(k.to_string())
}

pub(super) fn run(
    ctx: &RunContext,
    job: &Job,
    services: &super::Services,
    count: u32,
) -> TestResult {
    let name = &job.test.name;
    let mut total = Duration::ZERO;
    let mut statuses = Vec::new();
    let mut dirs = Vec::new();
    let mut last = None;
    if let Err(e) = clear(&ctx.regdir.state_dir().join("repeat").join(name)) {
        return errored(
            ctx,
            job,
            format!("cannot clear the earlier repeat runs: {e}"),
        );
    }
    for k in 1..=count {
        if ctx.cancel.requested() {
            break;
        }
        let mut result = execute::attempt(
            ctx,
            &job.test,
            &job.comparer,
            &services.for_attempt(name, k),
        );
        execute::finish(&mut result);
        total += result.duration;
        result.duration = total;
        result.attempts = k;
        if matches!(
            result.status,
            Status::Errored | Status::TimedOut | Status::Interrupted | Status::NotRun
        ) {
            if let Some(reason) = result.reason.take() {
                result.reason = Some(Reason::InRepeatRun {
                    run: k,
                    runs: count,
                    reason: Box::new(reason),
                });
            }
            return result;
        }
        let dir = run_dir(&ctx.regdir, name, k);
        let kept = dir
            .parent()
            .map_or(Ok(()), std::fs::create_dir_all)
            .and_then(|()| std::fs::rename(ctx.regdir.tmpout(name), &dir));
        if let Err(e) = kept {
            return errored(
                ctx,
                job,
                format!("cannot keep run {k}'s outputs in {}: {e}", dir.display()),
            );
        }
        statuses.push(result.status);
        dirs.push(dir);
        last = Some(result);
    }
    let Some(mut result) = last.filter(|_| dirs.len() == count as usize) else {
        let mut r = errored(
            ctx,
            job,
            format!(
                "interrupted after {} of {count} runs; nothing blessed",
                dirs.len()
            ),
        );
        r.status = Status::Interrupted;
        return r;
    };
    let variation = match variation::analyse(&job.test.settings.compare, &dirs) {
        Ok(v) => v,
        Err(e) => return errored(ctx, job, format!("cannot compare the {count} runs: {e}")),
    };
    // `diff`, `accept`, `review` and the bless step look at tmpout/NAME: the run they see
    // is the first (bless, when all agree) or the last (test).
    let shown = match ctx.kind {
        RunKind::Bless => &dirs[0],
        _ => &dirs[dirs.len() - 1],
    };
    if let Err(e) = copy_tree(shown, &ctx.regdir.tmpout(name)) {
        return errored(
            ctx,
            job,
            format!("cannot restore the outputs of {}: {e}", shown.display()),
        );
    }
    let outcome_varied = statuses.iter().any(|s| *s != statuses[0]);
    if variation.agrees() && !outcome_varied {
        if ctx.kind == RunKind::Bless
            && let Some(step) = &ctx.after_attempt
        {
            step.after(&job.test, &job.comparer, &mut result);
        }
        if result.status == Status::Passed && ctx.kind == RunKind::Test {
            result.reason = Some(Reason::AllRunsAgree { runs: count });
        }
        return result;
    }
    let files = variation.files.len();
    match ctx.kind {
        RunKind::Bless => {
            result.status = Status::Failed;
            result.reason = Some(Reason::RunsDisagree { runs: count, files });
        }
        _ => {
            result.status = Status::Flaky;
            result.reason = Some(Reason::VariedAcrossRuns {
                runs: count,
                files,
                outcome_varied,
            });
        }
    }
    result.variation = Some(variation);
    result
}

fn errored(ctx: &RunContext, job: &Job, why: String) -> TestResult {
    let mut r = super::not_run(ctx, job.test.name.clone());
    r.status = Status::Errored;
    r.reason = Some(Reason::Error { error: why });
    r
}

fn clear(dir: &Path) -> std::io::Result<()> {
    match std::fs::remove_dir_all(dir) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(e),
        _ => Ok(()),
    }
}

/// Copy the regular files under `from` into a fresh `to` (a run's outputs are only
/// regular files and folders: anything else the comparison already reported).
fn copy_tree(from: &Path, to: &Path) -> std::io::Result<()> {
    clear(to)?;
    std::fs::create_dir_all(to)?;
    for (name, entry) in crate::tree::walk(from)? {
        if let crate::tree::Entry::File = entry {
            let dest = to.join(&name);
            if let Some(parent) = dest.parent() {
                std::fs::create_dir_all(parent)?;
            }
            std::fs::copy(from.join(&name), dest)?;
        }
    }
    Ok(())
}
