//! Running tests: `schedule` packs them on a pool of `-j` CPU slots (slowest first, tests
//! that need several CPUs or the whole machine), retries them and stops on the run's
//! [`ptest_engine::process::Cancel`]; `execute` runs one attempt (the script on the one
//! supervisor, `process.rs`, then the comparison). The runner emits [`Event`]s and returns a [`RunOutcome`];
//! reporters turn the events into output. It must not print, write references (bless is
//! an [`AfterAttempt`] step the command provides), register signal handlers or decide
//! exit codes.

pub mod contain;
mod context;
mod emulators;
pub mod environment;
pub mod event;
mod execute;
pub mod notices;
pub mod process;
pub mod repeat;
pub mod result;
mod schedule;
mod stall;
pub mod state;

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use schedule::Scheduler;

pub use context::{AfterAttempt, RunContext};
pub use event::Event;
pub use result::{
    Reason, ReplayStall, RunKind, RunOutcome, ScriptExit, Status, TestResult, describe,
};
pub use schedule::Job;

/// What the runner provides every attempt besides the suite: where notices go, and the
/// run's containment.
struct Services {
    notice_socket: Option<PathBuf>,
    containment: contain::RunContainment,
}

impl Services {
    fn for_attempt(&self, test: &str, attempt: u32) -> execute::AttemptServices<'_> {
        execute::AttemptServices {
            notice_socket: self.notice_socket.as_deref(),
            contain_token: self.containment.token(test, attempt),
        }
    }
}

/// The runner's attempts: the test's script, then the step after it (bless), then the
/// result completed (leak note, log tail).
struct ScriptAttempts {
    ctx: Arc<RunContext>,
    services: Services,
}

impl schedule::Attempts for ScriptAttempts {
    fn attempt(&self, job: &Job, attempt: u32) -> TestResult {
        let ctx = &*self.ctx;
        if let Some(count) = ctx.repeat {
            return repeat::run(ctx, job, &self.services, count);
        }
        let mut result = execute::attempt(
            ctx,
            &job.test,
            &job.comparer,
            &self.services.for_attempt(&job.test.name, attempt),
        );
        if let Some(step) = &ctx.after_attempt {
            step.after(&job.test, &job.comparer, &mut result);
        }
        execute::finish(&mut result);
        result
    }

    fn not_run(&self, name: String) -> TestResult {
        not_run(&self.ctx, name)
    }
}

/// Run `jobs` on `slots` CPUs, sending every event to `sink`. The outcome has one result
/// per job, in the order given (tests never started because of Ctrl-C are `NotRun`).
pub fn run(
    ctx: Arc<RunContext>,
    jobs: Vec<Job>,
    slots: usize,
    sink: &mut dyn FnMut(&Event<'_>),
) -> RunOutcome {
    ctx.cancel.install();
    let scheduler = Scheduler::new(ctx.kind, slots);
    let notices = notices::Listener::start(scheduler.notices());
    let attempts = Arc::new(ScriptAttempts {
        services: Services {
            notice_socket: notices.as_ref().map(|l| l.path().to_path_buf()),
            containment: contain::RunContainment::start(&ctx.exe),
        },
        ctx: ctx.clone(),
    });
    // Every script has ended: the listener stops after reading what they sent last.
    scheduler.run(jobs, attempts, &ctx.cancel, || drop(notices), sink)
}

fn not_run(ctx: &RunContext, name: String) -> TestResult {
    unstarted(&ctx.regdir, ctx.kind, name)
}

/// The result of a `test` reused by `--changed`: the last pass of `name`, finished at
/// `since` (seconds since the epoch), stands.
pub fn reused_pass(regdir: &crate::suite::RegressionDir, name: String, since: u64) -> TestResult {
    TestResult {
        status: Status::Cached,
        reason: Some(Reason::Cached { since }),
        script_ok: true,
        ..unstarted(regdir, RunKind::Test, name)
    }
}

fn unstarted(regdir: &crate::suite::RegressionDir, kind: RunKind, name: String) -> TestResult {
    TestResult {
        log: regdir.logs(&name).join(format!("{}.log", kind.as_str())),
        name,
        mode: kind,
        status: Status::NotRun,
        duration: Duration::ZERO,
        started: Duration::ZERO,
        attempts: 0,
        script_ok: false,
        reason: Some(Reason::NotStarted),
        files: Vec::new(),
        log_tail: Vec::new(),
        leaked: 0,
        variation: None,
        stall: None,
        inputs: None,
    }
}
