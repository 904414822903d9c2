//! `ptest durations export|import`: stored durations as a file kept with the suite.

use crate::cli::{DurationsCommand, GlobalArgs};

use super::CommandError;

pub fn run(_g: &GlobalArgs, _command: DurationsCommand) -> Result<i32, CommandError> {
    Err(CommandError::Usage(
        "`ptest durations` is not built yet".into(),
    ))
}
