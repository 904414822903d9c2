//! Safety: a blessed reference is never half-written, even when ptest is SIGKILLed in the
//! middle of `bless`; the lock keeps a second ptest off a busy regression directory;
//! Ctrl-C kills the running scripts' process trees and leaves references untouched.

mod common;

use std::path::Path;
use std::time::{Duration, Instant};

use common::{TestSuite, alive, await_file, await_line, finish, gone, read, read_pid, signal};
use rustix::process::Signal;

const FILES: usize = 120;
const SIZE: usize = 48 * 1024;

fn content(generation: usize, i: usize) -> Vec<u8> {
    let line = format!("generation {generation} file {i}\n");
    line.repeat(SIZE / line.len()).into_bytes()
}

/// Write generation `g` of the big test's outputs: FILES files named `gG_NNN`.
fn make_generation(s: &TestSuite, g: usize) {
    let dir = s.scratch(&format!("gen{g}"));
    std::fs::create_dir_all(&dir).unwrap();
    for i in 0..FILES {
        std::fs::write(dir.join(format!("g{g}_{i:03}")), content(g, i)).unwrap();
    }
}

/// Which generation `blessed` holds, asserting it is one whole generation.
#[track_caller]
fn whole_generation(blessed: &Path) -> usize {
    let files = common::tree(blessed);
    assert_eq!(
        files.len(),
        FILES,
        "blessed holds {} files, not {FILES}",
        files.len()
    );
    let g: usize = files[0].0[1..2].parse().unwrap();
    for (i, (name, bytes)) in files.iter().enumerate() {
        assert_eq!(
            name,
            &format!("g{g}_{i:03}"),
            "mixed generations in {}",
            blessed.display()
        );
        assert!(*bytes == content(g, i), "{name} has the wrong content");
    }
    g
}

/// Hidden leftovers (`.NAME.staging-PID`, `.NAME.old`) in `blessed/`.
fn leftovers(s: &TestSuite) -> Vec<String> {
    std::fs::read_dir(s.reg.join("blessed"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with('.'))
        .collect()
}

/// The kill sweep's last step: enough tries to catch a promotion under way on the
/// slowest machine, few enough to end soon on one where promotion is never visible.
const MAX_STEPS: u32 = 200;

#[test]
fn bless_killed_at_any_moment_leaves_the_old_or_the_new_reference_whole() {
    let s = TestSuite::new().sh(
        "big",
        "g=$(cat \"$PTEST_SCRATCH/gen\")\n\
         cp -R \"$PTEST_SCRATCH/gen$g/.\" \"$PTEST_TMPOUT_DIR/\"\n\
         echo done > \"$PTEST_SCRATCH/script-done\"",
    );
    make_generation(&s, 0);
    make_generation(&s, 1);
    let marker = s.scratch("script-done");
    let set_gen = |g: usize| std::fs::write(s.scratch("gen"), g.to_string()).unwrap();
    set_gen(0);
    s.ptest(&["bless"]).code(0);
    assert_eq!(whole_generation(&s.blessed("big")), 0);

    // How long ptest takes from the script's end to its own (check, compare, promote):
    // the window the kills must land in.
    set_gen(1);
    std::fs::remove_file(&marker).unwrap();
    let child = s.spawn(&["bless"]);
    await_file(&marker, Duration::from_secs(20));
    let t0 = Instant::now();
    finish(child, Duration::from_secs(30)).code(0);
    let window = t0.elapsed();
    assert_eq!(whole_generation(&s.blessed("big")), 1);

    let mut current = 1;
    let mut seen = [0usize; 2];
    // Kills that left a staging folder or `.big.old` behind: they landed while the
    // reference was being swapped, the moment this test is about.
    let mut mid_promote = 0;
    // Steps 0..=12 kill at 0 %, 10 %, … 120 % of the window (moments sampled; what is
    // asserted is the state after each kill). The steps after that kill as soon as a
    // staging folder appears in blessed/ (promotion under way), at least 8 of them and
    // until one has landed mid-promotion: the sweep ends on that event, not on a clock.
    for step in 0..=MAX_STEPS {
        if step > 20 && mid_promote > 0 {
            break;
        }
        let next = 1 - current;
        set_gen(next);
        let _ = std::fs::remove_file(&marker);
        let child = s.spawn(&["bless"]);
        let pid = child.id();
        await_file(&marker, Duration::from_secs(20));
        if step <= 12 {
            std::thread::sleep(window * step / 10);
        } else {
            // Until promotion is seen under way, or the bless has ended (the sweep
            // missed it this time: the next step tries again).
            while leftovers(&s).is_empty() && alive(pid as i32) {
                std::hint::spin_loop();
            }
        }
        let _ = rustix::process::kill_process(
            rustix::process::Pid::from_raw(pid as i32).unwrap(),
            Signal::KILL,
        );
        let _ = finish(child, Duration::from_secs(10));
        if !leftovers(&s).is_empty() {
            mid_promote += 1;
        }
        let g = whole_generation(&s.blessed("big"));
        assert!(g == current || g == next);
        seen[usize::from(g == next)] += 1;
        current = g;
        // The next command cleans up whatever the killed one left, and still finds a
        // whole reference.
        let run = s.ptest(&["test"]);
        assert!(matches!(run.status.code(), Some(0 | 100)), "{}", run.all());
        assert_eq!(leftovers(&s), Vec::<String>::new(), "after step {step}");
        assert_eq!(whole_generation(&s.blessed("big")), current);
    }
    eprintln!(
        "window {window:?}; kills that left the old reference: {}, the new one: {}, mid-promotion: {mid_promote}",
        seen[0], seen[1]
    );
    assert!(
        mid_promote > 0,
        "no kill landed while the reference was being swapped (no staging folder or .big.old \
         left behind in {} kills); the sweep proved nothing about promotion",
        MAX_STEPS + 1
    );
}

#[test]
fn the_next_command_restores_a_reference_an_interrupted_bless_moved_aside() {
    // What a crash between the two renames of the fallback path leaves behind.
    let s = TestSuite::new().sh("a", "echo new > \"$PTEST_OUTFILE\"");
    s.ptest(&["bless"]).code(0);
    let blessed = s.reg.join("blessed");
    std::fs::rename(blessed.join("a"), blessed.join(".a.old")).unwrap();
    std::fs::create_dir_all(blessed.join(".a.staging-99999")).unwrap();
    std::fs::write(blessed.join(".a.staging-99999/a.out"), "half").unwrap();
    s.ptest(&["test"])
        .code(0)
        .says(&["restored the blessed reference of a"]);
    assert_eq!(read(blessed.join("a/a.out")), "new\n");
    assert_eq!(leftovers(&s), Vec::<String>::new());
}

/// Writes `started`, then waits for `$PTEST_SCRATCH/release`.
/// Gives up after about 30 s, so that nothing outlives a failed test for long.
const WAITS: &str = "echo $$ > \"$PTEST_MISC_DIR/script.pid\"\n\
                     echo started > \"$PTEST_SCRATCH/started\"\n\
                     i=0\n\
                     while [ ! -e \"$PTEST_SCRATCH/release\" ] && [ $i -lt 1500 ]; do sleep 0.02; i=$((i + 1)); done\n\
                     echo x > \"$PTEST_OUTFILE\"";

#[test]
fn a_second_ptest_on_the_same_directory_is_refused_clearly() {
    let s = TestSuite::new().sh("a", WAITS);
    let first = s.spawn(&["bless"]);
    await_file(s.scratch("started"), Duration::from_secs(20));
    for args in [
        vec!["test"],
        vec!["bless"],
        vec!["setup"],
        vec!["accept", "a"],
    ] {
        let run = s.ptest(&args);
        run.code(2).says(&[
            "another ptest is already running",
            &format!("pid {}", first.id()),
        ]);
        assert_eq!(run.stderr.lines().count(), 1, "{args:?}: {}", run.all());
    }
    // Locks are per test: what does not touch `a` goes on (`clean` locks only orphans;
    // `init` waits instead, see tests/shared_regdir.rs).
    s.ptest(&["clean", "--orphans"])
        .code(0)
        .says(&["no orphaned references"]);
    // The first run is unharmed.
    std::fs::write(s.scratch("release"), "").unwrap();
    finish(first, Duration::from_secs(20)).code(0);
    assert_eq!(read(s.blessed("a").join("a.out")), "x\n");
    // The lock went with it.
    s.ptest(&["test"]).code(0);
}

#[test]
fn the_lock_dies_with_a_killed_ptest() {
    let s = TestSuite::new().sh("a", WAITS);
    let first = s.spawn(&["bless"]);
    await_file(s.scratch("started"), Duration::from_secs(20));
    signal(first.id(), Signal::KILL);
    let _ = finish(first, Duration::from_secs(10));
    // The killed ptest's script lives on (nobody can clean up after a SIGKILL): end it.
    let orphan = read_pid(s.misc("a").join("script.pid"));
    let _ = rustix::process::kill_process_group(
        rustix::process::Pid::from_raw(orphan).unwrap(),
        Signal::KILL,
    );
    std::fs::write(s.scratch("release"), "").unwrap();
    s.ptest(&["bless"]).code(0);
}

/// Blocks (with a grandchild) when `$PTEST_SCRATCH/block` exists, after writing new output.
const BLOCKS: &str = "if [ ! -e \"$PTEST_SCRATCH/block\" ]; then echo old > \"$PTEST_OUTFILE\"; exit 0; fi\n\
                      echo new > \"$PTEST_OUTFILE\"\n\
                      sleep 600 &\n\
                      echo $! > \"$PTEST_MISC_DIR/grandchild.pid\"\n\
                      echo $$ > \"$PTEST_MISC_DIR/script.pid\"\n\
                      wait";

#[test]
fn ctrl_c_kills_the_scripts_keeps_references_and_prints_the_partial_summary() {
    let s = TestSuite::new()
        .sh("t1", BLOCKS)
        .sh("t2", BLOCKS)
        .sh("t3", BLOCKS);
    s.ptest(&["bless"]).code(0);
    std::fs::write(s.scratch("block"), "").unwrap();
    let child = s.spawn(&["bless", "-j", "2"]);
    let pid = child.id();
    // -j 2: two of the three start (which two depends on stored durations), one waits.
    let names = ["t1", "t2", "t3"];
    let started = |t: &str| s.misc(t).join("script.pid").exists();
    let deadline = Instant::now() + Duration::from_secs(20);
    while names.iter().filter(|t| started(t)).count() < 2 {
        assert!(Instant::now() < deadline, "two scripts did not start");
        std::thread::sleep(Duration::from_millis(1));
    }
    let running: Vec<&str> = names.iter().copied().filter(|t| started(t)).collect();
    assert_eq!(running.len(), 2, "-j 2 ran {running:?}");
    let waiting = names
        .iter()
        .copied()
        .find(|t| !running.contains(t))
        .unwrap();
    let pids: Vec<(i32, i32)> = running
        .iter()
        .map(|t| {
            let misc = s.misc(t);
            (
                read_pid(misc.join("script.pid")),
                read_pid(misc.join("grandchild.pid")),
            )
        })
        .collect();
    signal(pid, Signal::INT);
    let run = finish(child, Duration::from_secs(20));
    run.code(130);
    for (script, grandchild) in pids {
        assert!(gone(script), "script {script} survived Ctrl-C");
        assert!(gone(grandchild), "grandchild {grandchild} survived Ctrl-C");
    }
    // Partial summary: what ran was interrupted, what never started is said so.
    run.says(&["Summary", "interrupted", "ptest: interrupted"]);
    for t in &running {
        assert_eq!(run.status_of(t), "INTERRUPTED");
    }
    assert_eq!(run.status_of(waiting), "NOT RUN");
    run.says(&["2 interrupted, 1 not run"]);
    assert_eq!(
        run.stdout
            .lines()
            .last()
            .map(|l| l.starts_with("ptest: interrupted")),
        Some(true)
    );
    for t in ["t1", "t2", "t3"] {
        assert_eq!(read(s.blessed(t).join(format!("{t}.out"))), "old\n", "{t}");
    }
    assert_eq!(leftovers(&s), Vec::<String>::new());
    // The directory is usable right after.
    std::fs::remove_file(s.scratch("block")).unwrap();
    s.ptest(&["test"]).code(0);
}

#[test]
fn sigterm_to_ptest_behaves_like_ctrl_c() {
    let s = TestSuite::new().sh("t1", BLOCKS);
    s.ptest(&["bless"]).code(0);
    std::fs::write(s.scratch("block"), "").unwrap();
    let child = s.spawn(&["test"]);
    let misc = s.misc("t1");
    await_file(misc.join("grandchild.pid"), Duration::from_secs(20));
    let grandchild = read_pid(misc.join("grandchild.pid"));
    signal(child.id(), Signal::TERM);
    let run = finish(child, Duration::from_secs(20));
    run.code(130).says(&["Summary"]);
    assert!(gone(grandchild));
    assert_eq!(read(s.blessed("t1").join("t1.out")), "old\n");
}

#[test]
fn a_second_ctrl_c_kills_at_once_and_the_reports_say_interrupted() {
    // Script and grandchild survive SIGTERM: the first Ctrl-C alone would take the 5 s
    // grace period; the second must not.
    let s = TestSuite::new().sh(
        "stubborn",
        "trap 'echo x >> \"$PTEST_MISC_DIR/got-term\"' TERM\ntrap '' INT\n\
         sh -c 'trap \"\" TERM INT; while :; do sleep 0.05; done' &\n\
         echo $! > \"$PTEST_MISC_DIR/grandchild.pid\"\n\
         echo $$ > \"$PTEST_MISC_DIR/script.pid\"\n\
         while :; do sleep 0.05 || :; done",
    );
    // `test` needs an existing regression directory.
    s.ptest(&["init"]).code(0);
    let json = s.scratch("report.json");
    let junit = s.scratch("junit.xml");
    let child = s.spawn(&[
        "test",
        "--json",
        json.to_str().unwrap(),
        "--junit",
        junit.to_str().unwrap(),
    ]);
    let misc = s.misc("stubborn");
    await_file(misc.join("script.pid"), Duration::from_secs(20));
    let script = read_pid(misc.join("script.pid"));
    let grandchild = read_pid(misc.join("grandchild.pid"));
    signal(child.id(), Signal::INT);
    // The script notes the SIGTERM the first Ctrl-C sends its group, and carries on (the
    // whole line: the second Ctrl-C must not cut the note short).
    await_line(misc.join("got-term"));
    assert!(
        alive(script),
        "the script ignores SIGTERM; it should still run"
    );
    signal(child.id(), Signal::INT);
    let run = finish(child, Duration::from_secs(20));
    run.code(130);
    // The first Ctrl-C's SIGTERM reached the script once; the second one killed.
    assert_eq!(read(misc.join("got-term")), "x\n");
    assert!(gone(script) && gone(grandchild));
    let report: serde_json::Value = serde_json::from_str(&read(&json)).unwrap();
    assert_eq!(report["interrupted"], true);
    assert_eq!(report["tests"][0]["status"], "interrupted");
    roxmltree::Document::parse(&read(&junit)).expect("well-formed JUnit");
}

#[test]
fn ctrl_c_summary_counts_only_unfinished_tests_as_unfinished() {
    // -j 1, no stored durations: config order. `broken` finishes (errored) before
    // `blocker` starts and is interrupted.
    let s = TestSuite::new()
        .sh("broken", "exit 1")
        .sh("blocker", BLOCKS);
    std::fs::write(s.scratch("block"), "").unwrap();
    let child = s.spawn(&["bless", "-j", "1"]);
    let pid = read_pid(s.misc("blocker").join("script.pid"));
    signal(child.id(), Signal::INT);
    let run = finish(child, Duration::from_secs(20));
    run.code(130);
    assert!(gone(pid));
    assert_eq!(run.status_of("broken"), "ERROR");
    assert_eq!(run.status_of("blocker"), "INTERRUPTED");
    run.says(&[
        "1 errored, 1 interrupted",
        "ptest: interrupted; 1 of 2 test(s) did not finish",
    ]);
}

#[test]
fn hangup_kills_the_scripts_too() {
    // A closed terminal or SSH session sends SIGHUP: the emulators must not outlive it.
    let s = TestSuite::new().sh("t1", BLOCKS);
    std::fs::write(s.scratch("block"), "").unwrap();
    let child = s.spawn(&["bless"]);
    let misc = s.misc("t1");
    let grandchild = read_pid(misc.join("grandchild.pid"));
    let script = read_pid(misc.join("script.pid"));
    signal(child.id(), Signal::HUP);
    let run = finish(child, Duration::from_secs(20));
    assert!(
        gone(script),
        "script {script} survived SIGHUP\n{}",
        run.all()
    );
    assert!(gone(grandchild), "grandchild {grandchild} survived SIGHUP");
    assert!(!s.blessed("t1").join("t1.out").exists());
}
