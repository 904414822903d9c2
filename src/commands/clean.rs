//! `ptest clean --orphans`: remove blessed references of tests no longer in
//! `config.testing`. Never done as a side effect of another command.

use crate::cli::GlobalArgs;
use crate::exit_code;

use super::{CommandError, load_suite, regression_dir};

pub fn run(g: &GlobalArgs, orphans: bool) -> Result<i32, CommandError> {
    if !orphans {
        return Err(CommandError::Usage(
            "say what to clean: `ptest clean --orphans` removes blessed references of tests not in config.testing".into(),
        ));
    }
    let suite = load_suite(g)?;
    let regdir = regression_dir(g)?;
    regdir.require_existing()?;
    let _lock = regdir.lock()?;
    let mut removed = 0;
    for name in regdir.blessed_tests()? {
        if suite.entries.iter().any(|e| e.name == name) {
            continue;
        }
        let path = regdir.blessed(&name);
        std::fs::remove_dir_all(&path).map_err(CommandError::io(&path))?;
        say!("ptest: removed orphaned reference {}", path.display());
        removed += 1;
    }
    if removed == 0 {
        say!("ptest: no orphaned references");
    }
    Ok(exit_code::OK)
}
