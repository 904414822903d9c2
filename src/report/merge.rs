//! `ptest report merge`: the JSON reports of a run's shards into the one report a single
//! run of the whole selection would have written. It owns the checks that the shards add
//! up — one mode, no test twice, every shard 1..N of one partition present, every selected
//! test reported once — and refuses (never guesses) when they do not. Reports without a
//! partition (runs of hand-picked tests) merge as disjoint sets. It reads nothing and
//! writes nothing: the command hands in parsed reports and writes the result.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::PathBuf;

use super::json::{RunReport, Summary};
use crate::runner::{RunKind, RunOutcome};
use crate::suite::partition::{Partition, Strategy};

/// Why reports cannot be merged; every message names the files (and test) at fault.
#[derive(Debug, thiserror::Error)]
pub enum MergeError {
    #[error(
        "{} is a `{}` run but {} is a `{}` run; merge the reports of one command",
        first.display(), first_mode.as_str(), other.display(), other_mode.as_str()
    )]
    Modes {
        first: PathBuf,
        first_mode: RunKind,
        other: PathBuf,
        other_mode: RunKind,
    },
    #[error(
        "test `{test}` is listed twice in {}; the report is damaged: write it again with `ptest test --json FILE`",
        path.display()
    )]
    Twice { test: String, path: PathBuf },
    #[error(
        "test `{test}` is in both {} and {}; shards must be disjoint: pass each shard's report once",
        first.display(), second.display()
    )]
    Overlap {
        test: String,
        first: PathBuf,
        second: PathBuf,
    },
    #[error(
        "{}: partition {value:?} is damaged ({reason}); pass reports written by `ptest test --partition … --json FILE`",
        path.display()
    )]
    BadPartition {
        path: PathBuf,
        value: String,
        reason: String,
    },
    #[error(
        "{} is shard {partition} but {} has no partition; merge the shards of one partitioned run, or only unpartitioned reports",
        with.display(), without.display()
    )]
    MixedPartitioned {
        with: PathBuf,
        partition: String,
        without: PathBuf,
    },
    #[error(
        "{} is shard {first} but {} is shard {other}; merge the shards of one partitioned run (same strategy and N)",
        first_path.display(), other_path.display()
    )]
    Partitions {
        first_path: PathBuf,
        first: Partition,
        other_path: PathBuf,
        other: Partition,
    },
    #[error(
        "{} and {} are both shard {shard}; pass each shard's report once",
        first.display(), second.display()
    )]
    DuplicateShard {
        shard: Partition,
        first: PathBuf,
        second: PathBuf,
    },
    #[error(
        "shard {missing} is missing: the reports given are shards {present} of {total}; pass every shard's report (`ptest test --partition {missing} --json FILE` writes it)"
    )]
    MissingShard {
        missing: Partition,
        present: String,
        total: usize,
    },
    #[error(
        "{} and {} were cut from different selections (test `{test}` is selected in one only); run every shard with the same suite and test names",
        first.display(), other.display()
    )]
    Selections {
        test: String,
        first: PathBuf,
        other: PathBuf,
    },
    #[error(
        "test `{test}` was selected but is in no report{}; re-run that shard with `--json` and merge again",
        shard.as_ref().map(|(p, path)| format!(" (shard {p}, {}, should have it)", path.display())).unwrap_or_default()
    )]
    MissingTest {
        test: String,
        shard: Option<(Partition, PathBuf)>,
    },
    #[error(
        "test `{test}` in {} is not in the selection its shards were cut from; merge the shards of one run",
        path.display()
    )]
    Unselected { test: String, path: PathBuf },
}

/// Merge `reports` (each with the file it came from, for messages).
pub fn merge(reports: &[(PathBuf, RunReport)]) -> Result<RunReport, MergeError> {
    let Some((first_path, first)) = reports.first() else {
        return Ok(empty(RunKind::Test));
    };
    for (path, r) in reports {
        if r.mode != first.mode {
            return Err(MergeError::Modes {
                first: first_path.clone(),
                first_mode: first.mode,
                other: path.clone(),
                other_mode: r.mode,
            });
        }
    }
    // Shards first: a report passed twice is best named as that, not as its tests.
    let order = check_partitions(reports)?;
    let mut seen: HashMap<&str, &PathBuf> = HashMap::new();
    for (path, r) in reports {
        for t in &r.tests {
            if let Some(first) = seen.insert(&t.name, path) {
                if first == path {
                    return Err(MergeError::Twice {
                        test: t.name.clone(),
                        path: path.clone(),
                    });
                }
                return Err(MergeError::Overlap {
                    test: t.name.clone(),
                    first: first.clone(),
                    second: path.clone(),
                });
            }
        }
    }
    let mut by_name: HashMap<&str, &super::json::TestReport> = HashMap::new();
    for (_, r) in reports {
        for t in &r.tests {
            by_name.insert(&t.name, t);
        }
    }
    // A whole run lists its tests in config order; so does the merge where it knows it.
    let tests = match &order {
        Some(names) => names
            .iter()
            .filter_map(|n| by_name.get(n.as_str()).map(|t| (*t).clone()))
            .collect(),
        None => reports.iter().flat_map(|(_, r)| r.tests.clone()).collect(),
    };
    let mut merged = empty(first.mode);
    merged.duration_secs = reports
        .iter()
        .map(|(_, r)| r.duration_secs)
        .fold(0.0, f64::max);
    merged.interrupted = reports.iter().any(|(_, r)| r.interrupted);
    merged.tests = tests;
    merged.summary = Summary::count(merged.tests.iter().map(|t| t.status));
    Ok(merged)
}

fn empty(mode: RunKind) -> RunReport {
    RunReport::empty(mode)
}

/// For partitioned reports: check they are shards 1..N of one partition of one selection
/// and together hold every selected test; return the selection (config order).
fn check_partitions(reports: &[(PathBuf, RunReport)]) -> Result<Option<Vec<String>>, MergeError> {
    let with = reports.iter().find(|(_, r)| r.partition.is_some());
    let without = reports.iter().find(|(_, r)| r.partition.is_none());
    let (with_path, with_report) = match (with, without) {
        (None, _) => return Ok(None),
        (Some((p, r)), Some((without, _))) => {
            return Err(MergeError::MixedPartitioned {
                with: p.clone(),
                partition: r.partition.clone().unwrap_or_default(),
                without: without.clone(),
            });
        }
        (Some(w), None) => w,
    };
    let mut shards: BTreeMap<usize, (&PathBuf, &RunReport)> = BTreeMap::new();
    let mut reference: Option<(&PathBuf, Partition)> = None;
    for (path, r) in reports {
        let value = r.partition.clone().unwrap_or_default();
        let damaged = |reason: String| MergeError::BadPartition {
            path: path.clone(),
            value: value.clone(),
            reason,
        };
        let p: Partition = value.parse().map_err(damaged)?;
        if r.selected.is_none() {
            return Err(damaged("no `selected` tests recorded with it".into()));
        }
        match reference {
            Some((first_path, first)) if (first.strategy, first.total) != (p.strategy, p.total) => {
                return Err(MergeError::Partitions {
                    first_path: first_path.clone(),
                    first,
                    other_path: path.clone(),
                    other: p,
                });
            }
            Some(_) => {}
            None => reference = Some((path, p)),
        }
        if let Some((other, _)) = shards.insert(p.index, (path, r)) {
            return Err(MergeError::DuplicateShard {
                shard: p,
                first: other.clone(),
                second: path.clone(),
            });
        }
    }
    let Some((_, any)) = reference else {
        return Ok(None);
    };
    if let Some(index) = (1..=any.total).find(|i| !shards.contains_key(i)) {
        let present: Vec<String> = shards.keys().map(|k| k.to_string()).collect();
        return Err(MergeError::MissingShard {
            missing: Partition { index, ..any },
            present: present.join(", "),
            total: any.total,
        });
    }
    // Every shard must have been cut from the same list.
    let selection = with_report.selected.clone().unwrap_or_default();
    let wanted: HashSet<&str> = selection.iter().map(String::as_str).collect();
    for (path, r) in reports {
        let theirs = r.selected.clone().unwrap_or_default();
        let theirs_set: HashSet<&str> = theirs.iter().map(String::as_str).collect();
        if let Some(test) = selection
            .iter()
            .find(|t| !theirs_set.contains(t.as_str()))
            .or_else(|| theirs.iter().find(|t| !wanted.contains(t.as_str())))
        {
            return Err(MergeError::Selections {
                test: test.clone(),
                first: with_path.clone(),
                other: path.clone(),
            });
        }
        if let Some(t) = r.tests.iter().find(|t| !wanted.contains(t.name.as_str())) {
            return Err(MergeError::Unselected {
                test: t.name.clone(),
                path: path.clone(),
            });
        }
    }
    // `--failed` shards hold only what failed before: nothing more can be expected.
    if !reports.iter().any(|(_, r)| r.only_failed) {
        let reported: HashSet<&str> = reports
            .iter()
            .flat_map(|(_, r)| r.tests.iter().map(|t| t.name.as_str()))
            .collect();
        if let Some(pos) = selection
            .iter()
            .position(|t| !reported.contains(t.as_str()))
        {
            return Err(MergeError::MissingTest {
                test: selection[pos].clone(),
                shard: owner(&selection, pos, any, &shards),
            });
        }
    }
    Ok(Some(selection))
}

/// Which shard should have run test `pos` of `selection`: known for `count` and `hash`
/// (they depend on the names alone), not for `duration` (it depended on stored times).
fn owner(
    selection: &[String],
    pos: usize,
    any: Partition,
    shards: &BTreeMap<usize, (&PathBuf, &RunReport)>,
) -> Option<(Partition, PathBuf)> {
    if any.strategy == Strategy::Duration {
        return None;
    }
    let names: Vec<&str> = selection.iter().map(String::as_str).collect();
    (1..=any.total).find_map(|index| {
        let p = Partition { index, ..any };
        p.select(&names, &|_| None)
            .contains(&pos)
            .then(|| (p, shards.get(&index).map(|(path, _)| (*path).clone())))
            .and_then(|(p, path)| path.map(|path| (p, path)))
    })
}

/// The report as the runner's outcome, so the terminal reporter prints a merge's summary
/// exactly as it prints a run's: the results are those the shards' reports hold.
pub fn to_outcome(report: &RunReport) -> RunOutcome {
    RunOutcome {
        kind: report.mode,
        elapsed: std::time::Duration::try_from_secs_f64(report.duration_secs).unwrap_or_default(),
        interrupted: report.interrupted,
        results: report.tests.iter().map(|t| t.result.clone()).collect(),
    }
}

#[cfg(test)]
mod tests;
