//! What a review goes through: for each test whose last `test` run failed on a mismatch
//! and may be accepted, the files that differ from the reference now (recomputed uncut
//! from `tmpout/`, as `ptest diff` does), with the compare mode and filters that applied;
//! and the tests that cannot be reviewed, with why. It must not print or change files.

use std::path::PathBuf;

use crate::compare::{Comparer, FileVerdict};
use crate::record::{self, FileRecord};
use crate::runner::RunKind;
use crate::runner::state::State;
use crate::suite::{Overrides, RegressionDir, Selection, Suite};

/// Why a review cannot be planned: the same as why a run cannot be.
pub use crate::suite::plan::PlanError;

/// One test's differing files.
#[derive(Debug, Clone)]
pub struct TestReview {
    pub name: String,
    pub tmpout: PathBuf,
    /// Its differing files, each with the mode and filters its comparison used.
    pub files: Vec<FileRecord>,
}

#[derive(Debug, Default)]
pub struct Plan {
    pub tests: Vec<TestReview>,
    /// Tests that cannot be reviewed, and why (worded for "not reviewing NAME: …").
    pub refused: Vec<(String, String)>,
    /// Tests with nothing to decide, and why (worded for "nothing to review in NAME: …").
    pub settled: Vec<(String, String)>,
}

impl Plan {
    /// Files to decide on, over all tests.
    pub fn file_count(&self) -> usize {
        self.tests.iter().map(|t| t.files.len()).sum()
    }
}

/// The review of `tests` (none, or `all`: every test whose last `test` run failed and
/// was not accepted), in suite order.
pub fn plan(
    suite: &Suite,
    regdir: &RegressionDir,
    state: &State,
    tests: &[String],
) -> Result<Plan, PlanError> {
    let last = |name: &str| state.tests.get(name).and_then(|t| t.last.as_ref());
    let names: Vec<String> = if Selection::of(tests) == Selection::Every {
        suite
            .enabled()
            .filter(|e| {
                last(&e.name).is_some_and(|l| {
                    l.mode == RunKind::Test && !l.status.is_success() && !l.accepted
                })
            })
            .map(|e| e.name.clone())
            .collect()
    } else {
        suite.select_names(tests)?
    };
    let mut plan = Plan::default();
    for name in names {
        if let Some(l) = last(&name).filter(|l| l.mode == RunKind::Test && l.status.is_success()) {
            let why = match l.status {
                crate::runner::Status::Flaky => "it passed on a retry in the last run",
                _ => "it passed in the last run",
            };
            let why = why.to_string();
            plan.settled.push((name, why));
            continue;
        }
        if let Some(why) = crate::bless::not_acceptable(&name, last(&name)) {
            plan.refused.push((name, why));
            continue;
        }
        let tmpout = regdir.tmpout(&name);
        match crate::bless::blessable(&tmpout) {
            _ if !tmpout.is_dir() => {
                let why = format!("{} is gone; re-run `ptest test {name}`", tmpout.display());
                plan.refused.push((name, why));
                continue;
            }
            Ok(0) => {
                let why = format!(
                    "its run produced no files in {}; an empty reference would replace the blessed one",
                    tmpout.display()
                );
                plan.refused.push((name, why));
                continue;
            }
            Err(e) => {
                plan.refused.push((name, e.to_string()));
                continue;
            }
            Ok(_) => {}
        }
        let Some(entry) = suite.entry(&name) else {
            continue;
        };
        let def = suite.test(entry, &Overrides::default())?;
        let comparer = Comparer::new(&def.settings.compare)?
            .with_test_name(&name)
            .with_diff_lines(usize::MAX);
        let cmp = comparer.compare_dirs(&regdir.blessed(&name), &tmpout)?;
        let files: Vec<FileRecord> = record::records(&cmp.files)
            .into_iter()
            .filter(|f| f.verdict != FileVerdict::Same)
            .collect();
        if files.is_empty() {
            let why = format!(
                "its outputs now match the blessed reference; re-run `ptest test {name}` to record that"
            );
            plan.settled.push((name, why));
            continue;
        }
        plan.tests.push(TestReview {
            name,
            tmpout,
            files,
        });
    }
    Ok(plan)
}
