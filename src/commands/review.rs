//! `ptest review`: the last run's differences, decided one by one.

use crate::cli::GlobalArgs;

use super::CommandError;

pub fn run(_g: &GlobalArgs, _tests: &[String]) -> Result<i32, CommandError> {
    Err(CommandError::Usage(
        "`ptest review` is not built yet".into(),
    ))
}
