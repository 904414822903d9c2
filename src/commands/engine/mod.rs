//! `ptest record|replay|images|replays`: build the engine's context from the suite and
//! the environment a test script runs in, hand the request to `ptest-engine`, print what
//! it returns, and map its errors to exit codes ([`exit_code`], the one place).

mod listing;
mod observer;

use std::sync::Arc;

use ptest_engine::process::Cancel;
use ptest_engine::{EngineError, RecordRequest, ReplayRequest};

use crate::cli::{EngineCommand, GlobalArgs, ImagesCommand};
use crate::exit_code;
use crate::suite::{Overrides, RegressionDir, Suite};

use super::{CommandError, regression_dir};

pub fn run(g: &GlobalArgs, command: EngineCommand, cancel: &Cancel) -> Result<i32, CommandError> {
    let done = run_command(g, command, cancel);
    stopped(cancel).map_or(done, Ok)
}

/// After a signal killed the emulators an engine call started: what they returned is not
/// theirs to report. Says why ptest stopped; the exit code, 128 + the signal.
pub fn stopped(cancel: &Cancel) -> Option<i32> {
    let signal = cancel.signal()?;
    let why = EngineError::Interrupted { signal };
    observer::note(&why.to_string());
    Some(exit_code(&why))
}

fn run_command(
    g: &GlobalArgs,
    command: EngineCommand,
    cancel: &Cancel,
) -> Result<i32, CommandError> {
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
    let ctx = context(g, suite.as_ref(), &regdir, test.as_deref(), cancel)?;
    match command {
        EngineCommand::Record {
            image,
            name,
            copies,
            arch,
            snapshot,
            command,
        } => {
            let req = RecordRequest {
                image,
                name,
                copies,
                arch,
                snapshot,
                command,
            };
            ptest_engine::record(&ctx, &req)?;
        }
        EngineCommand::Replay {
            name,
            arch,
            image,
            console,
            engine_args,
        } => {
            let req = ReplayRequest {
                name: &name,
                arch: arch.as_deref(),
                image: image.as_deref(),
                console: console.as_deref(),
                engine_args: &engine_args,
            };
            ptest_engine::replay(&ctx, &req).inspect_err(record_stall)?;
        }
        EngineCommand::Images {
            command: None | Some(ImagesCommand::List),
        } => listing::images(&ctx),
        EngineCommand::Images {
            command: Some(ImagesCommand::Fetch { names }),
        } => {
            let names = match (names.is_empty(), &ctx.default_image) {
                (false, _) => names,
                (true, Some(image)) => vec![image.clone()],
                (true, None) => {
                    return Err(CommandError::Usage(
                        "no image: pass --image NAME, or set image = \"NAME\" in ptest.toml or the test's test.toml".into(),
                    ));
                }
            };
            ptest_engine::images::fetch(&ctx, &names)?;
        }
        EngineCommand::Replays { test } => listing::replays(&ctx, test.as_deref()),
    }
    Ok(exit_code::OK)
}

/// `--image-map` for the `ptest record`/`replay` a test's scripts run, through their
/// environment (the suite's `[image-map]` they read from `ptest.toml` themselves).
pub fn image_map_env(g: &GlobalArgs) -> std::collections::BTreeMap<String, String> {
    let mut env = std::collections::BTreeMap::new();
    if !g.image_map.is_empty() {
        let pairs: Vec<String> = g
            .image_map
            .iter()
            .map(|(f, t)| format!("{f}={t}"))
            .collect();
        env.insert(crate::cli::IMAGE_MAP_ENV.into(), pairs.join(","));
    }
    env
}

/// Inside a test's script, a stalled replay leaves how far it got for the runner (the
/// runner sees only the script's exit): the reports show it as data.
fn record_stall(e: &EngineError) {
    let EngineError::Stalled {
        name,
        at,
        total,
        quiet,
        ..
    } = e
    else {
        return;
    };
    if let Some(log_dir) = std::env::var_os("PTEST_LOG_DIR").filter(|d| !d.is_empty()) {
        crate::runner::ReplayStall {
            replay: name.clone(),
            at: *at,
            total: *total,
            quiet_secs: quiet.as_secs(),
        }
        .record(std::path::Path::new(&log_dir));
    }
}

/// The exit code of an engine error: failures of the emulator's run (a replay that
/// failed, stalled or did not reach the end; a recording that timed out) are
/// [`exit_code::ENGINE_FAILED`]; bad input, configuration, missing images or emulators,
/// and recordings that no longer match are [`exit_code::USAGE`].
pub fn exit_code(e: &EngineError) -> i32 {
    match e {
        EngineError::Replay { .. } | EngineError::Stalled { .. } | EngineError::TimedOut { .. } => {
            exit_code::ENGINE_FAILED
        }
        EngineError::Interrupted { signal } => exit_code::stopped_by(*signal),
        EngineError::Io { .. }
        | EngineError::Usage(_)
        | EngineError::UnknownEngine { .. }
        | EngineError::ImageNotFound { .. }
        | EngineError::Image(_)
        | EngineError::EmulatorNotFound { .. }
        | EngineError::Emulator(_)
        | EngineError::Mismatch(_) => exit_code::USAGE,
    }
}

/// The engine's view of the suite, and of `test` when called from its script.
pub fn context(
    g: &GlobalArgs,
    suite: Option<&Suite>,
    regdir: &RegressionDir,
    test: Option<&str>,
    cancel: &Cancel,
) -> Result<ptest_engine::Context, CommandError> {
    let interactive =
        std::io::IsTerminal::is_terminal(&std::io::stderr()) && super::use_color(g.color, true);
    let mut ctx = ptest_engine::Context {
        regression_dir: regdir.root.clone(),
        test: test.map(str::to_string),
        observer: ptest_engine::Observed(Arc::new(observer::Terminal { interactive })),
        cancel: cancel.clone(),
        ..Default::default()
    };
    if let Some(suite) = suite {
        ctx.suite_dir = Some(suite.dir.clone());
        ctx.images = suite.config.images.clone();
        ctx.image_map = suite.config.image_map();
        ctx.default_image = suite.config.image.clone();
        ctx.settings = suite.config.engine.clone();
        if let Some(entry) = test.and_then(|t| suite.entries.iter().find(|e| e.name == t)) {
            let def = suite.test(entry, &Overrides::default())?;
            ctx.default_image = def.settings.image;
            ctx.settings = def.settings.engine;
        }
    }
    for (from, to) in &g.image_map {
        if ptest_engine::catalog::builtin(to).is_none() && !ctx.images.contains_key(to) {
            return Err(CommandError::Usage(format!(
                "--image-map {from}={to}: no image {to:?}; name a built-in image (`ptest images`) or one declared under [images.NAME]"
            )));
        }
        ctx.image_map.insert(from.clone(), to.clone());
    }
    Ok(ctx)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn run_failures_are_engine_failed_and_the_rest_usage() {
        let failed = [
            EngineError::Replay {
                name: "r".into(),
                message: "m".into(),
            },
            EngineError::Stalled {
                name: "r".into(),
                at: Some(1),
                total: 2,
                quiet: Duration::from_secs(1),
                emulator: "QEMU",
                logs: "l".into(),
            },
            EngineError::TimedOut {
                what: "recording".into(),
                setting: "record-timeout",
                limit: Duration::from_secs(1),
                emulator: "QEMU",
                logs: "l".into(),
            },
        ];
        for e in &failed {
            assert_eq!(exit_code(e), exit_code::ENGINE_FAILED, "{e}");
        }
        let usage = [
            EngineError::Usage("u".into()),
            EngineError::ImageNotFound {
                name: "x".into(),
                known: vec![],
            },
            EngineError::EmulatorNotFound {
                program: "p".into(),
                message: "m".into(),
            },
            EngineError::Mismatch("m".into()),
        ];
        for e in &usage {
            assert_eq!(exit_code(e), exit_code::USAGE, "{e}");
        }
    }
}
