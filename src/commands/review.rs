//! `ptest review`: the last run's differences, decided one file at a time in the terminal,
//! as `cargo insta review` does. Thin: [`crate::review`] plans, asks and applies; this
//! wires it to the regression directory and words the outcome. Decisions apply at the end
//! (also after `q`); Ctrl-C applies none. Its tests stay locked for the
//! whole review, so no run changes `tmpout/` under it.

use std::io::IsTerminal;

use crate::cli::GlobalArgs;
use crate::exit_code;
use crate::review::{self, TestApplied, ui::Ended};
use crate::runner::state::State;
use crate::suite::{Selection, reference};
use ptest_engine::process::Cancel;

use crate::suite::lock::WhenHeld;

use super::{CommandError, load_suite, regression_dir, use_color};

pub fn run(g: &GlobalArgs, tests: &[String], cancel: &Cancel) -> Result<i32, CommandError> {
    if !std::io::stdin().is_terminal() || !std::io::stdout().is_terminal() {
        return Err(CommandError::Usage(
            "`ptest review` needs a terminal (stdin and stdout); without one, read the differences with `ptest diff TEST` and accept them with `ptest accept TEST`".into(),
        ));
    }
    let suite = load_suite(g)?;
    let regdir = regression_dir(g)?;
    regdir.require_existing()?;
    // Every test it may decide stays locked for the whole review, as `accept` locks what
    // it promotes: no run changes their `tmpout/` or `blessed/` under it.
    let names = suite.select_names(tests)?;
    let locked: Vec<&str> = names.iter().map(String::as_str).collect();
    let _locks = regdir.lock_tests(&locked, "ptest review", WhenHeld::Refuse)?;
    reference::recover_tests(&regdir, &locked).map_err(CommandError::io(&regdir.root))?;
    let mut state = State::load(&regdir.state_dir())?;
    let plan = review::plan(&suite, &regdir, &state, tests)?;
    // As `ptest accept`: a test asked for by name that cannot be accepted is an error; the
    // ones found by themselves are only listed.
    let named = Selection::of(tests) != Selection::Every;
    let refused = if plan.refused.is_empty() || !named {
        exit_code::OK
    } else {
        exit_code::USAGE
    };
    // Said last, so the review's screens do not clear it away.
    let say_refused = || {
        for (name, why) in &plan.settled {
            say!("ptest: nothing to review in {name}: {why}");
        }
        for (name, why) in &plan.refused {
            eprintln!("ptest: not reviewing {name}: {why}");
        }
    };
    if plan.tests.is_empty() {
        say_refused();
        if plan.refused.is_empty() && plan.settled.is_empty() {
            say!("ptest: nothing to review: no test failed on a mismatch in the last run");
        }
        return Ok(refused);
    }
    // While keys are read, Ctrl-C is a key (raw mode) and any other signal ends ptest at
    // once: nothing was applied yet.
    let term = console::Term::stdout();
    let color = use_color(g.color, true);
    let (session, ended) = review::ui::run(&term, color, &plan).map_err(|e| {
        CommandError::Usage(format!(
            "lost the terminal during the review ({e}); no decision was applied, every reference is as it was"
        ))
    })?;
    let _ = term.clear_screen();
    // From here a signal stops between tests (each one is swapped whole).
    cancel.install();
    if ended == Ended::Aborted {
        say_refused();
        say!("ptest: review aborted: no decision applied, every reference is as it was");
        return Ok(exit_code::INTERRUPTED);
    }
    let applied = review::apply(&regdir, &plan, &session, &mut state, cancel);
    state
        .save(&regdir.state_dir())
        .map_err(CommandError::io(&regdir.state_dir()))?;
    let mut failed = false;
    for (name, what) in &applied {
        match what {
            TestApplied::Accepted { files } => {
                say!("ptest: accepted {name}: {files} file(s) are now the blessed reference")
            }
            TestApplied::Partly { taken, left } => say!(
                "ptest: accepted {} of {name}; {left} file(s) still differ (`ptest review {name}` or `ptest accept {name}`)",
                taken.join(", ")
            ),
            TestApplied::Kept { rejected, skipped } => say!(
                "ptest: kept the reference of {name} ({rejected} rejected, {skipped} skipped); its new outputs stay in {}",
                regdir.tmpout(name).display()
            ),
            TestApplied::Interrupted => {
                failed = true;
                eprintln!("ptest: not applied to {name}: interrupted; its reference is as it was")
            }
            TestApplied::Failed(why) => {
                failed = true;
                eprintln!(
                    "ptest: could not apply the decisions on {name}: {why} (its reference is as it was)"
                )
            }
        }
    }
    say_refused();
    Ok(if failed { exit_code::USAGE } else { refused })
}
