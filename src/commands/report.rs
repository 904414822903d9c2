//! `ptest report merge|html`: reports from reports.

use crate::cli::{GlobalArgs, ReportCommand};

use super::CommandError;

pub fn run(_g: &GlobalArgs, _command: ReportCommand) -> Result<i32, CommandError> {
    Err(CommandError::Usage(
        "`ptest report` is not built yet".into(),
    ))
}
