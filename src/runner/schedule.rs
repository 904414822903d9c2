//! The scheduler: a pool of `-j` CPU slots, slowest tests first, tests that need several
//! CPUs or the whole machine, retries, flaky marking, and stopping on cancellation. What
//! one attempt does is injected ([`Attempts`]): the runner's runs the test's script
//! (`execute.rs`); unit tests give scripted attempts and assert on the events.

use std::collections::VecDeque;
use std::sync::{Arc, mpsc};
use std::time::{Duration, Instant};

use ptest_engine::process::Cancel;

use crate::compare::Comparer;
use crate::suite::TestDef;

use super::event::Event;
use super::result::{RunKind, RunOutcome, Status, TestResult};

/// One test to run, with its compiled comparison rules.
pub struct Job {
    pub test: TestDef,
    pub comparer: Comparer,
    /// Its duration in earlier runs, for slowest-first scheduling.
    pub expected: Option<Duration>,
    /// `--changed`: its last pass stands (nothing it used changed); reported as this
    /// result, without running.
    pub reused: Option<TestResult>,
}

/// What one attempt of a job does, and what a job never started reports.
pub trait Attempts: Send + Sync {
    /// Attempt number `attempt` (from 1) of `job`, on its own thread.
    fn attempt(&self, job: &Job, attempt: u32) -> TestResult;
    /// The result of a job the run never started (cancelled first).
    fn not_run(&self, name: String) -> TestResult;
}

/// What running jobs tell the scheduler's thread, which alone talks to the sink.
pub enum Message {
    Started(String, u32),
    /// A script's engine command says something the user should see now.
    Notice(String, String),
    Retrying(TestResult),
    Finished(usize, TestResult),
}

/// One run's scheduling: the channel its jobs report on, and the pool.
pub struct Scheduler {
    tx: mpsc::Sender<Message>,
    rx: mpsc::Receiver<Message>,
    kind: RunKind,
    slots: usize,
}

impl Scheduler {
    /// A pool of `slots` CPUs (at least one).
    pub fn new(kind: RunKind, slots: usize) -> Scheduler {
        let (tx, rx) = mpsc::channel();
        Scheduler {
            tx,
            rx,
            kind,
            slots: slots.max(1),
        }
    }

    /// Where notices from running tests go (shown as [`Event::TestNotice`]).
    pub fn notices(&self) -> impl Fn(String, String) + Send + 'static {
        let tx = self.tx.clone();
        move |test, message| {
            let _ = tx.send(Message::Notice(test, message));
        }
    }

    /// Runs `jobs`, sending every event to `sink`; `before_finish` runs once every job
    /// has ended, before the last notices are delivered and `RunFinished` is sent. The
    /// outcome has one result per job, in the order given (jobs never started because of
    /// `cancel` are `NotRun`).
    pub fn run(
        self,
        jobs: Vec<Job>,
        attempts: Arc<dyn Attempts>,
        cancel: &Cancel,
        before_finish: impl FnOnce(),
        sink: &mut dyn FnMut(&Event<'_>),
    ) -> RunOutcome {
        let Scheduler {
            tx,
            rx,
            kind,
            slots,
        } = self;
        let started = Instant::now();
        sink(&Event::RunStarted {
            kind,
            total: jobs.len(),
            jobs: slots,
        });
        let names: Vec<String> = jobs.iter().map(|j| j.test.name.clone()).collect();
        let costs: Vec<usize> = jobs.iter().map(|j| cost(j, slots)).collect();
        let mut results: Vec<Option<TestResult>> = vec![None; jobs.len()];
        let mut queue: VecDeque<(usize, Job)> = VecDeque::new();
        for (index, mut job) in order(jobs) {
            match job.reused.take() {
                Some(result) => {
                    sink(&Event::TestFinished { result: &result });
                    results[index] = Some(result);
                }
                None => queue.push_back((index, job)),
            }
        }
        let mut free = slots;
        let mut running = 0usize;
        loop {
            while !cancel.requested() {
                let Some(pos) = next_fitting(&queue, free, slots, running) else {
                    break;
                };
                let Some((index, job)) = queue.remove(pos) else {
                    break;
                };
                free -= costs[index];
                running += 1;
                let tx = tx.clone();
                let attempts = attempts.clone();
                let cancel = cancel.clone();
                let offset = started.elapsed();
                std::thread::spawn(move || {
                    // A panic here is a bug in ptest; without this the run would wait
                    // forever for the result, so it ends the test as an error instead.
                    let tried = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                        with_retries(&*attempts, &job, &tx, &cancel)
                    }));
                    let mut result = tried.unwrap_or_else(|panic| {
                        crashed(attempts.not_run(job.test.name.clone()), &*panic)
                    });
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
        before_finish();
        while let Ok(Message::Notice(name, message)) = rx.try_recv() {
            sink(&Event::TestNotice {
                name: &name,
                message: &message,
            });
        }
        let results: Vec<TestResult> = results
            .into_iter()
            .zip(names)
            .map(|(r, name)| r.unwrap_or_else(|| attempts.not_run(name)))
            .collect();
        let outcome = RunOutcome {
            kind,
            results,
            elapsed: started.elapsed(),
            interrupted: cancel.requested(),
        };
        sink(&Event::RunFinished { outcome: &outcome });
        outcome
    }
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

/// The result of a test whose attempt panicked: an error naming the panic.
fn crashed(mut result: TestResult, panic: &(dyn std::any::Any + Send)) -> TestResult {
    let what = panic
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| panic.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "a panic".to_string());
    result.status = Status::Errored;
    result.reason = Some(super::Reason::Error {
        error: format!("ptest itself failed while running this test ({what}); please report it"),
    });
    result
}

/// Attempts `job` until it succeeds, its retries are spent, it fails in a way a retry
/// cannot help, or the run is cancelled. A pass after a failure is flaky.
fn with_retries(
    attempts: &dyn Attempts,
    job: &Job,
    tx: &mpsc::Sender<Message>,
    cancel: &Cancel,
) -> TestResult {
    let tries = job.test.settings.retries + 1;
    let mut total = Duration::ZERO;
    let mut attempt = 1;
    loop {
        let _ = tx.send(Message::Started(job.test.name.clone(), attempt));
        let started = Instant::now();
        let mut result = attempts.attempt(job, attempt);
        total += started.elapsed();
        result.attempts = attempt;
        result.duration = total;
        let retryable = matches!(
            result.status,
            Status::Failed | Status::Errored | Status::TimedOut
        );
        if !retryable || attempt >= tries || cancel.requested() {
            if attempt > 1 && result.status == Status::Passed {
                result.status = Status::Flaky;
                result.reason = Some(super::Reason::PassedOnRetry { attempt, tries });
            }
            return result;
        }
        let _ = tx.send(Message::Retrying(result));
        attempt += 1;
    }
}

#[cfg(test)]
#[path = "schedule_tests.rs"]
mod tests;
