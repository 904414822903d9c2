//! `ptest accept`: promote the last `test` run's outputs to blessed without re-running
//! (a replay takes minutes). Like `cargo insta accept`, accepting is a rename. What may be
//! accepted is checked by [`crate::bless`], the swap done by `suite::reference`, as for
//! `bless`.

use crate::cli::GlobalArgs;
use crate::exit_code;
use crate::runner::state::State;
use crate::runner::{RunKind, Status};
use crate::suite::lock::WhenHeld;
use crate::suite::{Selection, reference};

use super::{CommandError, load_suite, regression_dir};

pub fn run(g: &GlobalArgs, tests: &[String]) -> Result<i32, CommandError> {
    let suite = load_suite(g)?;
    let regdir = regression_dir(g)?;
    regdir.require_existing()?;
    let state = State::load(&regdir.state_dir())?;
    // No names: every test whose last run failed on a mismatch.
    let names: Vec<String> = if Selection::of(tests) == Selection::Every {
        suite
            .enabled()
            .filter(|e| {
                state
                    .tests
                    .get(&e.name)
                    .and_then(|t| t.last.as_ref())
                    .is_some_and(|l| {
                        l.mode == RunKind::Test && l.status == Status::Failed && !l.accepted
                    })
            })
            .map(|e| e.name.clone())
            .collect()
    } else {
        suite.select_names(tests)?
    };
    if names.is_empty() {
        say!("ptest: nothing to accept: no test failed on a mismatch in the last run");
        return Ok(exit_code::OK);
    }
    // Locked, then read again: a run of one of them may have finished since.
    let locked: Vec<&str> = names.iter().map(String::as_str).collect();
    let _locks = regdir.lock_tests(&locked, "ptest accept", WhenHeld::Refuse)?;
    reference::recover_tests(&regdir, &locked).map_err(CommandError::io(&regdir.root))?;
    let mut state = State::load(&regdir.state_dir())?;
    let mut refused = 0;
    for name in &names {
        let last = state.tests.get_mut(name).and_then(|t| t.last.as_mut());
        let why_not = crate::bless::not_acceptable(name, last.as_deref());
        if let Some(why) = why_not {
            eprintln!("ptest: not accepting {name}: {why}");
            refused += 1;
            continue;
        }
        let tmpout = regdir.tmpout(name);
        let count = match crate::bless::blessable(&tmpout) {
            Ok(0) | Err(_) if !tmpout.is_dir() => {
                eprintln!(
                    "ptest: not accepting {name}: {} is gone; re-run `ptest test {name}`",
                    tmpout.display()
                );
                refused += 1;
                continue;
            }
            Ok(0) => {
                eprintln!(
                    "ptest: not accepting {name}: its run produced no files in {}; an empty reference would replace the blessed one",
                    tmpout.display()
                );
                refused += 1;
                continue;
            }
            Ok(count) => count,
            Err(e) => {
                eprintln!("ptest: not accepting {name}: {e}");
                refused += 1;
                continue;
            }
        };
        reference::promote(&regdir, name, &tmpout)
            .map_err(CommandError::io(&regdir.blessed(name)))?;
        if let Some(l) = last {
            l.accepted = true;
        }
        say!("ptest: accepted {name}: {count} file(s) are now the blessed reference");
    }
    state
        .save(&regdir.state_dir())
        .map_err(CommandError::io(&regdir.state_dir()))?;
    Ok(if refused > 0 {
        exit_code::USAGE
    } else {
        exit_code::OK
    })
}
