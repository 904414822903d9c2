//! `ptest diff`: show again the differences the last run found, rendered from the
//! differences stored with the run. Only when the `diff-lines` budget cut one of them
//! and the last `test` run's outputs are still in `tmpout/` is the comparison run again,
//! uncut. Outcomes are worded by [`crate::record`], as `ptest test` words them.

use std::io::IsTerminal;

use crate::cli::GlobalArgs;
use crate::compare::Comparer;
use crate::exit_code;
use crate::record::{self, FileRecord};
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
            last.message()
                .map(|m| format!(": {}", crate::human::visible(&m)))
                .unwrap_or_default()
        );
        let tmpout = regdir.tmpout(name);
        let cut = last.files.iter().any(record::truncated);
        let fresh = if cut && last.mode == RunKind::Test && !last.accepted && tmpout.is_dir() {
            let entry = suite.entry(name);
            match entry {
                Some(entry) => {
                    let def = suite.test(entry, &Overrides::default())?;
                    let comparer = Comparer::new(&def.settings.compare)?
                        .with_test_name(name)
                        .with_diff_lines(usize::MAX);
                    let cmp = comparer.compare_dirs(&regdir.blessed(name), &tmpout)?;
                    Some(record::records(&cmp.files))
                }
                None => None,
            }
        } else {
            None
        };
        let files: Vec<FileRecord> = fresh.unwrap_or_else(|| last.files.clone());
        // The same words as `ptest test` (one renderer), uncut and without indentation.
        for f in &files {
            let text = record::describe(f);
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
