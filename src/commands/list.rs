//! `ptest list`: tests, scripts, references and last results; orphaned references.

use crate::cli::GlobalArgs;
use crate::exit_code;
use crate::runner::state::State;
use crate::suite::Overrides;

use super::{CommandError, load_suite, regression_dir};

pub fn run(g: &GlobalArgs) -> Result<i32, CommandError> {
    let suite = load_suite(g)?;
    // The suite can be listed before any regression directory exists.
    let regdir = regression_dir(g).ok().filter(|r| r.root.is_dir());
    let state = regdir
        .as_ref()
        .map(|r| State::load_or_warn(&r.state_dir(), super::warn_state))
        .unwrap_or_default();
    say!(
        "{:<24} {:<9} {:<13} {:<10} last run",
        "TEST",
        "STATE",
        "SCRIPTS",
        "BLESSED"
    );
    for entry in &suite.entries {
        let def = suite.test(entry, &Overrides::default())?;
        let scripts = match (&def.setup, &def.test) {
            (_, Err(_)) => "test missing".to_string(),
            (Ok(Some(_)), Ok(_)) => "setup+test".to_string(),
            (Ok(None), Ok(_)) => "test".to_string(),
            (Err(_), Ok(_)) => "setup broken".to_string(),
        };
        let blessed = match &regdir {
            Some(r) => match crate::bless::blessable(&r.blessed(&entry.name)) {
                Ok(0) | Err(_) => "-".to_string(),
                Ok(n) => format!("{n} file(s)"),
            },
            None => "?".to_string(),
        };
        let last = state
            .tests
            .get(&entry.name)
            .and_then(|t| t.last.as_ref())
            .map(|l| {
                format!(
                    "{} {} ({:.1}s){}",
                    l.mode.as_str(),
                    l.status.word(),
                    l.duration_secs(),
                    if l.accepted { ", accepted" } else { "" }
                )
            })
            .unwrap_or_else(|| "-".into());
        say!(
            "{:<24} {:<9} {:<13} {:<10} {last}",
            entry.name,
            if entry.enabled { "enabled" } else { "disabled" },
            scripts,
            blessed
        );
    }
    if let Some(r) = &regdir {
        let orphans = suite.orphans(r.blessed_tests()?);
        if !orphans.is_empty() {
            say!(
                "orphaned references (not in config.testing; `ptest clean --orphans` removes them): {}",
                orphans.join(", ")
            );
        }
    } else {
        say!(
            "(no regression directory: set PANDA_REGRESSION_DIR or pass --regression-dir to see references and results)"
        );
    }
    Ok(exit_code::OK)
}
