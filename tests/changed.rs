//! `ptest test --changed`: a test whose inputs are unchanged since its last pass is a
//! cached pass (not run); a test whose script, declared input, imported module, reference
//! or settings changed runs, and says why; a test that ran an emulator itself always
//! runs. The cached pass is shown in the terminal, JSON, JUnit and HTML reports.

mod common;

use common::*;

/// Two passing tests, blessed and tested once (so both have a pass with inputs).
fn tested_suite() -> TestSuite {
    let s = TestSuite::new()
        .sh("alpha", "echo alpha > \"$PTEST_OUTFILE\"")
        .sh("bravo", "echo bravo > \"$PTEST_OUTFILE\"");
    s.ptest(&["bless"]).code(0);
    s.ptest(&["test"]).code(0);
    s
}

#[test]
fn unchanged_tests_are_cached_passes_without_running() {
    let s = tested_suite();
    // A marker each script would leave, had it run.
    for t in ["alpha", "bravo"] {
        s.write(
            &format!("{t}/{t}-test.sh"),
            &sh_script(&format!(
                "touch \"$PTEST_SCRATCH/{t}-ran\"\necho {t} > \"$PTEST_OUTFILE\""
            )),
        );
    }
    s.ptest(&["test"]).code(0);
    for t in ["alpha", "bravo"] {
        std::fs::remove_file(s.tmp.path().join(format!("{t}-ran"))).expect("it ran");
    }

    let run = s.ptest(&["test", "--changed"]);
    run.code(0).says(&[
        "2 test(s): 2 cached",
        "--changed: 2 verdict(s) reused from earlier passes",
    ]);
    assert_eq!(run.status_of("alpha"), "CACHED");
    assert_eq!(run.status_of("bravo"), "CACHED");
    assert!(
        run.line_of("alpha")
            .contains("inputs unchanged since its pass of")
    );
    for t in ["alpha", "bravo"] {
        assert!(!s.tmp.path().join(format!("{t}-ran")).exists(), "{t} ran");
    }
}

#[test]
fn a_changed_script_reference_or_setting_runs_that_test_only_and_says_why() {
    let s = tested_suite();
    s.write(
        "alpha/alpha-test.sh",
        &sh_script("echo alpha > \"$PTEST_OUTFILE\" # edited"),
    );
    let run = s.ptest(&["test", "--changed"]);
    run.code(0)
        .says(&["--changed: alpha runs: test file alpha-test.sh changed"]);
    assert_eq!(run.status_of("alpha"), "PASS");
    assert_eq!(run.status_of("bravo"), "CACHED");

    // The reference, changed outside ptest (a checkout of the references' repository).
    std::fs::write(s.blessed("bravo").join("bravo.out"), "bravo2\n").unwrap();
    s.ptest(&["list", "--changed"]).code(0).says(&[
        "alpha                    cached",
        "bravo                    runs      blessed file bravo.out changed",
        "1 test(s) would run, 1 would reuse their last pass",
    ]);
    // Re-blessed: the last run is a bless, no test pass to reuse.
    s.write(
        "bravo/bravo-test.sh",
        &sh_script("echo bravo2 > \"$PTEST_OUTFILE\""),
    );
    s.ptest(&["bless", "bravo"]).code(0);
    s.ptest(&["test", "--changed"])
        .code(0)
        .says(&["bravo runs: its last run (bless passed) is no pass to reuse"]);

    // The environment the test is given.
    s.write("alpha/test.toml", "[env]\nGREETING = \"hello\"\n");
    let run = s.ptest(&["test", "--changed"]);
    run.code(0)
        .says(&["alpha runs: new test file test.toml, environment variable GREETING changed"]);
    assert_eq!(run.status_of("alpha"), "PASS");
    assert_eq!(run.status_of("bravo"), "CACHED");
}

#[test]
fn a_failed_or_never_tested_test_runs_and_a_failure_is_not_cached() {
    let s = TestSuite::new()
        .sh("alpha", "cat \"$PTEST_SCRATCH/value\" > \"$PTEST_OUTFILE\"")
        .line("# a comment keeps config.testing readable");
    std::fs::write(s.tmp.path().join("value"), "one\n").unwrap();
    s.ptest(&["bless"]).code(0);
    let run = s.ptest(&["test", "--changed"]);
    run.code(0)
        .says(&["alpha runs: its last run (bless passed) is no pass to reuse"]);
    assert_eq!(run.status_of("alpha"), "PASS");
    // The value is read from outside the test's folder, undeclared: ptest cannot see it
    // change (that is what `inputs` is for), so the pass is reused...
    std::fs::write(s.tmp.path().join("value"), "two\n").unwrap();
    assert_eq!(s.ptest(&["test", "--changed"]).status_of("alpha"), "CACHED");
    // ...until the run without --changed finds the failure, which is never reused.
    s.ptest(&["test"]).code(100);
    let run = s.ptest(&["test", "--changed"]);
    run.code(100);
    assert_eq!(run.status_of("alpha"), "FAIL");
}

#[test]
fn a_declared_input_outside_the_test_folder_is_watched() {
    let s = TestSuite::new()
        .sh(
            "alpha",
            "cat \"$PTEST_TEST_DIR\"/../data/*.txt > \"$PTEST_OUTFILE\"",
        )
        .test_toml("alpha", "inputs = [\"../data/*.txt\"]\n");
    s.write("data/a.txt", "a\n");
    s.ptest(&["bless"]).code(0);
    s.ptest(&["test"]).code(0);
    assert_eq!(s.ptest(&["test", "--changed"]).status_of("alpha"), "CACHED");

    s.write("data/a.txt", "A\n");
    s.ptest(&["test", "--changed"])
        .code(100)
        .says(&["alpha runs: declared input a.txt changed"]);
    s.write("data/a.txt", "a\n");
    s.ptest(&["test"]).code(0);
    s.write("data/b.txt", "");
    s.ptest(&["test", "--changed"])
        .code(0)
        .says(&["alpha runs: new declared input b.txt"]);
}

#[test]
fn a_python_module_the_script_imports_is_an_input_and_unknown_imports_are_never_cached() {
    let s = TestSuite::new()
        .py(
            "helped",
            "import sys, os\n\
             sys.path.insert(0, os.path.join(os.environ['PTEST_SUITE_DIR'], 'lib'))\n\
             from ptest_utils import *\n\
             import shared_words\n\
             open(tmpoutfile, 'w').write(shared_words.WORD + '\\n')\n",
        )
        .py(
            "bare",
            "import os\nopen(os.environ['PTEST_OUTFILE'], 'w').write('bare\\n')\n",
        );
    s.write("lib/shared_words.py", "WORD = 'hello'\n");
    s.ptest(&["bless"]).code(0);
    s.ptest(&["test"]).code(0);
    let run = s.ptest(&["test", "--changed"]);
    assert_eq!(run.status_of("helped"), "CACHED");
    assert_eq!(run.status_of("bare"), "PASS");
    run.says(&["bare runs: never cached: its Python script does not import ptest_utils"]);

    s.write("lib/shared_words.py", "WORD = 'hello'  # same word\n");
    let run = s.ptest(&["test", "--changed"]);
    run.code(0)
        .says(&["helped runs: Python module shared_words.py changed"]);
    assert_eq!(run.status_of("helped"), "PASS");
}

#[test]
fn an_emulator_the_script_starts_itself_makes_the_test_run_every_time() {
    common::engine::require_qemu();
    // Real QEMU, started by the script, not through `ptest replay`: what it used is
    // unknown to ptest.
    let s = TestSuite::new().sh(
        "direct",
        "timeout -s KILL 2 qemu-system-x86_64 -M none -display none -S -nodefaults -monitor none -serial none || true\n\
         echo done > \"$PTEST_OUTFILE\"",
    );
    s.ptest(&["bless"]).code(0);
    s.ptest(&["test"]).code(0);
    let run = s.ptest(&["test", "--changed"]);
    run.code(0).says(&[
        "direct runs: never cached: it ran qemu-system-x86_64 itself, not through `ptest record`/`ptest replay`",
    ]);
    assert_eq!(run.status_of("direct"), "PASS");
}

#[test]
fn the_cached_pass_is_its_own_status_in_json_junit_and_html() {
    let s = tested_suite();
    let (json, junit, html) = (s.scratch("r.json"), s.scratch("r.xml"), s.scratch("r.html"));
    s.ptest(&[
        "--json".as_ref(),
        json.as_os_str(),
        "--junit".as_ref(),
        junit.as_os_str(),
        "--html".as_ref(),
        html.as_os_str(),
        "test".as_ref(),
        "--changed".as_ref(),
    ])
    .code(0);
    let report: serde_json::Value = serde_json::from_slice(&std::fs::read(&json).unwrap()).unwrap();
    assert_eq!(report["summary"]["cached"], 2, "{report}");
    assert_eq!(report["summary"]["passed"], 0, "{report}");
    assert_eq!(report["tests"][0]["status"], "cached", "{report}");
    assert_eq!(report["tests"][0]["reason"]["kind"], "cached", "{report}");

    let xml = std::fs::read_to_string(&junit).unwrap();
    let doc = roxmltree::Document::parse(&xml).unwrap();
    let cases: Vec<_> = doc
        .descendants()
        .filter(|n| n.has_tag_name("testcase"))
        .collect();
    assert_eq!(cases.len(), 2);
    for case in cases {
        assert!(!case.children().any(|c| c.has_tag_name("failure")));
        let out = case
            .children()
            .find(|c| c.has_tag_name("system-out"))
            .and_then(|c| c.text())
            .unwrap_or_default();
        assert!(out.starts_with("cached: inputs unchanged"), "{xml}");
    }
    let page = std::fs::read_to_string(&html).unwrap();
    assert!(page.contains("s-cached"), "no cached status in the page");
}

#[test]
fn changed_true_in_ptest_toml_reuses_by_default_and_no_changed_runs_everything() {
    let s = tested_suite();
    s.write("ptest.toml", "changed = true\n");
    // ptest.toml is not one of the tests' inputs (only their settings are): still cached.
    let run = s.ptest(&["test"]);
    assert_eq!(run.status_of("alpha"), "CACHED");
    let run = s.ptest(&["test", "--no-changed"]);
    assert_eq!(run.status_of("alpha"), "PASS");
    assert_eq!(run.status_of("bravo"), "PASS");
}

#[test]
fn changed_may_stand_before_the_command() {
    let s = tested_suite();
    let run = s.ptest(&["--changed", "test"]);
    assert_eq!(run.code(0).status_of("alpha"), "CACHED");
    s.ptest(&["--changed", "test", "--no-changed"])
        .code(2)
        .says(&["--changed and --no-changed contradict each other"]);
    s.ptest(&["--changed", "bless"])
        .code(2)
        .says(&["--changed and --no-changed choose the tests of `test`"]);
}

#[test]
fn changed_is_refused_where_it_means_nothing() {
    let s = tested_suite();
    s.ptest(&["bless", "--changed"])
        .code(2)
        .says(&["--changed is for `ptest test`"]);
    s.ptest(&["test", "--changed", "--repeat", "2"])
        .code(2)
        .says(&["--changed and --repeat contradict each other"]);
}

#[test]
fn shards_reuse_passes_and_their_merge_counts_the_cached_ones() {
    let s = tested_suite();
    let mut reports = Vec::new();
    for k in 1..=2 {
        let json = s.scratch(&format!("shard{k}.json"));
        let partition = format!("count:{k}/2");
        s.ptest(&[
            "--json".as_ref(),
            json.as_os_str(),
            "test".as_ref(),
            "--changed".as_ref(),
            "--partition".as_ref(),
            partition.as_ref() as &std::ffi::OsStr,
        ])
        .code(0);
        reports.push(json);
    }
    let merged = s.scratch("merged.json");
    let mut args: Vec<&std::ffi::OsStr> = vec![
        "--json".as_ref(),
        merged.as_os_str(),
        "report".as_ref(),
        "merge".as_ref(),
    ];
    args.extend(reports.iter().map(|r| r.as_os_str()));
    s.ptest(&args).code(0);
    let report: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&merged).unwrap()).unwrap();
    assert_eq!(report["summary"]["cached"], 2, "{report}");
}
