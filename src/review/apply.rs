//! Applying a review's decisions, test by test: every differing file accepted is what
//! `ptest accept` does (the whole output folder swapped in, the run marked accepted); some
//! accepted is [`reference::promote_files`] (only those files, swapped in whole). Either is
//! one atomic exchange per test. It must not print: it returns what happened per test.

use ptest_engine::process::Cancel;

use crate::runner::state::State;
use crate::suite::{RegressionDir, reference};

use super::plan::Plan;
use super::session::{Choice, Session};

/// What became of one test's differences.
#[derive(Debug)]
pub enum TestApplied {
    /// Every differing file accepted: the whole new output is the reference (`files`:
    /// how many it has).
    Accepted { files: usize },
    /// Only these files were taken; `left` still differ.
    Partly { taken: Vec<String>, left: usize },
    /// Nothing accepted: the reference is as it was.
    Kept { rejected: usize, skipped: usize },
    /// Not applied: a signal came first (the reference is as it was).
    Interrupted,
    /// The swap failed; the old reference is intact.
    Failed(String),
}

/// Apply `session`'s decisions on `plan` and mark fully accepted runs in `state` (the
/// caller saves it). Stops taking tests once a signal asked to stop.
pub fn apply(
    regdir: &RegressionDir,
    plan: &Plan,
    session: &Session,
    state: &mut State,
    cancel: &Cancel,
) -> Vec<(String, TestApplied)> {
    let mut out = Vec::new();
    for (test, choices) in plan.tests.iter().zip(&session.choices) {
        let count = |c: Choice| choices.iter().filter(|&&x| x == c).count();
        let taken: Vec<&str> = test
            .files
            .iter()
            .zip(choices)
            .filter(|(_, c)| **c == Choice::Accepted)
            .map(|(f, _)| f.name.as_str())
            .collect();
        let applied = if taken.is_empty() {
            TestApplied::Kept {
                rejected: count(Choice::Rejected),
                skipped: count(Choice::Skipped) + count(Choice::Pending),
            }
        } else if cancel.requested() {
            TestApplied::Interrupted
        } else if taken.len() == test.files.len() {
            let files = crate::bless::blessable(&test.tmpout).unwrap_or(0);
            match reference::promote(regdir, &test.name, &test.tmpout) {
                Ok(()) => {
                    if let Some(last) = state
                        .tests
                        .get_mut(&test.name)
                        .and_then(|t| t.last.as_mut())
                    {
                        last.accepted = true;
                    }
                    TestApplied::Accepted { files }
                }
                Err(e) => TestApplied::Failed(e.to_string()),
            }
        } else {
            match reference::promote_files(regdir, &test.name, &test.tmpout, &taken) {
                Ok(()) => TestApplied::Partly {
                    taken: taken.iter().map(|s| s.to_string()).collect(),
                    left: test.files.len() - taken.len(),
                },
                Err(e) => TestApplied::Failed(e.to_string()),
            }
        };
        out.push((test.name.clone(), applied));
    }
    out
}
