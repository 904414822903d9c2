//! `ptest diff`: show again the differences the last run found.

use std::io::IsTerminal;

use crate::cli::GlobalArgs;
use crate::exit_code;
use crate::report::terminal::Terminal;
use crate::runner::state::State;

use super::{CommandError, load_suite, regression_dir, use_color};

pub fn run(g: &GlobalArgs, tests: &[String]) -> Result<i32, CommandError> {
    let suite = load_suite(g)?;
    let regdir = regression_dir(g)?;
    regdir.require_existing()?;
    let state = State::load(&regdir.state_dir());
    let names: Vec<String> = if tests.is_empty() {
        state.failed()
    } else {
        suite
            .select(tests)?
            .iter()
            .map(|e| e.name.clone())
            .collect()
    };
    let term = Terminal::new(use_color(g.color, std::io::stdout().is_terminal()), false);
    let mut shown = 0;
    for name in &names {
        let Some(last) = state.tests.get(name).and_then(|t| t.last.as_ref()) else {
            println!("{name}: no recorded run");
            continue;
        };
        let diffs: Vec<_> = last.files.iter().filter(|f| f.outcome != "same").collect();
        println!(
            "{name}: {} ({} run){}",
            last.status.word(),
            last.mode.as_str(),
            last.message
                .as_deref()
                .map(|m| format!(": {m}"))
                .unwrap_or_default()
        );
        for f in diffs {
            shown += 1;
            match (&f.diff, f.outcome.as_str()) {
                (Some(diff), _) => {
                    for line in diff.lines() {
                        println!("{}", term.colour_diff_line(line));
                    }
                }
                (None, "missing") => {
                    println!("{}: blessed, but the run did not produce it", f.name)
                }
                (None, "unexpected") => {
                    println!("{}: produced, but not in the blessed reference", f.name)
                }
                (None, other) => println!("{}: {other}", f.name),
            }
        }
    }
    if names.is_empty() {
        println!("ptest: no differences: every test passed in the last run");
    } else if shown == 0 {
        println!("ptest: no file differences recorded for these tests");
    }
    Ok(exit_code::OK)
}
