//! Scheduling and running tests: a pool of `-j` CPU slots, slowest tests first, tests
//! that need several CPUs or the whole machine, retries, timeouts and Ctrl-C. The runner
//! emits [`Event`]s and returns a [`RunOutcome`]; reporters turn the events into output.
//! It must not print, write references (bless is an [`AfterAttempt`] step the command
//! provides) or decide exit codes.

pub mod contain;
pub mod environment;
pub mod event;
mod execute;
pub mod interrupt;
mod notices;
pub mod process;
pub mod result;
pub mod state;

use std::collections::VecDeque;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, mpsc};
use std::time::{Duration, Instant};

pub use event::Event;
pub use result::{Reason, RunKind, RunOutcome, ScriptExit, Status, TestResult, describe};

use crate::compare::Comparer;
use crate::suite::{RegressionDir, TestDef};
use environment::Interpreters;

/// What every test of a run shares.
pub struct RunContext {
    pub mode: RunKind,
    pub regdir: RegressionDir,
    /// The folder holding `config.testing`.
    pub suite_dir: PathBuf,
    /// This ptest binary, for scripts that call back into it (`ptest record`).
    pub exe: PathBuf,
    /// Folder holding the Python helper `ptest_utils.py`.
    pub helper_dir: PathBuf,
    pub verbose: bool,
    pub interpreters: Mutex<Interpreters>,
    /// Run after every attempt, in its thread (`bless` promotes the outputs here).
    pub after_attempt: Option<Box<dyn AfterAttempt>>,
}

/// A step after each attempt of a test, before the runner decides whether to retry: it
/// may change the result (a bless that could not store the reference errors).
pub trait AfterAttempt: Send + Sync {
    fn after(&self, test: &TestDef, comparer: &Comparer, result: &mut TestResult);
}

impl RunContext {
    /// The resolved Python interpreter for `test`.
    fn python(&self, test: &TestDef) -> Result<PathBuf, environment::InterpreterError> {
        self.interpreters
            .lock()
            .map_err(|_| environment::InterpreterError::Poisoned)?
            .resolve(test.settings.python.as_deref())
    }
}

/// One test to run, with its compiled comparison rules.
pub struct Job {
    pub test: TestDef,
    pub comparer: Comparer,
    /// Its duration in earlier runs, for slowest-first scheduling.
    pub expected: Option<Duration>,
}

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

enum Message {
    Started(String, u32),
    /// A script's engine command says something the user should see now.
    Notice(String, String),
    Retrying(TestResult),
    Finished(usize, TestResult),
}

/// Run `jobs` on `slots` CPUs, sending every event to `sink`. The outcome has one result
/// per job, in the order given (tests never started because of Ctrl-C are `NotRun`).
pub fn run(
    ctx: Arc<RunContext>,
    jobs: Vec<Job>,
    slots: usize,
    sink: &mut dyn FnMut(&Event<'_>),
) -> RunOutcome {
    let started = Instant::now();
    let slots = slots.max(1);
    interrupt::install();
    sink(&Event::RunStarted {
        mode: ctx.mode,
        total: jobs.len(),
        jobs: slots,
    });
    let names: Vec<String> = jobs.iter().map(|j| j.test.name.clone()).collect();
    let costs: Vec<usize> = jobs.iter().map(|j| cost(j, slots)).collect();
    let mut results: Vec<Option<TestResult>> = vec![None; jobs.len()];
    let mut queue: VecDeque<(usize, Job)> = order(jobs).into();
    let (tx, rx) = mpsc::channel::<Message>();
    let notices = {
        let tx = tx.clone();
        notices::Listener::start(move |test, message| {
            let _ = tx.send(Message::Notice(test, message));
        })
    };
    let services = Arc::new(Services {
        notice_socket: notices.as_ref().map(|l| l.path().to_path_buf()),
        containment: contain::RunContainment::start(&ctx.exe),
    });
    let mut free = slots;
    let mut running = 0usize;
    loop {
        while !interrupt::requested() {
            let Some(pos) = next_fitting(&queue, free, slots, running) else {
                break;
            };
            let Some((index, job)) = queue.remove(pos) else {
                break;
            };
            free -= costs[index];
            running += 1;
            let ctx = ctx.clone();
            let tx = tx.clone();
            let services = services.clone();
            let offset = started.elapsed();
            std::thread::spawn(move || {
                let mut result = run_with_retries(&ctx, &job, &tx, &services);
                result.started = offset;
                let _ = tx.send(Message::Finished(index, result));
            });
        }
        if running == 0 {
            break;
        }
        let Ok(message) = rx.recv() else { break };
        match message {
            Message::Started(name, attempt) => sink(&Event::TestStarted {
                name: &name,
                attempt,
            }),
            Message::Notice(name, message) => sink(&Event::TestNotice {
                name: &name,
                message: &message,
            }),
            Message::Retrying(result) => sink(&Event::TestRetrying { result: &result }),
            Message::Finished(index, result) => {
                running -= 1;
                free += costs[index];
                sink(&Event::TestFinished { result: &result });
                results[index] = Some(result);
            }
        }
    }
    drop(notices);
    while let Ok(Message::Notice(name, message)) = rx.try_recv() {
        sink(&Event::TestNotice {
            name: &name,
            message: &message,
        });
    }
    let results: Vec<TestResult> = results
        .into_iter()
        .zip(names)
        .map(|(r, name)| r.unwrap_or_else(|| not_run(&ctx, name)))
        .collect();
    let outcome = RunOutcome {
        kind: ctx.mode,
        results,
        elapsed: started.elapsed(),
        interrupted: interrupt::requested(),
    };
    sink(&Event::RunFinished { outcome: &outcome });
    outcome
}

/// Slots a job occupies: its `threads` (capped at the pool), or all of them if exclusive.
fn cost(job: &Job, slots: usize) -> usize {
    if job.test.settings.exclusive {
        slots
    } else {
        job.test.settings.threads.clamp(1, slots)
    }
}

/// Slowest first (from earlier runs); tests never timed go first, in config order, since
/// they may be slow and nothing is known of them.
fn order(jobs: Vec<Job>) -> Vec<(usize, Job)> {
    let mut indexed: Vec<(usize, Job)> = jobs.into_iter().enumerate().collect();
    indexed.sort_by(|(ia, a), (ib, b)| match (a.expected, b.expected) {
        (None, None) => ia.cmp(ib),
        (None, Some(_)) => std::cmp::Ordering::Less,
        (Some(_), None) => std::cmp::Ordering::Greater,
        (Some(x), Some(y)) => y.cmp(&x).then(ia.cmp(ib)),
    });
    indexed
}

/// The head of the queue, if it fits in `free` slots (an exclusive job needs an empty
/// machine). Jobs start strictly in queue order: letting 1-CPU tests overtake a waiting
/// `threads = 2` or exclusive test could starve it, and it is likely the slowest.
fn next_fitting(
    queue: &VecDeque<(usize, Job)>,
    free: usize,
    slots: usize,
    running: usize,
) -> Option<usize> {
    let (_, job) = queue.front()?;
    let fits = cost(job, slots) <= free && (!job.test.settings.exclusive || running == 0);
    fits.then_some(0)
}

fn run_with_retries(
    ctx: &RunContext,
    job: &Job,
    tx: &mpsc::Sender<Message>,
    services: &Services,
) -> TestResult {
    let tries = job.test.settings.retries + 1;
    let mut total = Duration::ZERO;
    let mut attempt = 1;
    loop {
        let _ = tx.send(Message::Started(job.test.name.clone(), attempt));
        let started = Instant::now();
        let mut result = execute::attempt(
            ctx,
            &job.test,
            &job.comparer,
            &services.for_attempt(&job.test.name, attempt),
        );
        if let Some(step) = &ctx.after_attempt {
            step.after(&job.test, &job.comparer, &mut result);
        }
        execute::finish(&mut result);
        result.duration = started.elapsed();
        total += result.duration;
        result.attempts = attempt;
        result.duration = total;
        let retryable = matches!(
            result.status,
            Status::Failed | Status::Errored | Status::TimedOut
        );
        if !retryable || attempt >= tries || interrupt::requested() {
            if attempt > 1 && result.status == Status::Passed {
                result.status = Status::Flaky;
                result.reason = Some(Reason::PassedOnRetry { attempt, tries });
            }
            return result;
        }
        let _ = tx.send(Message::Retrying(result));
        attempt += 1;
    }
}

fn not_run(ctx: &RunContext, name: String) -> TestResult {
    TestResult {
        log: ctx
            .regdir
            .logs(&name)
            .join(format!("{}.log", ctx.mode.as_str())),
        name,
        mode: ctx.mode,
        status: Status::NotRun,
        duration: Duration::ZERO,
        started: Duration::ZERO,
        attempts: 0,
        script_ok: false,
        reason: Some(Reason::NotStarted),
        files: Vec::new(),
        log_tail: Vec::new(),
        leaked: 0,
    }
}
