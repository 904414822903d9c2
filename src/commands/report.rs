//! `ptest report merge|html`: reports from reports. `merge` reads shards' JSON reports,
//! has [`crate::report::merge`] combine them, writes the outputs named by the global
//! `--json/--junit/--html` (each to a temp file renamed into place: a reader never sees
//! half a report) and prints the summary a single run would print, with its exit code.

use std::io::IsTerminal;
use std::path::{Path, PathBuf};

use crate::cli::{GlobalArgs, ReportCommand};
use crate::exit_code;
use crate::report::json::{ReadError, RunReport};
use crate::report::terminal::Terminal;
use crate::report::{ReportError, Reporter, html, junit, merge};
use crate::runner::Event;

use super::{CommandError, use_color};

pub fn run(g: &GlobalArgs, command: ReportCommand) -> Result<i32, CommandError> {
    match command {
        ReportCommand::Merge { inputs } => merge_reports(g, &inputs),
        ReportCommand::Html { input, output } => html_report(&input, &output),
    }
}

/// `ptest report html REPORT -o FILE`: render a JSON report (a run's or a merged one).
fn html_report(input: &Path, output: &Path) -> Result<i32, CommandError> {
    let report = RunReport::read(input).map_err(|e| CommandError::Usage(e.to_string()))?;
    html::write_html(&report, output).map_err(|source| {
        CommandError::Usage(
            ReportError {
                kind: "HTML",
                path: output.to_path_buf(),
                source,
            }
            .to_string(),
        )
    })?;
    say!(
        "ptest: wrote the HTML report {} ({} tests)",
        output.display(),
        report.tests.len()
    );
    Ok(exit_code::OK)
}

fn merge_reports(g: &GlobalArgs, inputs: &[PathBuf]) -> Result<i32, CommandError> {
    let mut reports = Vec::new();
    for path in inputs {
        let report = RunReport::read(path).map_err(|e| match e {
            ReadError::Io { .. } => CommandError::Usage(format!(
                "{e}; pass the shards' reports (`ptest test --partition hash:K/N --json FILE` writes one)"
            )),
            _ => CommandError::Usage(e.to_string()),
        })?;
        reports.push((path.clone(), report));
    }
    let merged = merge::merge(&reports).map_err(|e| CommandError::Usage(e.to_string()))?;
    let outcome = merge::to_outcome(&merged);
    let mut terminal = Terminal::new(use_color(g.color, std::io::stdout().is_terminal()), false);
    terminal.event(&Event::RunFinished { outcome: &outcome });
    // Like a run: the summary first, then any report that could not be written (exit 2).
    let mut written = true;
    // Each through the one atomic writer (`report::write_file`).
    if let Some(path) = &g.json {
        written &= written_or_said("JSON", path, merged.write(path));
    }
    if let Some(path) = &g.junit {
        written &= written_or_said("JUnit", path, junit::write_report(path, &merged));
    }
    if let Some(path) = &g.html {
        written &= written_or_said("HTML", path, html::write_html(&merged, path));
    }
    Ok(exit_code::of_run(&outcome, written))
}

/// Whether a report was written; says why not if it was not.
fn written_or_said(kind: &'static str, path: &Path, result: std::io::Result<()>) -> bool {
    match result {
        Ok(()) => true,
        Err(source) => {
            let e = ReportError {
                kind,
                path: path.to_path_buf(),
                source,
            };
            eprintln!("error: {e}");
            false
        }
    }
}
