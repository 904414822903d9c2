//! What a run will run, decided before anything runs, in this order: the selection (the
//! named tests, or every enabled one), the partition (a shard of the *whole* selection,
//! so every shard deals the same list), `--failed` (of this shard, those that failed
//! last time), then the locks. The runner executes the plan; the command only wires it.

use std::collections::HashSet;

use crate::compare::{CompareError, Comparer};

use super::lock::{TestLocks, WhenHeld};
use super::partition::Partition;
use super::{Overrides, RegressionDir, Suite, SuiteError, TestDef, regdir::RegDirError};

/// Test names as given on the command line: none, or `all` among them, means every
/// enabled test (the one place that rule is written).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Selection {
    Every,
    Named(Vec<String>),
}

impl Selection {
    pub fn of(names: &[String]) -> Selection {
        if names.is_empty() || names.iter().any(|n| n == "all") {
            Selection::Every
        } else {
            Selection::Named(names.to_vec())
        }
    }
}

/// One test of the plan, with its comparison rules compiled.
pub struct PlannedTest {
    pub test: TestDef,
    pub comparer: Comparer,
}

/// What a shard was cut from: recorded in its JSON report, where `report merge` checks
/// that the shards add up.
#[derive(Debug, Clone)]
pub struct ShardOf {
    pub partition: Partition,
    /// The whole selection, in order, before the partition.
    pub selected: Vec<String>,
    pub only_failed: bool,
}

/// The tests a run will run, in the selection's (`config.testing`) order.
pub struct RunPlan {
    pub tests: Vec<PlannedTest>,
    /// Set when the plan is one shard of a partition.
    pub shard: Option<ShardOf>,
}

/// Why a plan cannot be made. Each message says what to fix.
#[derive(Debug, thiserror::Error)]
pub enum PlanError {
    #[error(transparent)]
    Suite(#[from] SuiteError),
    #[error(transparent)]
    Compare(#[from] CompareError),
}

impl RunPlan {
    /// The selection: every selected test's settings read and its comparison rules
    /// compiled, so that any test's configuration error surfaces here, before the
    /// regression directory is touched.
    pub fn select(
        suite: &Suite,
        names: &[String],
        overrides: &Overrides,
    ) -> Result<RunPlan, PlanError> {
        let mut tests = Vec::new();
        for entry in suite.select(names)? {
            let test = suite.test(entry, overrides)?;
            let comparer = Comparer::new(&test.settings.compare)?.with_test_name(&test.name);
            tests.push(PlannedTest { test, comparer });
        }
        Ok(RunPlan { tests, shard: None })
    }

    pub fn names(&self) -> Vec<&str> {
        self.tests.iter().map(|t| t.test.name.as_str()).collect()
    }

    /// The partition: keeps this shard's tests, dealt from the whole selection
    /// (`duration_of` gives each test's expected seconds, for `--partition duration`).
    /// `only_failed` is recorded: `--failed` is applied after, to the shard.
    pub fn partition(
        &mut self,
        partition: &Partition,
        duration_of: &dyn Fn(&str) -> Option<f64>,
        only_failed: bool,
    ) {
        let selected: Vec<String> = self.names().into_iter().map(str::to_string).collect();
        let names: Vec<&str> = selected.iter().map(String::as_str).collect();
        let keep: HashSet<usize> = partition.select(&names, duration_of).into_iter().collect();
        let mut index = 0;
        self.tests.retain(|_| {
            index += 1;
            keep.contains(&(index - 1))
        });
        self.shard = Some(ShardOf {
            partition: *partition,
            selected,
            only_failed,
        });
    }

    /// `--failed`: keeps the tests that failed in the last run.
    pub fn only_failed(&mut self, failed: &HashSet<String>) {
        self.tests.retain(|t| failed.contains(&t.test.name));
    }

    /// The locks: each test locked for the whole run (several ptests may share the
    /// directory), as `command`; `when_held` says whether a busy test is refused or
    /// waited for.
    pub fn lock(
        &self,
        regdir: &RegressionDir,
        command: &str,
        when_held: WhenHeld<'_>,
    ) -> Result<TestLocks, RegDirError> {
        regdir.lock_tests(&self.names(), command, when_held)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_names_or_all_among_them_means_every_test() {
        assert_eq!(Selection::of(&[]), Selection::Every);
        let all = ["a".to_string(), "all".to_string()];
        assert_eq!(Selection::of(&all), Selection::Every);
        let named = ["a".to_string(), "b".to_string()];
        assert_eq!(Selection::of(&named), Selection::Named(named.to_vec()));
    }
}
