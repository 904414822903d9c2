//! Every command on small suites: init, setup, bless, test, accept, list, diff,
//! clean --orphans; the default command, `all`, options around the command, `--failed`,
//! and an existing-style suite of Python 3 scripts using `ptest_utils`.

mod common;

use common::{TestSuite, read};

/// A test whose output is the content of `$PTEST_SCRATCH/NAME.value` (default "one").
fn echoing(s: TestSuite, name: &str) -> TestSuite {
    s.sh(
        name,
        &format!(
            "v=$PTEST_SCRATCH/{name}.value\n\
             if [ -e \"$v\" ]; then cat \"$v\"; else echo one; fi > \"$PTEST_OUTFILE\""
        ),
    )
}

fn set_value(s: &TestSuite, name: &str, value: &str) {
    std::fs::write(s.scratch(&format!("{name}.value")), value).unwrap();
}

#[test]
fn init_creates_the_layout_and_runs_every_setup() {
    let s = TestSuite::new()
        .sh("a", "true")
        .setup_sh(
            "a",
            "echo recording > \"$PTEST_REPLAY_DIR/a-rr-nondet.log\"",
        )
        .sh("b", "true")
        .line("#c");
    s.ptest(&["init"]).code(0).says(&["ready"]);
    for dir in [
        "qcows",
        "replays/a",
        "blessed/a",
        "tmpout/a",
        "misc/b",
        "logs/b",
    ] {
        assert!(s.reg.join(dir).is_dir(), "{dir} not created");
    }
    assert!(
        !s.reg.join("blessed/c").exists(),
        "disabled test got folders"
    );
    assert_eq!(read(s.reg.join("replays/a/a-rr-nondet.log")), "recording\n");
    // b has no setup script: nothing to set up is a success.
    assert_eq!(s.ptest(&["setup", "b"]).code(0).status_of("b"), "PASS");
}

#[test]
fn setup_runs_only_setup_scripts() {
    let s = TestSuite::new()
        .sh(
            "a",
            "echo ran > \"$PTEST_SCRATCH/test-ran\"; echo x > \"$PTEST_OUTFILE\"",
        )
        .setup_sh("a", "echo \"$PTEST_MODE\" > \"$PTEST_SCRATCH/setup-ran\"");
    s.ptest(&["setup"]).code(0);
    assert_eq!(read(s.scratch("setup-ran")), "setup\n");
    assert!(!s.scratch("test-ran").exists(), "setup ran the test script");
    assert!(!s.blessed("a").join("a.out").exists());
}

#[test]
fn bless_then_test_passes_and_test_is_the_default_command() {
    let s = echoing(echoing(TestSuite::new(), "a"), "b");
    s.ptest(&["bless"]).code(0).says(&[
        "blessed 1 new file(s)",
        "ptest bless: all 2 test(s) succeeded",
    ]);
    assert_eq!(read(s.blessed("a").join("a.out")), "one\n");
    s.ptest(&["test"])
        .code(0)
        .says(&["ptest test: all 2 test(s) succeeded"]);
    // No command: `test` on every enabled test.
    let run = s.ptest::<&str>(&[]);
    run.code(0).says(&["ptest: testing 2 test(s)"]);
    // A name without a command: `test` on that test only; `all` means every test.
    s.ptest(&["b"])
        .code(0)
        .says(&["testing 1 test(s)", "] b"])
        .never_says("] a");
    s.ptest(&["all"]).code(0).says(&["testing 2 test(s)"]);
    s.ptest(&["test", "all"])
        .code(0)
        .says(&["testing 2 test(s)"]);
    // A change in the output is caught by the default command too.
    set_value(&s, "a", "two\n");
    s.ptest::<&str>(&[]).code(100);
}

#[test]
fn bless_prints_what_changed_against_the_old_reference() {
    let s = echoing(TestSuite::new(), "a");
    s.ptest(&["bless"]).code(0);
    s.ptest(&["bless"])
        .code(0)
        .says(&["unchanged from the old reference"]);
    set_value(&s, "a", "two\n");
    s.ptest(&["bless"])
        .code(0)
        .says(&["vs the old reference: 1 file(s) differ", "-one", "+two"]);
    assert_eq!(read(s.blessed("a").join("a.out")), "two\n");
}

#[test]
fn options_go_before_or_after_the_command() {
    let s = echoing(echoing(TestSuite::new(), "a"), "b");
    s.ptest(&["-j", "1", "--timeout", "20m", "bless"])
        .code(0)
        .says(&["1 at a time"]);
    s.ptest(&["test", "-j", "1", "--timeout", "20m"])
        .code(0)
        .says(&["1 at a time"]);
    s.ptest(&["--suite", ".", "test", "a", "-j", "2"])
        .code(0)
        .says(&["testing 1 test(s), 2 at a time"]);
    s.ptest(&["-j", "2", "a", "b"])
        .code(0)
        .says(&["testing 2 test(s)"]);
    // The regression directory as an option instead of the environment.
    let other = s.scratch("other-reg");
    let other = other.to_str().unwrap();
    s.cmd()
        .env_remove("PANDA_REGRESSION_DIR")
        .args(["bless", "--regression-dir", other])
        .assert()
        .code(0);
    assert!(s.scratch("other-reg/blessed/a/a.out").is_file());
}

#[test]
fn unknown_test_name_is_a_usage_error() {
    let s = echoing(TestSuite::new(), "a");
    s.ptest(&["test", "nope"])
        .code(2)
        .says(&["unknown test \"nope\"", "config.testing"]);
}

#[test]
fn accept_promotes_the_last_test_run_without_rerunning() {
    let s = echoing(echoing(TestSuite::new(), "a"), "b");
    s.ptest(&["bless"]).code(0);
    set_value(&s, "a", "two\n");
    s.ptest(&["test"]).code(100);
    // Make a re-run detectable: accept must not run the script again.
    set_value(&s, "a", "three\n");
    s.ptest(&["accept"])
        .code(0)
        .says(&["accepted a: 1 file(s)"])
        .never_says("accepted b");
    assert_eq!(read(s.blessed("a").join("a.out")), "two\n");
    s.ptest(&["accept", "a"])
        .code(2)
        .says(&["already accepted"]);
    set_value(&s, "a", "two\n");
    s.ptest(&["test"]).code(0);
}

#[test]
fn accept_refuses_runs_whose_script_failed() {
    let s = TestSuite::new().sh(
        "a",
        "echo out > \"$PTEST_OUTFILE\"\n[ ! -e \"$PTEST_SCRATCH/fail\" ]",
    );
    s.ptest(&["bless"]).code(0);
    std::fs::write(s.scratch("fail"), "").unwrap();
    s.ptest(&["test"]).code(100);
    s.ptest(&["accept", "a"])
        .code(2)
        .says(&["not accepting a", "did not exit 0"]);
    assert_eq!(read(s.blessed("a").join("a.out")), "out\n");
    // Nothing to accept when nothing failed on a mismatch.
    s.ptest(&["accept"]).code(0).says(&["nothing to accept"]);
}

#[test]
fn accept_keeps_a_run_that_had_no_reference_yet() {
    let s = echoing(TestSuite::new(), "a");
    // `test` never creates the regression directory (a mistyped path would get one).
    s.ptest(&["test"])
        .code(2)
        .says(&["does not exist", "ptest init"]);
    s.ptest(&["init"]).code(0);
    s.ptest(&["test"])
        .code(100)
        .says(&["no blessed reference", "ptest accept a"]);
    s.ptest(&["accept", "a"]).code(0).says(&["accepted a"]);
    assert_eq!(read(s.blessed("a").join("a.out")), "one\n");
    s.ptest(&["test"]).code(0);
}

#[test]
fn accept_never_replaces_a_reference_with_nothing() {
    let s = TestSuite::new().sh(
        "a",
        "[ -e \"$PTEST_SCRATCH/empty\" ] || echo out > \"$PTEST_OUTFILE\"",
    );
    s.ptest(&["bless"]).code(0);
    std::fs::write(s.scratch("empty"), "").unwrap();
    s.ptest(&["test"]).code(100).says(&["produced no output"]);
    s.ptest(&["accept", "a"])
        .code(2)
        .says(&["not accepting a", "no files"]);
    assert_eq!(read(s.blessed("a").join("a.out")), "out\n");
}

#[test]
fn list_shows_tests_scripts_references_last_runs_and_orphans() {
    let s = echoing(echoing(TestSuite::new(), "a"), "gone")
        .setup_sh("a", "true")
        .line("#off")
        .line("nofolder");
    s.ptest(&["bless", "a", "gone"]).code(0);
    s.ptest(&["test", "a"]).code(0);
    // `gone` leaves config.testing: its reference becomes an orphan.
    std::fs::write(s.dir.join("config.testing"), "a\n#off\nnofolder\n").unwrap();
    let run = s.ptest(&["list"]);
    run.code(0);
    let line = |name: &str| {
        run.stdout
            .lines()
            .find(|l| l.split_whitespace().next() == Some(name))
            .unwrap_or_else(|| panic!("{name} not listed:\n{}", run.stdout))
            .to_string()
    };
    let a = line("a");
    assert!(
        a.contains("enabled") && a.contains("setup+test") && a.contains("1 file(s)"),
        "{a}"
    );
    assert!(a.contains("test passed"), "{a}");
    assert!(line("off").contains("disabled"), "{}", line("off"));
    assert!(
        line("nofolder").contains("test missing"),
        "{}",
        line("nofolder")
    );
    run.says(&["orphaned references", "gone", "ptest clean --orphans"]);
    // Listing is read-only: the orphan is still there.
    assert!(s.blessed("gone").join("gone.out").is_file());
}

#[test]
fn list_works_without_a_regression_directory() {
    let s = echoing(TestSuite::new(), "a");
    s.cmd()
        .env_remove("PANDA_REGRESSION_DIR")
        .arg("list")
        .assert()
        .code(0)
        .stdout(predicates::str::contains("a "))
        .stdout(predicates::str::contains("no regression directory"));
}

#[test]
fn diff_shows_the_last_runs_differences_again() {
    let s = echoing(echoing(TestSuite::new(), "a"), "b");
    s.ptest(&["bless"]).code(0);
    s.ptest(&["diff"]).code(0).says(&["no differences"]);
    set_value(&s, "a", "one\ntwo\n");
    s.ptest(&["test"]).code(100);
    // Changing the output now must not change what `diff` shows: it is the last run's.
    set_value(&s, "a", "zzz\n");
    let run = s.ptest(&["diff"]);
    run.code(0).says(&["a: failed", "+two"]).never_says("zzz");
    s.ptest(&["diff", "a"]).code(0).says(&["+two"]);
    s.ptest(&["diff", "b"])
        .code(0)
        .says(&["b: passed"])
        .never_says("+two");
}

#[test]
fn diff_renders_the_stored_difference_and_compares_again_only_what_was_cut() {
    let s = echoing(TestSuite::new(), "a").test_toml("a", "[compare]\ndiff-lines = 3\n");
    s.ptest(&["bless"]).code(0);
    set_value(&s, "a", "two\n");
    s.ptest(&["test"]).code(100);
    // Not cut: shown from the state, whatever tmpout/ holds now.
    std::fs::write(s.tmpout("a").join("a.out"), "edited\n").unwrap();
    s.ptest(&["diff", "a"])
        .code(0)
        .says(&["-one", "+two"])
        .never_says("edited");
    // Cut by `diff-lines`: compared again from tmpout/, uncut.
    let lines: String = (1..=10).map(|i| format!("l{i}\n")).collect();
    set_value(&s, "a", &lines);
    s.ptest(&["test"]).code(100).says(&["more diff lines cut"]);
    s.ptest(&["diff", "a"])
        .code(0)
        .says(&["+l10"])
        .never_says("more diff lines cut");
}

#[test]
fn diff_words_missing_and_unexpected_files_as_test_does() {
    let s = TestSuite::new().sh(
        "a",
        "for f in $(cat \"$PTEST_SCRATCH/files\"); do echo x > \"$PTEST_TMPOUT_DIR/$f\"; done",
    );
    std::fs::write(s.scratch("files"), "kept.out gone.out\n").unwrap();
    s.ptest(&["bless"]).code(0);
    std::fs::write(s.scratch("files"), "kept.out new.out\n").unwrap();
    let lines = [
        "gone.out: blessed, but the new run did not produce it",
        "new.out: produced by the new run, but not in the blessed reference",
    ];
    s.ptest(&["test"]).code(100).says(&lines);
    // Recomputed from tmpout/, then read back from state.json once tmpout/ is gone.
    s.ptest(&["diff", "a"]).code(0).says(&lines);
    std::fs::remove_dir_all(s.tmpout("a")).unwrap();
    s.ptest(&["diff", "a"]).code(0).says(&lines);
}

#[test]
fn clean_orphans_removes_only_references_of_tests_not_in_config_testing() {
    let s = echoing(echoing(echoing(TestSuite::new(), "a"), "gone"), "off");
    s.ptest(&["bless"]).code(0);
    std::fs::write(s.dir.join("config.testing"), "a\n#off\n").unwrap();
    // No other command removes an orphan as a side effect.
    s.ptest(&["bless"]).code(0);
    s.ptest(&["test"]).code(0);
    s.ptest(&["init"]).code(0);
    assert!(s.blessed("gone").join("gone.out").is_file());
    s.ptest(&["clean"]).code(2).says(&["--orphans"]);
    assert!(s.blessed("gone").join("gone.out").is_file());
    // Without --yes it only lists.
    s.ptest(&["clean", "--orphans"])
        .code(0)
        .says(&["blessed/gone", "nothing removed", "--yes"])
        .never_says("removed orphaned");
    assert!(s.blessed("gone").join("gone.out").is_file());
    s.ptest(&["clean", "--orphans", "--yes"])
        .code(0)
        .says(&["removed orphaned reference"]);
    assert!(!s.blessed("gone").exists());
    // A disabled test is still in config.testing: not an orphan.
    assert!(s.blessed("off").join("off.out").is_file());
    assert!(s.blessed("a").join("a.out").is_file());
    s.ptest(&["clean", "--orphans", "--yes"])
        .code(0)
        .says(&["no orphaned references"]);
}

#[test]
fn clean_orphans_keeps_a_disabled_test_with_a_trailing_comment() {
    let s = echoing(echoing(echoing(TestSuite::new(), "a"), "b"), "c");
    s.ptest(&["bless"]).code(0);
    // ptest.py's reading: a stripped line starting with `#` is disabled.
    std::fs::write(
        s.dir.join("config.testing"),
        "a\n#b  # flaky, see issue 12\n  #c flaky too\n",
    )
    .unwrap();
    s.ptest(&["clean", "--orphans", "--yes"])
        .code(0)
        .says(&["no orphaned references"]);
    assert!(s.blessed("b").join("b.out").is_file());
    assert!(s.blessed("c").join("c.out").is_file());
    let list = s.ptest(&["list"]);
    assert!(
        list.code(0)
            .stdout
            .lines()
            .any(|l| l.starts_with("b ") && l.contains("disabled"))
    );
}

#[test]
fn clean_orphans_refuses_when_config_testing_lists_no_test() {
    let s = echoing(TestSuite::new(), "a");
    s.ptest(&["bless"]).code(0);
    for text in ["", "\n\n", "# nothing here yet, see the wiki\n"] {
        std::fs::write(s.dir.join("config.testing"), text).unwrap();
        let run = s.ptest(&["clean", "--orphans", "--yes"]);
        run.code(2)
            .says(&["config.testing", "lists no test", "refusing"]);
        assert_eq!(run.stderr.lines().count(), 1, "{}", run.all());
        assert!(s.blessed("a").join("a.out").is_file());
    }
}

#[test]
fn failed_reruns_only_tests_that_did_not_pass() {
    let s = echoing(echoing(echoing(TestSuite::new(), "a"), "b"), "c");
    s.ptest(&["bless"]).code(0);
    set_value(&s, "b", "changed\n");
    s.ptest(&["test"]).code(100);
    let run = s.ptest(&["test", "--failed"]);
    run.code(100).says(&["testing 1 test(s)", "] b"]);
    run.never_says("] a").never_says("] c");
    // bless --failed re-blesses just b; afterwards nothing failed.
    s.ptest(&["bless", "--failed"])
        .code(0)
        .says(&["blessing 1 test(s)"]);
    s.ptest(&["test"]).code(0);
    s.ptest(&["test", "--failed"])
        .code(0)
        .says(&["no test failed"]);
}

#[test]
fn disabled_tests_are_never_run_unless_named() {
    let s = echoing(TestSuite::new(), "a");
    let s = echoing(s, "off");
    std::fs::write(s.dir.join("config.testing"), "a\n#off\n").unwrap();
    s.ptest(&["bless"]).code(0).says(&["blessing 1 test(s)"]);
    assert!(!s.blessed("off").join("off.out").exists());
}

/// An existing-style suite: ptest.py's `testing/tests/` layout, `#!/usr/bin/python`
/// shebangs, Python 3 scripts using the `ptest_utils` names, run from `testing/`.
#[test]
fn existing_style_python_suite_runs_unchanged() {
    let s = TestSuite::new();
    let tests = s.dir.join("tests");
    std::fs::create_dir_all(&tests).unwrap();
    std::fs::rename(s.dir.join("config.testing"), tests.join("config.testing")).unwrap();
    std::fs::write(tests.join("config.testing"), "strings1\n#taint1\n").unwrap();
    s.write(
        "tests/strings1/strings1-setup.py",
        r#"#!/usr/bin/python
import os
from ptest_utils import *

progress("Creating setup recording for " + testname)
dir_required(replaydir)
create_search_string_file("hello")
with open(os.path.join(replaydir, testname + "-rr-nondet.log"), "w") as f:
    f.write("fake replay\n")
"#,
    );
    s.write(
        "tests/strings1/strings1-test.py",
        r#"#!/usr/bin/python

import os
import subprocess as sp
import sys
import re
import shutil

thisdir = os.path.dirname(os.path.realpath(__file__))
td = os.path.realpath(thisdir + "/../..")
sys.path.append(td)

from ptest_utils import *

replay = os.path.join(replaydir, testname + "-rr-nondet.log")
file_required(replay)
file_required(search_string_file)
with open(search_string_file) as f:
    needle = f.read().strip()
progress("Running test " + testname)
with open(tmpoutfile, "w") as out:
    out.write("searched %s in %s\n" % (needle, os.path.basename(replay)))
    out.write("enabled %s disabled %s\n" % (enabled_tests, disabled_tests))
    out.write("value %s\n" % os.environ.get("VALUE", "1"))
"#,
    );
    s.ptest(&["init"]).code(0);
    s.ptest(&["bless"]).code(0);
    let out = read(s.blessed("strings1").join("strings1.out"));
    assert_eq!(
        out,
        "searched hello in strings1-rr-nondet.log\nenabled ['strings1'] disabled ['#taint1']\nvalue 1\n"
    );
    s.ptest(&["test"]).code(0);
    s.cmd().env("VALUE", "2").arg("test").assert().code(100);
    // As with ptest.py: `cd testing/tests && ptest test` works too.
    s.cmd().current_dir(&tests).arg("test").assert().code(0);
    // The script's progress() lines land in the log.
    let log = read(s.reg.join("logs/strings1/test.log"));
    assert!(log.contains("[ptest] Running test strings1"), "{log}");
}

#[test]
fn verbose_streams_script_output_live_and_still_logs_it() {
    let s = TestSuite::new().sh(
        "a",
        "echo 'hello from the script'\necho x > \"$PTEST_OUTFILE\"",
    );
    s.ptest(&["bless", "-v"])
        .code(0)
        .says(&["[a] hello from the script"]);
    assert!(read(s.reg.join("logs/a/bless.log")).contains("hello from the script"));
    // Without -v, the output is captured, not shown, for a passing test.
    s.ptest(&["bless"])
        .code(0)
        .never_says("hello from the script");
}

#[test]
fn colour_follows_no_color_and_the_color_option() {
    let s = echoing(TestSuite::new(), "a");
    s.ptest(&["bless"]).code(0);
    set_value(&s, "a", "two\n");
    // Not a terminal and NO_COLOR set: plain text.
    let plain = s.ptest(&["test"]);
    plain.code(100);
    assert!(!plain.all().contains('\x1b'), "{}", plain.all());
    s.ptest(&["test", "--color", "never"])
        .code(100)
        .never_says("\x1b");
    let coloured = s.ptest(&["test", "--color", "always"]);
    coloured.code(100).says(&["\x1b["]);
}

#[test]
fn script_kinds_sh_without_x_extensionless_and_old_shebangs() {
    let s = TestSuite::new().line("shell").line("binary").line("oldpy");
    // A .sh that is not executable runs with /bin/sh.
    s.write("shell/shell-test.sh", "echo sh > \"$PTEST_OUTFILE\"\n");
    // An extension-less executable runs directly.
    s.exe(
        "binary/binary-test",
        "#!/bin/sh\necho bin > \"$PTEST_OUTFILE\"\n",
    );
    // A .py whose shebang names a Python that does not exist still runs with python3.
    s.exe(
        "oldpy/oldpy-test.py",
        "#!/nonexistent/python2\nfrom ptest_utils import *\nopen(tmpoutfile, 'w').write('py\\n')\n",
    );
    s.ptest(&["bless"]).code(0);
    assert_eq!(read(s.blessed("shell").join("shell.out")), "sh\n");
    assert_eq!(read(s.blessed("binary").join("binary.out")), "bin\n");
    assert_eq!(read(s.blessed("oldpy").join("oldpy.out")), "py\n");
}

#[test]
fn failing_setup_makes_init_fail() {
    let s = echoing(TestSuite::new(), "a").setup_sh("a", "echo 'no qcow' >&2; exit 1");
    s.ptest(&["init"]).code(100).says(&[
        "a-setup.sh exited with code 1",
        "no qcow",
        "logs/a/setup.log",
    ]);
}

/// The whole plain (not a terminal) output of a session: one line per finished test,
/// details only for what went wrong, and a last line saying whether all succeeded.
#[test]
fn plain_output_of_a_session() {
    let s = echoing(echoing(TestSuite::new(), "alpha"), "beta")
        .sh("gamma", "echo 'gamma is broken' >&2; exit 2")
        .line("#delta");
    let mut transcript = String::new();
    for args in [
        &["bless", "-j", "1"][..],
        &["test", "-j", "1"],
        &["list"],
        &["diff"],
        &["accept"],
    ] {
        if args[0] == "test" {
            set_value(&s, "beta", "one\nand more\n");
        }
        let run = s.ptest(args);
        transcript.push_str(&format!(
            "$ ptest {} (exit {})\n{}{}\n",
            args.join(" "),
            run.status.code().unwrap_or(-1),
            run.stdout,
            run.stderr
        ));
    }
    // Durations in `list` are rounded to 0.1 s: redact them too.
    let list_secs = regex::Regex::new(r"\(\d+\.\ds\)").unwrap();
    let transcript = list_secs
        .replace_all(&s.redact(&transcript), "(T.Ts)")
        .into_owned();
    insta::assert_snapshot!(transcript);
}

/// Run `ptest ARGS` on a pseudo-terminal (util-linux `script`). A machine without it
/// fails the test with the fix: a skipped check must not count as a pass.
fn on_terminal(s: &TestSuite, args: &str, no_color: bool) -> (i32, String) {
    let script = ["/usr/bin/script", "/bin/script"]
        .into_iter()
        .find(|p| std::path::Path::new(p).exists())
        .expect(
            "this test needs util-linux's `script` (/usr/bin/script) for a pseudo-terminal: \
             install bsdutils/util-linux (scripts/install-deps does)",
        );
    let mut cmd = std::process::Command::new(script);
    cmd.args(["-qec", &format!("{} {args}", common::PTEST), "/dev/null"])
        .current_dir(&s.dir)
        .env("PANDA_REGRESSION_DIR", &s.reg)
        .env("PTEST_SCRATCH", s.tmp.path())
        .env_remove("NO_COLOR")
        .stdin(std::process::Stdio::null());
    if no_color {
        cmd.env("NO_COLOR", "1");
    }
    let out = cmd
        .output()
        .unwrap_or_else(|e| panic!("could not start {script}: {e}"));
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
    )
}

#[test]
fn on_a_terminal_progress_is_live_and_colour_follows_no_color() {
    let s = echoing(echoing(TestSuite::new(), "a"), "b");
    s.ptest(&["bless"]).code(0);
    let (code, out) = on_terminal(&s, "test", false);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("2/2"), "no progress display:\n{out}");
    assert!(out.contains("\x1b[32m"), "no colour on a terminal:\n{out}");
    assert!(
        out.trim_end()
            .ends_with("ptest test: all 2 test(s) succeeded\x1b[0m"),
        "{out:?}"
    );
    let (code, out) = on_terminal(&s, "test", true);
    assert_eq!(code, 0, "{out}");
    assert!(
        !out.contains("\x1b[32m") && !out.contains("\x1b[31m"),
        "{out:?}"
    );
    set_value(&s, "a", "two\n");
    let (code, _) = on_terminal(&s, "test", true);
    assert_eq!(code, 100);
}

#[test]
fn output_into_a_closed_pipe_is_no_panic() {
    // `ptest list | head -1`: the reader goes away while ptest still writes.
    let s = TestSuite::new();
    let names: Vec<String> = (0..3000).map(|i| format!("test{i}")).collect();
    std::fs::write(s.dir.join("config.testing"), names.join("\n")).unwrap();
    for args in [&["list"][..], &["diff", "all"]] {
        if args[0] == "diff" {
            std::fs::create_dir_all(&s.reg).unwrap();
        }
        let mut child = s.spawn(args).into_child();
        let mut stdout = child.stdout.take().unwrap();
        let mut first = [0u8; 16];
        std::io::Read::read_exact(&mut stdout, &mut first).unwrap();
        drop(stdout);
        let out = child.wait_with_output().unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(!stderr.contains("panicked"), "{args:?}: {stderr}");
        assert_ne!(out.status.code(), Some(101), "{args:?}: {stderr}");
    }
}

#[test]
fn a_notice_from_inside_a_script_reaches_the_terminal_with_its_test() {
    // What `ptest record` does when it must wait for an image: a datagram to the socket
    // ptest names in PTEST_NOTICE_SOCKET.
    let s = TestSuite::new().py(
        "t",
        "import os, socket\n\
         s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)\n\
         s.sendto(b't\\twaiting for image i386 (held by pid 42)', os.environ['PTEST_NOTICE_SOCKET'])\n\
         open(os.environ['PTEST_OUTFILE'], 'w').write('x')\n",
    );
    s.ptest(&["bless"])
        .code(0)
        .says(&["NOTE t: waiting for image i386 (held by pid 42)"]);
}

#[test]
fn bless_after_setup_without_init_stores_the_reference() {
    // `setup` on an empty directory makes only what setup needs; bless must still work.
    let s = TestSuite::new().sh("a", "echo x > \"$PTEST_OUTFILE\"");
    std::fs::create_dir_all(&s.reg).unwrap();
    s.ptest(&["setup"]).code(0);
    s.ptest(&["bless"]).code(0);
    assert_eq!(read(s.blessed("a").join("a.out")), "x\n");
}

#[test]
fn engine_commands_refuse_a_broken_ptest_toml_instead_of_ignoring_it() {
    let s = TestSuite::new()
        .sh("a", "echo x > \"$PTEST_OUTFILE\"")
        .ptest_toml("timeout = \n");
    let run = s.ptest(&["images", "list"]);
    run.code(2).says(&["ptest.toml:1"]);
}
