//! `ptest diff`: show again the differences the last run found. While the last `test`
//! run's outputs are still in `tmpout/`, the diff is recomputed uncut; otherwise the
//! (possibly cut) diff stored with the run is shown.

use std::io::IsTerminal;

use crate::cli::GlobalArgs;
use crate::compare::Comparer;
use crate::exit_code;
use crate::report::terminal::Terminal;
use crate::runner::Mode;
use crate::runner::state::{FileRecord, State};
use crate::suite::Overrides;

use super::{CommandError, load_suite, regression_dir, use_color};

pub fn run(g: &GlobalArgs, tests: &[String]) -> Result<i32, CommandError> {
    let suite = load_suite(g)?;
    let regdir = regression_dir(g)?;
    regdir.require_existing()?;
    let state = State::load(&regdir.state_dir()).map_err(CommandError::Usage)?;
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
                .map(|m| format!(": {m}"))
                .unwrap_or_default()
        );
        let tmpout = regdir.tmpout(name);
        let fresh = if last.mode == Mode::Test && !last.accepted && tmpout.is_dir() {
            let entry = suite.entry(name);
            match entry {
                Some(entry) => {
                    let def = suite.test(entry, &Overrides::default())?;
                    let comparer = Comparer::new(&def.settings.compare)?
                        .with_test_name(name)
                        .with_diff_lines(usize::MAX);
                    let cmp = comparer.compare_dirs(&regdir.blessed(name), &tmpout)?;
                    Some(cmp.files.iter().map(FileRecord::from_comparison).collect())
                }
                None => None,
            }
        } else {
            None
        };
        let files: Vec<FileRecord> = fresh.unwrap_or_else(|| last.files.clone());
        for f in files.iter().filter(|f| f.outcome != "same") {
            shown += 1;
            match (&f.diff, f.outcome.as_str()) {
                (Some(diff), _) => {
                    for line in diff.lines() {
                        say!("{}", term.colour_diff_line(line));
                    }
                }
                (None, "missing") => {
                    say!("{}: blessed, but the run did not produce it", f.name)
                }
                (None, "unexpected") => {
                    say!("{}: produced, but not in the blessed reference", f.name)
                }
                (None, other) => say!("{}: {other}", f.name),
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
