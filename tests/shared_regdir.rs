//! A shared regression directory (issue 11): several real `ptest` processes on one
//! directory at once. Disjoint tests run side by side, the same test never twice at once
//! (a second `bless` is refused naming the holder; `init` waits), 4 concurrent shards lose
//! no result (and `report merge` of their reports equals the unsharded run's), concurrent
//! `init`s all succeed, and the locks are fcntl byte-range locks that another program
//! (Python's `fcntl.lockf`) sees.

mod common;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use common::{PTEST, RUN_LIMIT, Spawned, TestSuite, await_file, finish, read};

const LIMIT: Duration = Duration::from_secs(30);

/// Waits (up to 20 s) for `$PTEST_SCRATCH/release` after saying it started; writes x.
const WAITS: &str = "echo started > \"$PTEST_SCRATCH/started\"\n\
                     i=0\n\
                     while [ ! -e \"$PTEST_SCRATCH/release\" ] && [ $i -lt 1000 ]; do sleep 0.02; i=$((i + 1)); done\n\
                     echo x > \"$PTEST_OUTFILE\"";

/// Poll `done` every 20 ms until it holds, or fail after `limit` saying `what`.
#[track_caller]
fn poll(limit: Duration, what: &str, mut done: impl FnMut() -> bool) {
    let start = Instant::now();
    while !done() {
        assert!(start.elapsed() < limit, "{what}: not within {limit:?}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// `ptest ARGS` in the background with stderr to a file we can read while it runs.
fn spawn_logged(s: &TestSuite, args: &[&str], stderr: &Path) -> Child {
    let file = std::fs::File::create(stderr).expect("stderr file");
    Command::new(PTEST)
        .current_dir(&s.dir)
        .env_remove("PTEST_SUITE_DIR")
        .env("PANDA_REGRESSION_DIR", &s.reg)
        .env("NO_COLOR", "1")
        .env("PTEST_SCRATCH", s.tmp.path())
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(file)
        .spawn()
        .expect("spawn ptest")
}

#[track_caller]
fn wait_child(mut child: Child, limit: Duration) -> i32 {
    let start = Instant::now();
    loop {
        if let Some(status) = child.try_wait().expect("wait") {
            return status.code().unwrap_or(-1);
        }
        if start.elapsed() > limit {
            let _ = child.kill();
            let _ = child.wait();
            panic!("ptest {} did not finish within {limit:?}", child.id());
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn state_of(s: &TestSuite, test: &str) -> serde_json::Value {
    let path = s
        .reg
        .join(".ptest/state/tests")
        .join(format!("{test}.json"));
    serde_json::from_str(&read(&path)).expect("state file is JSON")
}

#[test]
fn two_runs_on_disjoint_tests_of_one_directory_run_at_the_same_time() {
    // Each test, when `overlap` exists, announces itself and waits for the other: both
    // pass only if the two ptest processes ran them at the same time.
    let body = |me: &str, other: &str| {
        format!(
            "if [ -e \"$PTEST_SCRATCH/overlap\" ]; then\n\
             echo > \"$PTEST_SCRATCH/running-{me}\"\n\
             i=0\n\
             while [ ! -e \"$PTEST_SCRATCH/running-{other}\" ]; do\n\
               i=$((i + 1)); [ $i -lt 1000 ] || {{ echo \"{other} never ran beside {me}\"; exit 1; }}\n\
               sleep 0.02\n\
             done\n\
             fi\n\
             echo same > \"$PTEST_OUTFILE\""
        )
    };
    let s = TestSuite::new()
        .sh("a", &body("a", "b"))
        .sh("b", &body("b", "a"));
    s.ptest(&["bless"]).code(0);
    std::fs::write(s.scratch("overlap"), "").unwrap();
    let first = s.spawn(&["test", "a"]);
    let second = s.spawn(&["test", "b"]);
    finish(first, LIMIT).code(0).says(&["PASS"]);
    finish(second, LIMIT).code(0).says(&["PASS"]);
    // Both results were kept, though each process saved only its own.
    for test in ["a", "b"] {
        assert_eq!(state_of(&s, test)["last"]["status"], "passed", "{test}");
    }
    s.ptest(&["test", "--failed"])
        .code(0)
        .says(&["no test failed in the last run"]);
}

#[test]
fn a_second_bless_of_a_busy_test_is_refused_naming_the_holder() {
    let s = TestSuite::new()
        .sh("a", WAITS)
        .sh("b", "echo b > \"$PTEST_OUTFILE\"");
    let first = s.spawn(&["bless", "a"]);
    await_file(s.scratch("started"), LIMIT);
    let second = s.ptest(&["bless"]);
    second.code(2);
    assert_eq!(second.stdout, "", "refused before running anything");
    let pid = first.id().to_string();
    let host = rustix::system::uname()
        .nodename()
        .to_string_lossy()
        .into_owned();
    assert!(
        second
            .stderr
            .contains(&format!("(pid {pid} on host {host}, `ptest bless`;")),
        "{}",
        second.all()
    );
    let message = s
        .redact(&second.stderr)
        .replace(&pid, "[PID]")
        .replace(&format!("host {host},"), "host [HOST],");
    insta::assert_snapshot!(message, @"error: test a: another ptest is already running it (pid [PID] on host [HOST], `ptest bless`; lock [TMP]/reg/.ptest/locks/tests/a.lock); wait for it to finish, or leave a out of this run");
    // Refused means nothing was taken: the other test can be blessed meanwhile, and the
    // read-only commands need no lock.
    s.ptest(&["bless", "b"]).code(0);
    s.ptest(&["list"]).code(0);
    s.ptest(&["diff", "b"]).code(0);
    std::fs::write(s.scratch("release"), "").unwrap();
    finish(first, LIMIT).code(0);
    assert_eq!(read(s.blessed("a").join("a.out")), "x\n");
    s.ptest(&["bless", "a"]).code(0);
}

#[test]
fn init_waits_for_a_busy_test_and_then_sets_it_up() {
    let s = TestSuite::new()
        .sh("a", WAITS)
        .setup_sh("a", "echo > \"$PTEST_SCRATCH/setup-ran\"");
    std::fs::write(s.scratch("release"), "").unwrap();
    s.ptest(&["bless"]).code(0);
    std::fs::remove_file(s.scratch("release")).unwrap();
    std::fs::remove_file(s.scratch("started")).unwrap();
    assert!(!s.scratch("setup-ran").exists(), "bless ran no setup");
    let busy = s.spawn(&["test", "a"]);
    await_file(s.scratch("started"), LIMIT);
    let log = s.scratch("init.stderr");
    let init = spawn_logged(&s, &["init"], &log);
    poll(LIMIT, "init says what it waits for", || {
        std::fs::read_to_string(&log).is_ok_and(|t| t.contains("waiting for a, held by pid"))
    });
    let said = read(&log);
    assert!(
        said.contains(&format!("held by pid {} on host", busy.id())),
        "{said}"
    );
    assert!(
        !s.scratch("setup-ran").exists(),
        "setup ran beside the test"
    );
    std::fs::write(s.scratch("release"), "").unwrap();
    finish(busy, LIMIT).code(0);
    assert_eq!(wait_child(init, LIMIT), 0, "{}", read(&log));
    assert!(s.scratch("setup-ran").exists());
}

#[test]
fn four_concurrent_inits_on_a_fresh_directory_all_succeed_and_never_overlap() {
    // Each setup fails if another setup of the same test is running: the test lock must
    // serialize them across the four processes.
    let mut s = TestSuite::new();
    for name in ["a", "b", "c"] {
        s = s.sh(name, "echo ok > \"$PTEST_OUTFILE\"").setup_sh(
            name,
            &format!(
                "m=\"$PTEST_SCRATCH/setup-{name}\"\n\
                 if ! mkdir \"$m\"; then echo 'two setups of {name} at once'; exit 1; fi\n\
                 echo >> \"$PTEST_SCRATCH/setups-{name}\"\n\
                 sleep 0.1\n\
                 rmdir \"$m\""
            ),
        );
    }
    assert!(!s.reg.exists());
    let inits: Vec<Spawned> = (0..4).map(|_| s.spawn(&["init"])).collect();
    for init in inits {
        finish(init, RUN_LIMIT).code(0).says(&["ready"]);
    }
    for name in ["a", "b", "c"] {
        assert_eq!(
            read(s.scratch(&format!("setups-{name}"))).lines().count(),
            4
        );
        assert!(state_of(&s, name)["durations"]["setup"].is_number());
        for kind in ["replays", "blessed", "tmpout", "misc", "logs"] {
            assert!(s.reg.join(kind).join(name).is_dir(), "{kind}/{name}");
        }
    }
}

/// Tests `t00`..`t11`: each writes `$PTEST_SCRATCH/val-NAME` (default "1"); when
/// `gate` exists, each waits for `go` first, so the shards are all busy at once.
fn twelve_tests() -> (TestSuite, Vec<String>) {
    let mut s = TestSuite::new();
    let names: Vec<String> = (0..12).map(|i| format!("t{i:02}")).collect();
    for name in &names {
        s = s.sh(
            name,
            &format!(
                "echo > \"$PTEST_SCRATCH/started-{name}\"\n\
                 if [ -e \"$PTEST_SCRATCH/gate\" ]; then\n\
                 i=0; while [ ! -e \"$PTEST_SCRATCH/go\" ] && [ $i -lt 1000 ]; do sleep 0.02; i=$((i + 1)); done\n\
                 fi\n\
                 v=1; [ ! -e \"$PTEST_SCRATCH/val-{name}\" ] || v=$(cat \"$PTEST_SCRATCH/val-{name}\")\n\
                 echo \"$v\" > \"$PTEST_OUTFILE\""
            ),
        );
    }
    (s, names)
}

/// name → (status, files) of a JSON report's tests.
fn outcomes(
    report: &serde_json::Value,
) -> BTreeMap<String, (serde_json::Value, serde_json::Value)> {
    report["tests"]
        .as_array()
        .expect("tests")
        .iter()
        .map(|t| {
            let name = t["name"].as_str().expect("name").to_string();
            (name, (t["status"].clone(), t["files"].clone()))
        })
        .collect()
}

fn json(path: PathBuf) -> serde_json::Value {
    serde_json::from_str(&read(&path)).expect("report is JSON")
}

#[test]
fn four_concurrent_shards_on_one_directory_lose_no_result() {
    let (s, names) = twelve_tests();
    s.ptest(&["bless"]).code(0);
    // Three tests now fail on a mismatch.
    let failing = ["t01", "t05", "t10"];
    for name in failing {
        std::fs::write(s.scratch(&format!("val-{name}")), "2\n").unwrap();
    }
    let full = s.scratch("full.json");
    s.ptest(&["test", "--json", full.to_str().unwrap()])
        .code(100);
    // Forget every result: what follows must come from the shards alone.
    std::fs::remove_dir_all(s.reg.join(".ptest/state")).unwrap();
    for name in &names {
        let _ = std::fs::remove_file(s.scratch(&format!("started-{name}")));
    }
    std::fs::write(s.scratch("gate"), "").unwrap();
    let shards: Vec<(Spawned, PathBuf)> = (1..=4)
        .map(|k| {
            let report = s.scratch(&format!("s{k}.json"));
            let part = format!("hash:{k}/4");
            let spawned = s.spawn(&[
                "test",
                "--partition",
                &part,
                "--json",
                report.to_str().unwrap(),
            ]);
            (spawned, report)
        })
        .collect();
    // Hold every test until three are running (so at least two shards), then let all
    // go at once: the shards finish and save together.
    poll(LIMIT, "three tests started", || {
        names
            .iter()
            .filter(|n| s.scratch(&format!("started-{n}")).exists())
            .count()
            >= 3
    });
    std::fs::write(s.scratch("go"), "").unwrap();
    let mut union = BTreeMap::new();
    let mut reports = Vec::new();
    for (spawned, report) in shards {
        let run = finish(spawned, RUN_LIMIT);
        assert!(matches!(run.status.code(), Some(0 | 100)), "{}", run.all());
        for (name, outcome) in outcomes(&json(report.clone())) {
            assert!(
                union.insert(name.clone(), outcome).is_none(),
                "{name} ran twice"
            );
        }
        reports.push(report.to_str().expect("utf-8 path").to_string());
    }
    // The shards together ran the suite once, with the unsharded run's results...
    let whole = json(full);
    assert_eq!(union, outcomes(&whole));
    // ... and their merged report is the unsharded run's: tests in order, statuses,
    // messages, file outcomes, summary.
    let all = s.scratch("all.json");
    let mut merge = vec!["report", "merge", "--json", all.to_str().unwrap()];
    merge.extend(reports.iter().map(String::as_str));
    s.ptest(&merge).code(100);
    let merged = json(all);
    assert_eq!(
        common::report_essence(&merged),
        common::report_essence(&whole)
    );
    // Every shard's results were kept.
    for name in &names {
        let state = state_of(&s, name);
        let want = if failing.contains(&name.as_str()) {
            "failed"
        } else {
            "passed"
        };
        assert_eq!(state["last"]["status"], want, "{name}");
    }
    let list = s.ptest(&["list"]);
    list.code(0);
    for name in &names {
        assert!(
            list.stdout.lines().any(|l| {
                let want = if failing.contains(&name.as_str()) {
                    "test failed"
                } else {
                    "test passed"
                };
                l.starts_with(name.as_str()) && l.contains(want)
            }),
            "{name} has no last result in:\n{}",
            list.stdout
        );
    }
    std::fs::remove_file(s.scratch("gate")).unwrap();
    let again = s.scratch("failed.json");
    s.ptest(&["test", "--failed", "--json", again.to_str().unwrap()])
        .code(100);
    let rerun: Vec<String> = outcomes(&json(again)).into_keys().collect();
    assert_eq!(rerun, failing);
}

#[test]
fn the_test_lock_is_an_fcntl_lock_that_other_programs_see() {
    // Python's fcntl.lockf is a classic POSIX byte-range lock (what NFS forwards to the
    // server); it conflicts with ptest's OFD lock only if ptest's is a byte-range lock too.
    let s = TestSuite::new()
        .sh("a", WAITS)
        .sh("b", "echo b > \"$PTEST_OUTFILE\"");
    s.ptest(&["bless", "b"]).code(0);
    let first = s.spawn(&["bless", "a"]);
    await_file(s.scratch("started"), LIMIT);
    let probe = |test: &str| -> String {
        let lock = s
            .reg
            .join(".ptest/locks/tests")
            .join(format!("{test}.lock"));
        let out = Command::new("python3")
            .arg("-c")
            .arg(
                "import fcntl, sys\n\
                 f = open(sys.argv[1], 'r+')\n\
                 try:\n    fcntl.lockf(f, fcntl.LOCK_EX | fcntl.LOCK_NB)\n    print('free')\n\
                 except OSError:\n    print('held:' + open(sys.argv[1]).read().split()[0])\n",
            )
            .arg(&lock)
            .output()
            .unwrap_or_else(|e| {
                panic!("python3 is needed for this test (apt-get install python3): {e}")
            });
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).trim().to_string()
    };
    assert_eq!(probe("a"), format!("held:{}", first.id()));
    assert_eq!(probe("b"), "free");
    std::fs::write(s.scratch("release"), "").unwrap();
    finish(first, LIMIT).code(0);
    // The kernel released it with the process.
    assert_eq!(probe("a"), "free");
}

#[test]
fn clean_removes_no_reference_whose_test_another_process_holds() {
    // `old` left config.testing but another process (a ptest of the suite's previous
    // config, here a Python fcntl lock on its lock file) still works on it.
    let s = TestSuite::new()
        .sh("a", "echo a > \"$PTEST_OUTFILE\"")
        .sh("old", "echo old > \"$PTEST_OUTFILE\"");
    s.ptest(&["bless"]).code(0);
    std::fs::write(s.dir.join("config.testing"), "a\n").unwrap();
    let lock = s.reg.join(".ptest/locks/tests/old.lock");
    let mut holder = Command::new("python3")
        .arg("-c")
        .arg(
            "import fcntl, sys, time\n\
             f = open(sys.argv[1], 'r+')\n\
             fcntl.lockf(f, fcntl.LOCK_EX)\n\
             open(sys.argv[2], 'w').close()\n\
             time.sleep(60)\n",
        )
        .arg(&lock)
        .arg(s.scratch("held"))
        .spawn()
        .unwrap_or_else(|e| {
            panic!("python3 is needed for this test (apt-get install python3): {e}")
        });
    await_file(s.scratch("held"), LIMIT);
    let run = s.ptest(&["clean", "--orphans", "--yes"]);
    let _ = holder.kill();
    let _ = holder.wait();
    run.code(2)
        .says(&["test old: another ptest is already running it"]);
    assert!(s.blessed("old").is_dir(), "the reference survived");
    s.ptest(&["clean", "--orphans", "--yes"])
        .code(0)
        .says(&["removed orphaned reference"]);
    assert!(!s.blessed("old").exists());
    assert!(s.blessed("a").is_dir());
}
