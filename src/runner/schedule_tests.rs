//! The scheduler with scripted attempts (no processes): order, retries, flaky marking,
//! threads/exclusive packing and cancellation, asserted on the events it sends.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Condvar, Mutex};

use super::*;
use crate::compare::Comparer;
use crate::suite::{ScriptError, Settings, TestDef};

/// A test's settings as the scheduler reads them.
#[derive(Clone, Copy, Default)]
struct Shape {
    retries: u32,
    threads: usize,
    exclusive: bool,
    expected_secs: Option<u64>,
}

fn job(name: &str, shape: Shape) -> Job {
    let dir = PathBuf::from(name);
    Job {
        test: TestDef {
            name: name.into(),
            setup: Ok(None),
            test: Err(ScriptError::NoTestScript {
                dir: dir.clone(),
                name: name.into(),
            }),
            dir,
            settings: Settings {
                timeout: Duration::from_secs(60),
                retries: shape.retries,
                threads: shape.threads.max(1),
                exclusive: shape.exclusive,
                ..Settings::default()
            },
        },
        comparer: Comparer::new(&[]).expect("no rules compile"),
        expected: shape.expected_secs.map(Duration::from_secs),
        reused: None,
    }
}

fn result(name: &str, status: Status) -> TestResult {
    TestResult {
        name: name.into(),
        mode: RunKind::Test,
        status,
        duration: Duration::ZERO,
        started: Duration::ZERO,
        attempts: 0,
        script_ok: status.is_success(),
        reason: None,
        files: Vec::new(),
        log: PathBuf::new(),
        log_tail: Vec::new(),
        leaked: 0,
        variation: None,
        stall: None,
        inputs: None,
    }
}

/// Attempts that return scripted statuses (by test, then attempt; `Passed` once the script
/// runs out) and record what ran beside what.
#[derive(Default)]
struct Scripted {
    statuses: HashMap<String, Vec<Status>>,
    /// Slots each test occupies, to check the pool is never overfilled.
    costs: HashMap<String, usize>,
    slots: usize,
    running: Mutex<Vec<String>>,
    changed: Condvar,
    /// For each attempt started: the tests running at that moment (itself included).
    seen: Mutex<Vec<(String, Vec<String>)>>,
    /// Two tests whose attempts each return only once the other has started.
    meet: Option<(String, String)>,
    /// A test whose first attempt cancels the run.
    cancels: Option<(String, Cancel)>,
    /// A test whose attempts panic (a bug in ptest itself).
    panics: Option<String>,
}

impl Attempts for Scripted {
    fn attempt(&self, job: &Job, attempt: u32) -> TestResult {
        let name = job.test.name.clone();
        {
            let mut running = self.running.lock().expect("lock");
            running.push(name.clone());
            let used: usize = running.iter().map(|t| self.costs[t]).sum();
            assert!(used <= self.slots, "pool overfilled: {running:?}");
            self.seen
                .lock()
                .expect("lock")
                .push((name.clone(), running.clone()));
            self.changed.notify_all();
            let awaited = match &self.meet {
                Some((x, y)) if *x == name => Some(y),
                Some((x, y)) if *y == name => Some(x),
                _ => None,
            };
            if let Some(awaited) = awaited {
                // A deadlock guard, not a timing assertion: the wait ends when `awaited`
                // has started (beside this attempt, which is still running); only a
                // scheduler that never runs them together reaches the limit.
                let started = |seen: &Mutex<Vec<(String, Vec<String>)>>| {
                    seen.lock()
                        .map(|s| s.iter().any(|(n, _)| n == awaited))
                        .unwrap_or(false)
                };
                let (guard, timeout) = self
                    .changed
                    .wait_timeout_while(running, Duration::from_secs(30), |_| !started(&self.seen))
                    .expect("lock");
                assert!(!timeout.timed_out(), "{awaited} never ran beside {name}");
                running = guard;
            }
            drop(running);
        }
        if self.panics.as_ref() == Some(&name) {
            self.running.lock().expect("lock").retain(|t| *t != name);
            panic!("scripted panic in {name}");
        }
        if let Some((test, cancel)) = &self.cancels
            && *test == name
        {
            cancel.request(2);
        }
        let status = self
            .statuses
            .get(&name)
            .and_then(|s| s.get(attempt as usize - 1).copied())
            .unwrap_or(Status::Passed);
        let mut running = self.running.lock().expect("lock");
        running.retain(|t| *t != name);
        self.changed.notify_all();
        result(&name, status)
    }

    fn not_run(&self, name: String) -> TestResult {
        result(&name, Status::NotRun)
    }
}

/// What the sink saw, as text: `start NAME N`, `retry NAME`, `finish NAME STATUS`.
fn run(
    jobs: Vec<Job>,
    slots: usize,
    mut scripted: Scripted,
    cancel: &Cancel,
) -> (Vec<String>, RunOutcome, Arc<Scripted>) {
    scripted.slots = slots;
    scripted.costs = jobs
        .iter()
        .map(|j| (j.test.name.clone(), cost(j, slots)))
        .collect();
    let scripted = Arc::new(scripted);
    let mut events = Vec::new();
    let outcome = Scheduler::new(RunKind::Test, slots).run(
        jobs,
        scripted.clone(),
        cancel,
        || {},
        &mut |event| match event {
            Event::TestStarted { name, attempt } => events.push(format!("start {name} {attempt}")),
            Event::TestRetrying { result } => events.push(format!("retry {}", result.name)),
            Event::TestFinished { result } => {
                events.push(format!("finish {} {:?}", result.name, result.status))
            }
            _ => {}
        },
    );
    (events, outcome, scripted)
}

fn starts(events: &[String]) -> Vec<&str> {
    events
        .iter()
        .filter_map(|e| e.strip_prefix("start "))
        .collect()
}

#[test]
fn untimed_tests_start_first_in_config_order_then_the_slowest() {
    let timed = |secs| Shape {
        expected_secs: Some(secs),
        ..Shape::default()
    };
    let jobs = vec![
        job("fast", timed(1)),
        job("new1", Shape::default()),
        job("slow", timed(50)),
        job("new2", Shape::default()),
        job("mid", timed(10)),
    ];
    let (events, outcome, _) = run(jobs, 1, Scripted::default(), &Cancel::noop());
    assert_eq!(
        starts(&events),
        ["new1 1", "new2 1", "slow 1", "mid 1", "fast 1"]
    );
    // Results stay in the order given, whatever the order run.
    let names: Vec<&str> = outcome.results.iter().map(|r| r.name.as_str()).collect();
    assert_eq!(names, ["fast", "new1", "slow", "new2", "mid"]);
}

#[test]
fn a_failing_test_is_retried_and_a_late_pass_is_flaky() {
    let shape = Shape {
        retries: 2,
        ..Shape::default()
    };
    let scripted = Scripted {
        statuses: HashMap::from([(
            "t".to_string(),
            vec![Status::Failed, Status::TimedOut, Status::Passed],
        )]),
        ..Scripted::default()
    };
    let (events, outcome, _) = run(vec![job("t", shape)], 1, scripted, &Cancel::noop());
    assert_eq!(
        events,
        [
            "start t 1",
            "retry t",
            "start t 2",
            "retry t",
            "start t 3",
            "finish t Flaky"
        ]
    );
    let t = &outcome.results[0];
    assert_eq!((t.status, t.attempts), (Status::Flaky, 3));
    assert_eq!(t.message().as_deref(), Some("passed on attempt 3 of 3"));
    assert!(outcome.succeeded());
}

#[test]
fn retries_stop_when_spent_and_a_first_pass_is_not_flaky() {
    let retried = Shape {
        retries: 1,
        ..Shape::default()
    };
    let scripted = Scripted {
        statuses: HashMap::from([
            ("bad".to_string(), vec![Status::Errored, Status::Failed]),
            ("good".to_string(), vec![Status::Passed]),
        ]),
        ..Scripted::default()
    };
    let jobs = vec![job("bad", retried), job("good", retried)];
    let (events, outcome, _) = run(jobs, 1, scripted, &Cancel::noop());
    assert_eq!(
        events,
        [
            "start bad 1",
            "retry bad",
            "start bad 2",
            "finish bad Failed",
            "start good 1",
            "finish good Passed"
        ]
    );
    assert_eq!(outcome.results[0].attempts, 2);
    assert_eq!(outcome.results[1].attempts, 1);
    assert!(!outcome.succeeded());
}

#[test]
fn an_interrupted_attempt_is_not_retried() {
    let shape = Shape {
        retries: 3,
        ..Shape::default()
    };
    let scripted = Scripted {
        statuses: HashMap::from([("t".to_string(), vec![Status::Interrupted])]),
        ..Scripted::default()
    };
    let (events, _, _) = run(vec![job("t", shape)], 1, scripted, &Cancel::noop());
    assert_eq!(events, ["start t 1", "finish t Interrupted"]);
}

#[test]
fn one_cpu_tests_share_the_pool() {
    let scripted = Scripted {
        meet: Some(("a".into(), "b".into())),
        ..Scripted::default()
    };
    let jobs = vec![job("a", Shape::default()), job("b", Shape::default())];
    let (_, outcome, scripted) = run(jobs, 2, scripted, &Cancel::noop());
    assert!(outcome.succeeded());
    let seen = scripted.seen.lock().expect("lock");
    // Whichever started second saw the first still running.
    assert!(
        seen.iter().any(|(_, running)| running.len() == 2),
        "a and b never ran together: {seen:?}"
    );
}

#[test]
fn an_exclusive_test_runs_alone_and_a_wide_one_takes_its_threads() {
    let exclusive = Shape {
        exclusive: true,
        ..Shape::default()
    };
    let wide = Shape {
        threads: 3,
        ..Shape::default()
    };
    let jobs = vec![
        job("a", Shape::default()),
        job("x", exclusive),
        job("b", Shape::default()),
        job("w", wide),
        job("c", Shape::default()),
    ];
    // The pool is never overfilled (checked at every start, with `w` costing 3 of 4).
    let (events, outcome, scripted) = run(jobs, 4, Scripted::default(), &Cancel::noop());
    assert!(outcome.succeeded(), "{events:?}");
    let seen = scripted.seen.lock().expect("lock");
    let x = seen.iter().find(|(name, _)| name == "x").expect("x ran");
    assert_eq!(x.1, ["x"], "exclusive test ran beside others");
    assert!(
        seen.iter()
            .all(|(_, running)| running.len() == 1 || !running.contains(&"x".into())),
        "a test started beside the exclusive one: {seen:?}"
    );
    // Strict queue order: nothing overtakes the waiting exclusive test, and `c` waits
    // for a slot that `b` and `w` (1 + 3 of 4) fill. (Tests started together may report
    // their start in either order: they start on their own threads.)
    let at = |event: &str| {
        events
            .iter()
            .position(|e| e == event)
            .unwrap_or_else(|| panic!("no {event:?} in {events:?}"))
    };
    assert!(at("start x 1") > at("finish a Passed"), "{events:?}");
    for later in ["start b 1", "start w 1", "start c 1"] {
        assert!(at(later) > at("finish x Passed"), "{events:?}");
    }
    let first_free = at("finish b Passed").min(at("finish w Passed"));
    assert!(at("start c 1") > first_free, "{events:?}");
}

#[test]
fn threads_are_capped_at_the_pool() {
    let huge = Shape {
        threads: 64,
        ..Shape::default()
    };
    let (events, outcome, _) = run(
        vec![job("h", huge)],
        2,
        Scripted::default(),
        &Cancel::noop(),
    );
    assert_eq!(events, ["start h 1", "finish h Passed"]);
    assert!(outcome.succeeded());
}

#[test]
fn a_cancelled_run_starts_nothing_more_and_reports_the_rest_not_run() {
    let cancel = Cancel::noop();
    let shape = Shape {
        retries: 2,
        ..Shape::default()
    };
    let scripted = Scripted {
        statuses: HashMap::from([("first".to_string(), vec![Status::Failed])]),
        cancels: Some(("first".into(), cancel.clone())),
        ..Scripted::default()
    };
    let jobs = vec![job("first", shape), job("second", shape)];
    let (events, outcome, _) = run(jobs, 1, scripted, &cancel);
    // No retry once cancelled, and `second` never starts.
    assert_eq!(events, ["start first 1", "finish first Failed"]);
    assert!(outcome.interrupted);
    assert_eq!(outcome.results[1].status, Status::NotRun);
}

#[test]
fn a_run_cancelled_before_it_starts_runs_nothing() {
    let cancel = Cancel::noop();
    cancel.request(15);
    let jobs = vec![job("a", Shape::default())];
    let (events, outcome, _) = run(jobs, 2, Scripted::default(), &cancel);
    assert!(events.is_empty());
    assert!(outcome.interrupted);
    assert_eq!(outcome.results[0].status, Status::NotRun);
}

#[test]
fn an_attempt_that_panics_ends_as_an_error_and_the_run_goes_on() {
    let jobs = vec![job("boom", Shape::default()), job("fine", Shape::default())];
    let scripted = Scripted {
        panics: Some("boom".into()),
        ..Scripted::default()
    };
    let (events, outcome, _) = run(jobs, 1, scripted, &Cancel::noop());
    assert!(
        events.contains(&"finish boom Errored".to_string()),
        "{events:?}"
    );
    assert!(
        events.contains(&"finish fine Passed".to_string()),
        "{events:?}"
    );
    let boom = &outcome.results[0];
    assert_eq!(boom.status, Status::Errored);
    let message = boom.message().unwrap_or_default();
    assert!(message.contains("scripted panic in boom"), "{message}");
}
