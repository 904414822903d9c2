//! `ptest report merge|html`: reports from reports.

use std::path::Path;

use crate::cli::{GlobalArgs, ReportCommand};
use crate::report::{ReportError, html, json::RunReport};

use super::CommandError;

pub fn run(_g: &GlobalArgs, command: ReportCommand) -> Result<i32, CommandError> {
    match command {
        ReportCommand::Html { input, output } => html_report(&input, &output),
        ReportCommand::Merge { .. } => Err(CommandError::Usage(
            "`ptest report merge` is not built yet".into(),
        )),
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
    Ok(crate::exit_code::OK)
}
