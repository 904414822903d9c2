//! `ptest durations export|import`: stored durations as a file kept with the suite, and
//! the durations `--partition duration:K/N` deals by. The file format is
//! `suite::durations`'; the stored ones are `state.json`'s. It must not run tests.
//!
//! Import never replaces a duration measured in this regression directory: a measurement
//! on this machine is newer and truer for it than one exported elsewhere. It fills only
//! what this directory has not measured.

use crate::cli::{DurationsCommand, GlobalArgs};
use crate::runner::RunKind;
use crate::runner::state::State;
use crate::suite::Suite;
use crate::suite::durations::{Durations, MODES, SUITE_FILE};

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

/// The durations `--partition duration:K/N` deals by, for `mode`. Every shard must deal
/// from the same numbers, so the suite's `ptest-durations.json` (the same file on every
/// machine) wins when it exists; otherwise the regression directory's stored durations
/// (measured, or imported with `ptest durations import`). Tests with neither take the
/// median of the known ones (see `partition::balance`).
pub(super) fn partition_source(
    suite: &Suite,
    state: &State,
    mode: RunKind,
) -> Result<Box<dyn Fn(&str) -> Option<f64>>, CommandError> {
    let path = suite.dir.join(SUITE_FILE);
    if let Some(committed) = Durations::read_if_present(&path).map_err(usage)? {
        return Ok(Box::new(move |name| committed.get(name, mode.as_str())));
    }
    let stored: std::collections::HashMap<String, f64> = state
        .tests
        .keys()
        .filter_map(|name| Some((name.clone(), state.expected(name, mode)?.as_secs_f64())))
        .collect();
    Ok(Box::new(move |name| stored.get(name).copied()))
}
