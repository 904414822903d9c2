//! `ptest diff`: show again the differences the last run found. While the last `test`
//! run's outputs are still in `tmpout/`, the diff is recomputed uncut; otherwise the
//! (possibly cut) diff stored with the run is shown. Outcomes are worded by
//! [`crate::outcome`], as `ptest test` words them.

use std::io::IsTerminal;

use crate::cli::GlobalArgs;
use crate::compare::Comparer;
use crate::exit_code;
use crate::outcome::{self, FileRecord};
use crate::report::terminal::Terminal;
use crate::runner::RunKind;
use crate::runner::state::State;
use crate::suite::Overrides;

use super::{CommandError, load_suite, regression_dir, use_color};

pub fn run(g: &GlobalArgs, tests: &[String]) -> Result<i32, CommandError> {
    let suite = load_suite(g)?;
    let regdir = regression_dir(g)?;
    regdir.require_existing()?;
    let state = State::load(&regdir.state_dir())?;
    let names: Vec<String> = if tests.is_empty() {
        state.failed()
    } else {
        suite.select_names(tests)?
    };
    let term = Terminal::new(use_color(g.color, std::io::stdout().is_terminal()), false);
    let mut shown = 0;
    for name in &names {
        let Some(last) = state.tests.get(name).and_then(|t| t.last.as_ref()) else {
            say!("{name}: no recorded run");
            continue;
        };
        say!(
            "{name}: {} ({} run){}",
            last.status.word(),
            last.mode.as_str(),
            last.message
                .as_deref()
                .map(|m| format!(": {}", crate::human::visible(m)))
                .unwrap_or_default()
        );
        let tmpout = regdir.tmpout(name);
        let fresh = if last.mode == RunKind::Test && !last.accepted && tmpout.is_dir() {
            let entry = suite.entry(name);
            match entry {
                Some(entry) => {
                    let def = suite.test(entry, &Overrides::default())?;
                    let comparer = Comparer::new(&def.settings.compare)?
                        .with_test_name(name)
                        .with_diff_lines(usize::MAX);
                    let cmp = comparer.compare_dirs(&regdir.blessed(name), &tmpout)?;
                    Some(outcome::records(&cmp.files))
                }
                None => None,
            }
        } else {
            None
        };
        let files: Vec<FileRecord> = fresh.unwrap_or_else(|| last.files.clone());
        // The same words as `ptest test` (one renderer), uncut and without indentation.
        for f in &files {
            let text = outcome::describe(f);
            if text.is_empty() {
                continue;
            }
            shown += 1;
            for line in text.lines() {
                say!("{}", term.colour_diff_line(line));
            }
        }
    }
    if names.is_empty() {
        say!("ptest: no differences: every test passed in the last run");
    } else if shown == 0 {
        say!("ptest: no file differences recorded for these tests");
    }
    Ok(exit_code::OK)
}
