//! `bless --repeat N` / `test --repeat N` (issue 22): nondeterministic outputs are found
//! before they become a reference, each varying spot named with a checked suggestion,
//! `--apply-suggestions` writes them, and the runs then agree.

mod common;

use std::time::Duration;

use common::{TestSuite, await_file, finish, read, signal};
use rustix::process::Signal;

/// A test printing a random host pointer, the time of day and a shuffled set of lines.
const NOISY: &str = r#"out="$PTEST_TMPOUT_DIR/out.txt"
echo "start" > "$out"
printf 'buffer at 0x7f%02x%08x\n' $(od -An -N1 -tu1 /dev/urandom) $(od -An -N4 -tu4 /dev/urandom) >> "$out"
echo "now $(date +%H:%M:%S.%N) here" >> "$out"
printf 'apple\npear\nfig\nplum\nkiwi\nlime\nsloe\ndate\n' | shuf >> "$out"
echo "end" >> "$out"
echo stable > "$PTEST_TMPOUT_DIR/same.txt""#;

#[test]
fn noisy_output_is_refused_then_fixed_by_the_applied_suggestions() {
    let s = TestSuite::new()
        .sh("noisy", NOISY)
        .test_toml("noisy", "# the test's own settings\ntimeout = \"30s\"\n");
    let run = s.ptest(&["bless", "--repeat", "3"]);
    run.code(100);
    assert_eq!(run.status_of("noisy"), "FAIL");
    run.says(&[
        "not blessed: the 3 runs disagree in 1 file(s)",
        "out.txt: differs between the 3 runs",
        // The three spots, each with its suggestion.
        "line 2 varies at …: buffer at …",
        "preset = \"host-pointers\"",
        "line 3 varies at …: now … here",
        r"regex = '\b(now )\d{1,2}:\d{2}(?::\d{2}(?:[.,]\d+)?)?'",
        "\"out.txt\" = \"sorted\"",
        "together they make all 3 runs agree",
    ]);
    // Shuffles may leave a line where it was in all three runs: up to 8 lines move.
    let all = run.all();
    let moved = all
        .split("the order of ")
        .nth(1)
        .and_then(|rest| rest.split(' ').next())
        .and_then(|n| n.parse::<usize>().ok());
    assert!(
        moved.is_some_and(|n| (2..=8).contains(&n)) && all.contains("lines varies"),
        "{all}"
    );
    run.never_says("same.txt");
    assert!(
        !s.blessed("noisy").join("out.txt").exists(),
        "blessed anyway"
    );

    let run = s.ptest(&["bless", "--repeat", "3", "--apply-suggestions"]);
    run.code(100);
    run.says(&[
        "wrote 3 suggestion(s) into",
        "under the new rules all 3 runs agree",
    ]);
    let toml = read(s.dir.join("noisy/test.toml"));
    assert!(
        toml.starts_with("# the test's own settings\ntimeout = \"30s\"\n"),
        "{toml}"
    );
    assert!(toml.contains("[compare.modes]"), "{toml}");

    s.ptest(&["bless", "--repeat", "3"])
        .code(0)
        .says(&["blessed 2 new file(s)"]);
    assert!(s.blessed("noisy").join("out.txt").exists());
    let run = s.ptest(&["test", "--repeat", "5"]);
    run.code(0).says(&["all 5 runs agree"]);
    assert_eq!(run.status_of("noisy"), "PASS");
}

#[test]
fn test_repeat_reports_a_varying_test_as_flaky_in_the_terminal_and_the_json_report() {
    let s = TestSuite::new().sh(
        "coin",
        "echo \"value $(od -An -N4 -tu4 /dev/urandom | tr -d ' ')\" > \"$PTEST_OUTFILE\"",
    );
    s.ptest(&["bless"]).code(0);
    let json = s.scratch("report.json");
    let html = s.scratch("report.html");
    let run = s.ptest(&[
        "--json",
        json.to_str().unwrap(),
        "--html",
        html.to_str().unwrap(),
        "test",
        "--repeat",
        "3",
    ]);
    run.code(100);
    run.says(&["ptest test: 1 of 1 test(s) FAILED"]);
    assert!(read(&html).contains("What varied between its 3 runs"));
    assert_eq!(run.status_of("coin"), "FLAKY");
    run.says(&[
        "flaky: its",
        "varied across the 3 runs",
        "varies at …: value …",
    ]);
    let report: serde_json::Value = serde_json::from_str(&read(&json)).unwrap();
    let variation = &report["tests"][0]["variation"];
    assert_eq!(variation["runs"], 3);
    let spot = &variation["files"][0]["spots"][0];
    assert_eq!(spot["spot"], "token");
    assert_eq!(spot["suggestion"]["kind"], "filter");
    assert_eq!(spot["suggestion"]["regex"], r"\b(value )-?\d+(?:\.\d+)?");
}

#[test]
fn a_run_whose_script_fails_is_an_error_not_nondeterminism() {
    // Fails on its second run only.
    let s = TestSuite::new().sh(
        "breaks",
        "n=$(cat \"$PTEST_SCRATCH/count\" 2>/dev/null || echo 0); n=$((n+1)); echo $n > \"$PTEST_SCRATCH/count\"\n\
         [ $n -ne 2 ] || exit 3\necho same > \"$PTEST_OUTFILE\"",
    );
    let run = s.ptest(&["bless", "--repeat", "3"]);
    run.code(100);
    assert_eq!(run.status_of("breaks"), "ERROR");
    run.says(&["run 2 of 3:"]).never_says("differs between");
    assert!(!s.blessed("breaks").exists() || read_dir_empty(&s.blessed("breaks")));
}

fn read_dir_empty(dir: &std::path::Path) -> bool {
    std::fs::read_dir(dir).map_or(true, |mut d| d.next().is_none())
}

#[test]
fn too_few_or_absurd_repeats_are_one_line_errors() {
    let s = TestSuite::new().sh("a", "echo x > \"$PTEST_OUTFILE\"");
    for (n, says) in [
        ("1", "cannot disagree; give 2 or more"),
        ("0", "cannot disagree"),
        ("100000", "from 2 to 1000"),
        ("three", "from 2 to 1000"),
    ] {
        let run = s.ptest(&["bless", "--repeat", n]);
        run.code(2).says(&[says]);
        assert_eq!(
            run.stderr
                .lines()
                .filter(|l| l.starts_with("error"))
                .count(),
            1,
            "{}",
            run.all()
        );
    }
    s.ptest(&["setup", "--repeat", "2"])
        .code(2)
        .says(&["--repeat is for bless and test"]);
    s.ptest(&["bless", "--apply-suggestions"]).code(2);
}

#[test]
fn ctrl_c_during_a_repeat_exits_130_and_blesses_nothing() {
    // The second run waits for Ctrl-C.
    let s = TestSuite::new().sh(
        "slow",
        "n=$(cat \"$PTEST_SCRATCH/count\" 2>/dev/null || echo 0); n=$((n+1)); echo $n > \"$PTEST_SCRATCH/count\"\n\
         echo same > \"$PTEST_OUTFILE\"\n\
         if [ $n -eq 2 ]; then touch \"$PTEST_SCRATCH/second\"; sleep 30; fi",
    );
    let child = s.spawn(&["bless", "--repeat", "3"]);
    await_file(s.scratch("second"), Duration::from_secs(20));
    signal(child.id(), Signal::INT);
    let run = finish(child, Duration::from_secs(20));
    run.code(130);
    assert!(!s.blessed("slow").exists() || read_dir_empty(&s.blessed("slow")));
}
