//! `ptest record|replay|images|replays`: build the engine's context from the suite and
//! the environment a test script runs in, then hand over to `ptest-engine`.

use crate::cli::GlobalArgs;
use crate::suite::{Overrides, RegressionDir, Suite};

use super::{CommandError, regression_dir};

pub fn run(g: &GlobalArgs, command: ptest_engine::cli::EngineCommand) -> Result<i32, CommandError> {
    let regdir = regression_dir(g)?;
    // Outside a suite (no config.testing) the built-in images still work; a suite that is
    // there but broken is an error, as for every other command.
    let suite =
        match crate::suite::Suite::load(g.suite.as_deref().unwrap_or(std::path::Path::new("."))) {
            Ok(suite) => Some(suite),
            Err(crate::suite::SuiteError::NoConfigTesting { .. }) => None,
            Err(e) => return Err(e.into()),
        };
    let test = std::env::var("PTEST_TEST").ok().filter(|t| !t.is_empty());
    let ctx = context(g, suite.as_ref(), &regdir, test.as_deref())?;
    Ok(ptest_engine::cli::run(command, &ctx)?)
}

/// The engine's view of the suite, and of `test` when called from its script.
pub fn context(
    g: &GlobalArgs,
    suite: Option<&Suite>,
    regdir: &RegressionDir,
    test: Option<&str>,
) -> Result<ptest_engine::Context, CommandError> {
    let mut ctx = ptest_engine::Context {
        regression_dir: regdir.root.clone(),
        test: test.map(str::to_string),
        interactive: std::io::IsTerminal::is_terminal(&std::io::stderr())
            && super::use_color(g.color, true),
        ..Default::default()
    };
    if let Some(suite) = suite {
        ctx.suite_dir = Some(suite.dir.clone());
        ctx.images = suite.config.images();
        ctx.default_image = suite.config.image.clone();
        ctx.settings = suite.config.engine.clone();
        if let Some(entry) = test.and_then(|t| suite.entries.iter().find(|e| e.name == t)) {
            let def = suite.test(entry, &Overrides::default())?;
            ctx.default_image = def.settings.image;
            ctx.settings = def.settings.engine;
        }
    }
    Ok(ctx)
}
