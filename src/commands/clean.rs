//! `ptest clean --orphans`: remove blessed references of tests no longer in
//! `config.testing`. Never done as a side effect of another command, and never without
//! `--yes`: a reference is the one thing ptest cannot recreate.

use crate::cli::GlobalArgs;
use crate::exit_code;
use crate::suite::lock::WhenHeld;

use super::{CommandError, load_suite, regression_dir};

pub fn run(g: &GlobalArgs, orphans: bool, yes: bool) -> Result<i32, CommandError> {
    if !orphans {
        return Err(CommandError::Usage(
            "say what to clean: `ptest clean --orphans` lists blessed references of tests not in config.testing (add --yes to remove them)".into(),
        ));
    }
    let suite = load_suite(g)?;
    // An empty (or truncated, or wrongly chosen) config.testing would make every reference
    // an orphan: that is far more likely a mistake than an intent.
    if suite.entries.is_empty() {
        return Err(CommandError::Usage(format!(
            "{} lists no test, so every blessed reference would count as orphaned; refusing to clean. Check --suite, or remove references by hand",
            suite.config_testing.display()
        )));
    }
    let regdir = regression_dir(g)?;
    regdir.require_existing()?;
    let orphans = suite.orphans(regdir.blessed_tests()?);
    if orphans.is_empty() {
        say!("ptest: no orphaned references");
        return Ok(exit_code::OK);
    }
    // Only what is removed is locked (a bless of an orphan by an older config may run).
    let _locks = match yes {
        true => {
            let names: Vec<&str> = orphans.iter().map(String::as_str).collect();
            Some(regdir.lock_tests(&names, "ptest clean", WhenHeld::Refuse)?)
        }
        false => None,
    };
    for name in &orphans {
        let path = regdir.blessed(name);
        if yes {
            std::fs::remove_dir_all(&path).map_err(CommandError::io(&path))?;
            say!("ptest: removed orphaned reference {}", path.display());
        } else {
            say!("{}", path.display());
        }
    }
    if !yes {
        say!(
            "ptest: {} orphaned reference(s) above (tests not in {}); nothing removed: run `ptest clean --orphans --yes` to remove them",
            orphans.len(),
            suite.config_testing.display()
        );
    }
    Ok(exit_code::OK)
}
