//! `ptest archive` and `ptest unarchive`: recordings travel between machines.

use std::path::Path;

use crate::cli::{ArchiveArgs, GlobalArgs};

use super::CommandError;

pub fn pack(_g: &GlobalArgs, _args: &ArchiveArgs) -> Result<i32, CommandError> {
    Err(CommandError::Usage(
        "`ptest archive` is not built yet".into(),
    ))
}

pub fn unpack(_g: &GlobalArgs, _archive: &Path) -> Result<i32, CommandError> {
    Err(CommandError::Usage(
        "`ptest unarchive` is not built yet".into(),
    ))
}
