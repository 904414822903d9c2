//! `ptest setup|bless|test` (and the default command), and `ptest init`.

use std::io::IsTerminal;
use std::sync::{Arc, Mutex};

use ptest_engine::process::Cancel;

use crate::bless;
use crate::cli::{GlobalArgs, RunArgs};
use crate::exit_code;
use crate::report::{self, Reporter, terminal::Terminal};
use crate::runner::environment::{Interpreters, install_python_helper};
use crate::runner::state::State;
use crate::runner::{self, Job, RunContext, RunKind};
use crate::suite::lock::WhenHeld;
use crate::suite::plan::ShardOf;
use crate::suite::{RegressionDir, RunPlan, Suite, reference};

use super::{CommandError, load_suite, regression_dir, use_color};

pub fn scripts(
    g: &GlobalArgs,
    kind: RunKind,
    args: &RunArgs,
    cancel: &Cancel,
) -> Result<i32, CommandError> {
    if kind == RunKind::Setup && args.repeat.is_some() {
        return Err(CommandError::Usage(
            "--repeat is for bless and test: setup makes recordings once".into(),
        ));
    }
    if args.changed && kind != RunKind::Test {
        return Err(CommandError::Usage(format!(
            "--changed is for `ptest test` (it reuses passes); `ptest {}` always runs",
            kind.as_str()
        )));
    }
    if args.changed && args.repeat.is_some() {
        return Err(CommandError::Usage(
            "--changed and --repeat contradict each other: --repeat runs each test N times".into(),
        ));
    }
    let suite = load_suite(g)?;
    let plan = RunPlan::select(&suite, &args.tests, &super::overrides(g))?;
    let regdir = regression_dir(g)?;
    // `setup` and `bless` may start a new directory; `test` compares with references, so
    // a missing directory is a mistyped path (it used to be created, every test erroring).
    if kind != RunKind::Test && !regdir.root.exists() {
        let names: Vec<&str> = suite.enabled().map(|e| e.name.as_str()).collect();
        regdir.create_layout(&names, false)?;
    }
    regdir.require_existing()?;
    let run = Run {
        g,
        suite: &suite,
        regdir: &regdir,
        kind,
        invoked_as: Invocation::Run,
        cancel,
    };
    run.execute(args, plan)
}

/// `ptest init`: create the layout (never deleting references), fetch the images the
/// enabled tests use, run every setup script.
pub fn init(
    g: &GlobalArgs,
    force: bool,
    tests: &[String],
    cancel: &Cancel,
) -> Result<i32, CommandError> {
    let suite = load_suite(g)?;
    let plan = RunPlan::select(&suite, tests, &super::overrides(g))?;
    let regdir = regression_dir(g)?;
    let names: Vec<&str> = suite.enabled().map(|e| e.name.as_str()).collect();
    regdir.create_layout(&names, force)?;
    say!(
        "ptest: regression directory {} ready",
        regdir.root.display()
    );
    let ctx = super::engine::context(g, Some(&suite), &regdir, None, cancel)?;
    let mut images: Vec<String> = Vec::new();
    for planned in &plan.tests {
        if let Some(image) = &planned.test.settings.image
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
        let fetched = ptest_engine::images::fetch(&ctx, &images);
        if let Some(code) = super::engine::stopped(cancel) {
            return Ok(code);
        }
        fetched?;
    }
    let run = Run {
        g,
        suite: &suite,
        regdir: &regdir,
        kind: RunKind::Setup,
        invoked_as: Invocation::Init,
        cancel,
    };
    run.execute(&RunArgs::default(), plan)
}

/// Which command started the run: it names the locks, and decides what a test another
/// ptest is running gets.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Invocation {
    /// `setup`, `bless`, `test`: a busy test is refused.
    Run,
    /// `init`, which every worker of a cluster may start at once: a busy test is waited for.
    Init,
}

/// One run's wiring: what every step of [`Run::execute`] shares.
struct Run<'a> {
    g: &'a GlobalArgs,
    suite: &'a Suite,
    regdir: &'a RegressionDir,
    kind: RunKind,
    invoked_as: Invocation,
    cancel: &'a Cancel,
}

impl Run<'_> {
    fn execute(&self, args: &RunArgs, mut plan: RunPlan) -> Result<i32, CommandError> {
        // `--failed` reads the last results: a damaged file must stop it, not select nothing.
        let mut state = if args.failed {
            State::load(&self.regdir.state_dir())?
        } else {
            State::load_or_warn(&self.regdir.state_dir(), super::warn_state)
        };
        if let Some(partition) = &args.partition {
            // Only `duration` reads durations: a broken durations file must not stop `hash`.
            let duration_of: super::durations::DurationOf =
                if partition.strategy == crate::suite::partition::Strategy::Duration {
                    super::durations::partition_source(self.suite, self.regdir, self.kind)?
                } else {
                    Box::new(|_| None)
                };
            plan.partition(partition, &*duration_of, args.failed);
            if plan.tests.is_empty() {
                say!("ptest: shard {partition} has no tests; nothing to do");
                return empty_shard_report(self.g, self.kind, plan.shard.map(shard_report));
            }
        }
        if args.failed {
            plan.only_failed(&state.failed().into_iter().collect());
            if plan.tests.is_empty() {
                say!("ptest: no test failed in the last run; nothing to do");
                return Ok(exit_code::OK);
            }
        }
        let command = match self.invoked_as {
            Invocation::Init => "ptest init".to_string(),
            Invocation::Run => format!("ptest {}", self.kind.as_str()),
        };
        let mut notify = |name: &str, holder: &str| {
            eprintln!("ptest: waiting for {name}, held by {holder}");
        };
        let when_held = match self.invoked_as {
            Invocation::Init => WhenHeld::Wait(&mut notify),
            Invocation::Run => WhenHeld::Refuse,
        };
        let _locks = plan.lock(self.regdir, &command, when_held)?;
        let restored = reference::recover_tests(self.regdir, &plan.names())
            .map_err(CommandError::io(&self.regdir.root))?;
        for name in restored {
            eprintln!("ptest: restored the blessed reference of {name} after an interrupted bless");
        }
        let shard = plan.shard.take().map(shard_report);
        let reuse = self.kind == RunKind::Test
            && args.repeat.is_none()
            && super::changed::wanted(args.changed, args.no_changed, self.suite.config.changed);
        let exe = current_exe()?;
        let jobs: Vec<Job> = plan
            .tests
            .into_iter()
            .map(|planned| Job {
                expected: state.expected(&planned.test.name, self.kind),
                reused: reuse
                    .then(|| self.reused(&state, &exe, &planned.test))
                    .flatten(),
                test: planned.test,
                comparer: planned.comparer,
            })
            .collect();
        let (outcome, report_failed) = self.run_jobs(jobs, shard, args.repeat)?;
        state.record(&outcome.results);
        if let Err(e) = state.save(&self.regdir.state_dir()) {
            eprintln!(
                "ptest: warning: could not save results to {}: {e} (accept, diff and --failed will not see this run)",
                self.regdir.state_dir().display()
            );
        }
        if args.apply_suggestions && !outcome.interrupted {
            super::repeat::apply_suggestions(self.g, self.regdir, &outcome)?;
        }
        Ok(exit_code::of_run(&outcome, !report_failed))
    }

    /// `--changed`: the reused pass of `test` if nothing it used changed; otherwise says
    /// why it runs.
    fn reused(
        &self,
        state: &State,
        exe: &std::path::Path,
        test: &crate::suite::TestDef,
    ) -> Option<runner::TestResult> {
        match super::changed::freshness(state, self.regdir, exe, test) {
            (crate::inputs::Freshness::Unchanged, Some(since)) => {
                Some(runner::reused_pass(self.regdir, test.name.clone(), since))
            }
            (freshness, _) => {
                if let Some(why) = freshness.why() {
                    eprintln!(
                        "ptest: --changed: {} runs: {}",
                        test.name,
                        crate::human::visible(&why)
                    );
                }
                None
            }
        }
    }

    /// Runs the jobs with every reporter listening; whether a report could not be written.
    fn run_jobs(
        &self,
        jobs: Vec<Job>,
        shard: Option<report::json::Shard>,
        repeat: Option<u32>,
    ) -> Result<(runner::RunOutcome, bool), CommandError> {
        let (g, regdir) = (self.g, self.regdir);
        let helper_dir =
            install_python_helper(regdir).map_err(CommandError::io(&regdir.state_dir()))?;
        let exe = current_exe()?;
        let ctx = Arc::new(RunContext {
            kind: self.kind,
            cancel: self.cancel.clone(),
            regdir: regdir.clone(),
            suite_dir: self.suite.dir.clone(),
            exe,
            helper_dir,
            verbose: g.verbose,
            interpreters: Mutex::new(Interpreters::default()),
            after_attempt: (self.kind == RunKind::Bless).then(|| {
                Box::new(bless::Bless {
                    regdir: regdir.clone(),
                    cancel: self.cancel.clone(),
                }) as Box<dyn runner::AfterAttempt>
            }),
            repeat,
        });
        let slots = g
            .jobs
            .or(self.suite.config.jobs)
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
        reporters.extend(g.json.as_deref().map(|path| match shard {
            Some(shard) => report::shard_file(path, shard, &previous),
            None => report::json_file(path, &previous),
        }));
        reporters.extend(g.html.as_deref().map(|p| report::html_file(p, &previous)));
        let outcome = runner::run(ctx, jobs, slots, &mut |event| {
            for reporter in &mut reporters {
                reporter.event(event);
            }
        });
        // Every report is attempted; one that could not be written fails the run (exit 2).
        let mut report_failed = false;
        for reporter in reporters {
            if let Err(e) = reporter.finish() {
                eprintln!("error: {e}");
                report_failed = true;
            }
        }
        Ok((outcome, report_failed))
    }
}

/// This ptest binary: scripts call it back, and it is an input of every test.
fn current_exe() -> Result<std::path::PathBuf, CommandError> {
    std::env::current_exe().map_err(CommandError::io(std::path::Path::new("ptest")))
}

/// The shard as its JSON report records it.
fn shard_report(shard: ShardOf) -> report::json::Shard {
    report::json::Shard {
        partition: shard.partition.to_string(),
        selected: shard.selected,
        only_failed: shard.only_failed,
    }
}

/// An empty shard still writes its JSON report (no tests, its partition): a merge must
/// tell a shard with nothing to do from a shard that never ran.
fn empty_shard_report(
    g: &GlobalArgs,
    kind: RunKind,
    shard: Option<report::json::Shard>,
) -> Result<i32, CommandError> {
    let (Some(path), Some(shard)) = (g.json.as_deref(), shard) else {
        return Ok(exit_code::OK);
    };
    let outcome = runner::RunOutcome {
        kind,
        results: Vec::new(),
        elapsed: std::time::Duration::ZERO,
        interrupted: false,
    };
    let mut sink = report::shard_file(path, shard, &report::json::Previous::new());
    sink.event(&runner::Event::RunFinished { outcome: &outcome });
    match sink.finish() {
        Ok(()) => Ok(exit_code::OK),
        Err(e) => {
            eprintln!("error: {e}");
            Ok(exit_code::USAGE)
        }
    }
}
