//! What a review goes through: for each test whose last `test` run failed on a mismatch
//! and may be accepted, the files that differ from the reference now (recomputed uncut
//! from `tmpout/`, as `ptest diff` does), with the compare mode and filters that applied;
//! and the tests that cannot be reviewed, with why. It must not print or change files.

use std::path::PathBuf;

use globset::Glob;

use crate::compare::{CompareError, CompareLayer, Comparer, FileOutcome};
use crate::outcome::{self, FileRecord};
use crate::runner::RunKind;
use crate::runner::state::State;
use crate::suite::{Overrides, RegressionDir, Suite, SuiteError};

#[derive(Debug, thiserror::Error)]
pub enum PlanError {
    #[error(transparent)]
    Suite(#[from] SuiteError),
    #[error(transparent)]
    Compare(#[from] CompareError),
}

/// One differing file to decide on.
#[derive(Debug, Clone)]
pub struct FileReview {
    pub record: FileRecord,
    /// The filters that applied to it, in words (`preset timestamps`, `/0x[0-9a-f]+/`).
    pub filters: Vec<String>,
}

/// One test's differing files.
#[derive(Debug, Clone)]
pub struct TestReview {
    pub name: String,
    pub tmpout: PathBuf,
    pub files: Vec<FileReview>,
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
    let names: Vec<String> = if tests.is_empty() || tests.iter().any(|t| t == "all") {
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
        let files: Vec<FileReview> = outcome::records(&cmp.files)
            .into_iter()
            .filter(|f| f.outcome != FileOutcome::Same)
            .map(|record| FileReview {
                filters: filters_for(&def.settings.compare, &record.name),
                record,
            })
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

/// The filters of `layers` whose `files` glob takes `file`, in words. (The layers were
/// compiled already, so a bad glob cannot occur; one would be left out.)
pub fn filters_for(layers: &[CompareLayer], file: &str) -> Vec<String> {
    let mut out = Vec::new();
    for layer in layers {
        for spec in &layer.filters {
            let applies = match &spec.files {
                None => true,
                Some(glob) => Glob::new(glob).is_ok_and(|g| g.compile_matcher().is_match(file)),
            };
            if !applies {
                continue;
            }
            match (&spec.preset, &spec.regex) {
                (Some(preset), _) => out.push(format!("preset {preset}")),
                (None, Some(regex)) => out.push(format!("/{regex}/ → {:?}", spec.replace)),
                (None, None) => {}
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::compare::FilterSpec;

    #[test]
    fn filters_for_names_the_filters_whose_glob_takes_the_file() {
        let spec = |preset: Option<&str>, regex: Option<&str>, files: Option<&str>| FilterSpec {
            preset: preset.map(str::to_string),
            regex: regex.map(str::to_string),
            replace: "N".into(),
            files: files.map(str::to_string),
        };
        let layers = [
            CompareLayer {
                origin: "ptest.toml".into(),
                filters: vec![
                    spec(Some("timestamps"), None, None),
                    spec(None, Some("pid=[0-9]+"), Some("*.log")),
                ],
                compare: Default::default(),
            },
            CompareLayer {
                origin: "t/test.toml".into(),
                filters: vec![spec(None, Some("0x[0-9a-f]+"), Some("trace/**"))],
                compare: Default::default(),
            },
        ];
        assert_eq!(
            filters_for(&layers, "sub/a.log"),
            ["preset timestamps", "/pid=[0-9]+/ → \"N\""]
        );
        assert_eq!(
            filters_for(&layers, "trace/x.out"),
            ["preset timestamps", "/0x[0-9a-f]+/ → \"N\""]
        );
        assert_eq!(filters_for(&layers[1..], "a.out"), Vec::<String>::new());
    }
}
