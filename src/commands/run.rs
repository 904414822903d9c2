//! `ptest setup|bless|test` (and the default command), and `ptest init`.

use std::collections::HashSet;
use std::io::IsTerminal;
use std::sync::{Arc, Mutex};

use crate::bless;
use crate::cli::{GlobalArgs, RunArgs};
use crate::compare::Comparer;
use crate::exit_code;
use crate::report::{self, Reporter, terminal::Terminal};
use crate::runner::environment::{Interpreters, install_python_helper};
use crate::runner::state::State;
use crate::runner::{self, Job, RunContext, RunKind};
use crate::suite::lock::WhenHeld;
use crate::suite::{Overrides, RegressionDir, Suite, TestDef, reference};

use super::{CommandError, load_suite, regression_dir, use_color};

pub fn scripts(g: &GlobalArgs, mode: RunKind, args: &RunArgs) -> Result<i32, CommandError> {
    let suite = load_suite(g)?;
    let prepared = prepare(g, &suite, &args.tests)?;
    let regdir = regression_dir(g)?;
    // `setup` and `bless` may start a new directory; `test` compares with references, so
    // a missing directory is a mistyped path (it used to be created, every test erroring).
    if mode != RunKind::Test && !regdir.root.exists() {
        let names: Vec<&str> = suite.enabled().map(|e| e.name.as_str()).collect();
        regdir.create_layout(&names, false)?;
    }
    regdir.require_existing()?;
    // The tests' locks are taken in `execute`, once the partition and --failed chose them.
    execute(g, &suite, &regdir, mode, args, prepared, false)
}

/// The selected tests with their settings and compiled comparison rules. Every test's
/// configuration error surfaces here, before the regression directory is touched.
fn prepare(
    g: &GlobalArgs,
    suite: &Suite,
    tests: &[String],
) -> Result<Vec<(TestDef, Comparer)>, CommandError> {
    let overrides = Overrides {
        timeout: g.timeout,
        python: g.python.clone(),
    };
    let mut prepared = Vec::new();
    for entry in suite.select(tests)? {
        let mut test = suite.test(entry, &overrides)?;
        super::engine::pass_image_map(g, &mut test.settings.env);
        let comparer = Comparer::new(&test.settings.compare)?.with_test_name(&test.name);
        prepared.push((test, comparer));
    }
    Ok(prepared)
}

/// `ptest init`: create the layout (never deleting references), fetch the images the
/// enabled tests use, run every setup script.
pub fn init(g: &GlobalArgs, force: bool, tests: &[String]) -> Result<i32, CommandError> {
    let suite = load_suite(g)?;
    let prepared = prepare(g, &suite, tests)?;
    let regdir = regression_dir(g)?;
    let names: Vec<&str> = suite.enabled().map(|e| e.name.as_str()).collect();
    regdir.create_layout(&names, force)?;
    say!(
        "ptest: regression directory {} ready",
        regdir.root.display()
    );
    let ctx = super::engine::context(g, Some(&suite), &regdir, None)?;
    let mut images: Vec<String> = Vec::new();
    for (def, _) in &prepared {
        if let Some(image) = &def.settings.image
            && !images.contains(image)
        {
            images.push(image.clone());
        }
    }
    if !images.is_empty() {
        // Concurrent inits (one per worker) wait for each other's downloads, then verify.
        let _images = regdir.lock_images(&images, "ptest init", &mut |image, holder| {
            eprintln!("ptest: waiting for image {image}, being fetched by {holder}");
        })?;
        ptest_engine::images::fetch(&ctx, &images)?;
    }
    execute(
        g,
        &suite,
        &regdir,
        RunKind::Setup,
        &RunArgs::default(),
        prepared,
        true,
    )
}

fn execute(
    g: &GlobalArgs,
    suite: &Suite,
    regdir: &RegressionDir,
    mode: RunKind,
    args: &RunArgs,
    mut prepared: Vec<(TestDef, Comparer)>,
    is_init: bool,
) -> Result<i32, CommandError> {
    let only_failed = args.failed;
    // `--failed` reads the last results: a damaged file must stop it, not select nothing.
    let mut state = if only_failed {
        State::load(&regdir.state_dir())?
    } else {
        State::load_or_warn(&regdir.state_dir(), super::warn_state)
    };
    // The shard is cut from the whole selection, before `--failed`: every shard must see
    // the same list to deal the same way.
    let mut shard = None;
    if let Some(partition) = &args.partition {
        let names: Vec<&str> = prepared.iter().map(|(t, _)| t.name.as_str()).collect();
        // Recorded in the shard's JSON report: `report merge` checks the shards add up.
        shard = Some(report::json::Shard {
            partition: partition.to_string(),
            selected: names.iter().map(|n| n.to_string()).collect(),
            only_failed,
        });
        // Only `duration` reads durations: a broken durations file must not stop `hash`.
        let duration_of: super::durations::DurationOf =
            if partition.strategy == crate::suite::partition::Strategy::Duration {
                super::durations::partition_source(suite, regdir, mode)?
            } else {
                Box::new(|_| None)
            };
        let keep: HashSet<usize> = partition
            .select(&names, &*duration_of)
            .into_iter()
            .collect();
        let mut index = 0;
        prepared.retain(|_| {
            index += 1;
            keep.contains(&(index - 1))
        });
        if prepared.is_empty() {
            say!("ptest: shard {partition} has no tests; nothing to do");
            return empty_shard_report(g, mode, shard);
        }
    }
    if only_failed {
        let failed: HashSet<String> = state.failed().into_iter().collect();
        prepared.retain(|(test, _)| failed.contains(&test.name));
        if prepared.is_empty() {
            say!("ptest: no test failed in the last run; nothing to do");
            return Ok(exit_code::OK);
        }
    }
    // Each test is locked for the whole run (several ptests may share the directory):
    // a second run of a busy test is refused, except `init`, which every worker of a
    // cluster may start at once, and which waits.
    let names: Vec<&str> = prepared.iter().map(|(t, _)| t.name.as_str()).collect();
    let command = format!("ptest {}", if is_init { "init" } else { mode.as_str() });
    let mut notify = |name: &str, holder: &str| {
        eprintln!("ptest: waiting for {name}, held by {holder}");
    };
    let when_held = match is_init {
        true => WhenHeld::Wait(&mut notify),
        false => WhenHeld::Refuse,
    };
    let _locks = regdir.lock_tests(&names, &command, when_held)?;
    let restored =
        reference::recover_tests(regdir, &names).map_err(CommandError::io(&regdir.root))?;
    for name in restored {
        eprintln!("ptest: restored the blessed reference of {name} after an interrupted bless");
    }
    let jobs: Vec<Job> = prepared
        .into_iter()
        .map(|(test, comparer)| Job {
            expected: state.expected(&test.name, mode),
            test,
            comparer,
        })
        .collect();
    let helper_dir =
        install_python_helper(regdir).map_err(CommandError::io(&regdir.state_dir()))?;
    let exe = std::env::current_exe().map_err(CommandError::io(std::path::Path::new("ptest")))?;
    let ctx = Arc::new(RunContext {
        mode,
        regdir: regdir.clone(),
        suite_dir: suite.dir.clone(),
        exe,
        helper_dir,
        verbose: g.verbose,
        interpreters: Mutex::new(Interpreters::default()),
        after_attempt: (mode == RunKind::Bless).then(|| {
            Box::new(bless::Bless {
                regdir: regdir.clone(),
            }) as Box<dyn runner::AfterAttempt>
        }),
    });
    let slots = g
        .jobs
        .or(suite.config.jobs)
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()));
    let stdout_tty = std::io::stdout().is_terminal();
    let terminal = Terminal::new(
        use_color(g.color, stdout_tty),
        stdout_tty && std::io::stderr().is_terminal() && !g.verbose,
    );
    let mut reporters: Vec<Box<dyn Reporter>> = vec![Box::new(terminal)];
    reporters.extend(g.junit.as_deref().map(report::junit_file));
    let previous: report::json::Previous = jobs
        .iter()
        .filter_map(|j| Some((j.test.name.clone(), j.expected?.as_secs_f64())))
        .collect();
    reporters.extend(g.json.as_deref().map(|path| match shard.clone() {
        Some(shard) => report::json::shard_file(path, shard, &previous),
        None => report::json_file(path, &previous),
    }));
    reporters.extend(g.html.as_deref().map(|p| report::html_file(p, &previous)));
    let outcome = runner::run(ctx, jobs, slots, &mut |event| {
        for reporter in &mut reporters {
            reporter.event(event);
        }
    });
    state.record(&outcome.results);
    if let Err(e) = state.save(&regdir.state_dir()) {
        eprintln!(
            "ptest: warning: could not save results to {}: {e} (accept, diff and --failed will not see this run)",
            regdir.state_dir().display()
        );
    }
    // Every report is attempted; one that could not be written fails the run (exit 2).
    let mut report_failed = false;
    for reporter in reporters {
        if let Err(e) = reporter.finish() {
            eprintln!("error: {e}");
            report_failed = true;
        }
    }
    Ok(exit_code::of_run(&outcome, !report_failed))
}

/// An empty shard still writes its JSON report (no tests, its partition): a merge must
/// tell a shard with nothing to do from a shard that never ran.
fn empty_shard_report(
    g: &GlobalArgs,
    mode: RunKind,
    shard: Option<report::json::Shard>,
) -> Result<i32, CommandError> {
    let (Some(path), Some(shard)) = (g.json.as_deref(), shard) else {
        return Ok(exit_code::OK);
    };
    let outcome = runner::RunOutcome {
        kind: mode,
        results: Vec::new(),
        elapsed: std::time::Duration::ZERO,
        interrupted: false,
    };
    let mut sink = report::json::shard_file(path, shard, &report::json::Previous::new());
    sink.event(&runner::Event::RunFinished { outcome: &outcome });
    match sink.finish() {
        Ok(()) => Ok(exit_code::OK),
        Err(e) => {
            eprintln!("error: {e}");
            Ok(exit_code::USAGE)
        }
    }
}
