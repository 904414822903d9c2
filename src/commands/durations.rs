//! `ptest durations export|import`: stored durations as a file kept with the suite, and
//! the durations `--partition duration:K/N` deals by. The file format is
//! `suite::durations`'; the stored ones are `state.json`'s. It must not run tests.
//!
//! Import never replaces a duration measured in this regression directory (a measurement
//! on this machine is newer and truer for its scheduling than one exported elsewhere); it
//! fills only what this directory has not measured, and keeps the file as is for
//! `--partition duration`.

use crate::cli::{DurationsCommand, GlobalArgs};
use crate::runner::RunKind;
use crate::runner::state::State;
use std::path::PathBuf;

use crate::suite::durations::{Durations, MODES, SUITE_FILE};
use crate::suite::{RegressionDir, Suite};

/// The last imported file, kept as is in `.ptest/`.
const IMPORTED: &str = "imported-durations.json";

use super::{CommandError, regression_dir};

pub fn run(g: &GlobalArgs, command: DurationsCommand) -> Result<i32, CommandError> {
    let regdir = regression_dir(g)?;
    match command {
        DurationsCommand::Export { file } => {
            regdir.require_existing()?;
            let state = State::load(&regdir.state_dir())?;
            let mut out = Durations::new();
            for (test, stored) in &state.tests {
                for (mode, secs) in &stored.durations {
                    if MODES.contains(&mode.as_str()) && secs.is_finite() && *secs >= 0.0 {
                        out.set(test, mode, *secs);
                    }
                }
            }
            if out.is_empty() {
                return Err(CommandError::Usage(format!(
                    "no durations stored in {} yet; run `ptest setup`, `ptest bless` or `ptest test` first",
                    regdir.root.display()
                )));
            }
            out.write(&file).map_err(usage)?;
            say!(
                "ptest: wrote {} durations of {} tests to {}",
                out.len(),
                out.tests.len(),
                file.display()
            );
        }
        DurationsCommand::Import { file } => {
            // Read first: a bad file must leave the directory as it was.
            let incoming = Durations::read(&file).map_err(usage)?;
            // A fresh machine imports before anything ran: make the directory.
            if !regdir.root.exists() {
                regdir.create_layout(&[], false)?;
            }
            regdir.require_existing()?;
            let _lock = regdir.lock()?;
            let mut state = State::load(&regdir.state_dir())?;
            let (mut added, mut kept) = (0, 0);
            for (test, modes) in &incoming.tests {
                let stored = state.tests.entry(test.clone()).or_default();
                for (mode, secs) in modes {
                    if stored.durations.contains_key(mode) {
                        kept += 1;
                    } else {
                        stored.durations.insert(mode.clone(), *secs);
                        added += 1;
                    }
                }
            }
            state
                .save(&regdir.state_dir())
                .map_err(CommandError::io(&regdir.state_dir()))?;
            // As is, for `--partition duration` (which never reads measured durations).
            incoming.write(&imported(&regdir)).map_err(usage)?;
            say!(
                "ptest: imported {added} durations from {}; kept {kept} measured in {}",
                file.display(),
                regdir.root.display()
            );
        }
    }
    Ok(crate::exit_code::OK)
}

fn usage(e: crate::suite::durations::DurationsError) -> CommandError {
    CommandError::Usage(e.to_string())
}

/// A test's duration in seconds, if known.
pub(super) type DurationOf = Box<dyn Fn(&str) -> Option<f64>>;

/// Where `ptest durations import` keeps the imported file as is, for partitions.
fn imported(regdir: &RegressionDir) -> PathBuf {
    regdir.state_dir().join(IMPORTED)
}

/// The durations `--partition duration:K/N` deals by, for `mode`. Every shard must deal
/// from the same numbers, so they come from a file that no run changes: the suite's
/// `ptest-durations.json` (the same on every machine) when it exists, else the file last
/// imported with `ptest durations import`. Never the durations runs measure: shards that
/// finish rewrite those while later shards start, and would deal differently. Tests with
/// no duration take the median of the known ones, 1 s when none is known (see
/// `partition::balance`).
pub(super) fn partition_source(
    suite: &Suite,
    regdir: &RegressionDir,
    mode: RunKind,
) -> Result<DurationOf, CommandError> {
    let committed = suite.dir.join(SUITE_FILE);
    let found = match Durations::read_if_present(&committed).map_err(usage)? {
        Some(d) => Some(d),
        None => Durations::read_if_present(&imported(regdir)).map_err(usage)?,
    };
    let Some(durations) = found else {
        eprintln!(
            "ptest: note: no durations for --partition duration (no {SUITE_FILE} in the suite, none imported); every test counts as 1 s. Keep one with `ptest durations export {}`",
            committed.display()
        );
        return Ok(Box::new(|_| None));
    };
    Ok(Box::new(move |name| durations.get(name, mode.as_str())))
}
