//! `ptest list`: tests, scripts, references and last results; orphaned references.

use crate::cli::GlobalArgs;
use crate::exit_code;
use crate::runner::state::State;
use crate::suite::Overrides;

use super::{CommandError, load_suite, regression_dir};

pub fn run(g: &GlobalArgs, changed: bool) -> Result<i32, CommandError> {
    if changed {
        return would_run(g);
    }
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

/// `ptest list --changed`: for each enabled test, whether `ptest test --changed` would run
/// it, and why (the first inputs that changed).
fn would_run(g: &GlobalArgs) -> Result<i32, CommandError> {
    let suite = load_suite(g)?;
    let regdir = regression_dir(g)?;
    regdir.require_existing()?;
    let state = State::load_or_warn(&regdir.state_dir(), super::warn_state);
    let exe = std::env::current_exe().map_err(CommandError::io(std::path::Path::new("ptest")))?;
    let overrides = super::overrides(g);
    say!("{:<24} {:<9} why", "TEST", "--changed");
    let (mut runs, mut cached) = (0, 0);
    for entry in suite.enabled() {
        let def = suite.test(entry, &overrides)?;
        let (freshness, _) = super::changed::freshness(&state, &regdir, &exe, &def);
        let (what, why) = match freshness.why() {
            None => {
                cached += 1;
                ("cached", "inputs unchanged since its last pass".to_string())
            }
            Some(why) => {
                runs += 1;
                ("runs", why)
            }
        };
        say!(
            "{:<24} {:<9} {}",
            entry.name,
            what,
            crate::human::visible(&why)
        );
    }
    say!("{runs} test(s) would run, {cached} would reuse their last pass");
    Ok(exit_code::OK)
}
