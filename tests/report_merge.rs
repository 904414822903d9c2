//! `ptest report merge`: the JSON reports of a suite's shards, merged, equal one run of the
//! whole suite (tests, statuses, file outcomes, summary line, exit code); reports that do
//! not add up (a test twice, a shard missing, test mixed with bless, damaged or newer
//! files) are refused with one line naming the files, exit 2.

mod common;

use std::path::{Path, PathBuf};

use common::{TestSuite, mixed_blessed_suite, read, report_essence};
use serde_json::Value;

fn path_arg(p: &Path) -> &str {
    p.to_str().expect("utf-8 temp path")
}

/// Run `ptest test --partition STRATEGY:K/N --json` for every K; the reports' paths.
fn shards(s: &TestSuite, strategy: &str, n: usize, extra: &[&str]) -> Vec<PathBuf> {
    (1..=n)
        .map(|k| {
            let json = s.scratch(&format!("shard-{k}.json"));
            let partition = format!("{strategy}:{k}/{n}");
            let mut args = vec!["test", "--partition", &partition, "--json", path_arg(&json)];
            args.extend_from_slice(extra);
            let run = s.ptest(&args);
            assert!(
                matches!(run.status.code(), Some(0 | 100)),
                "shard {partition}: {}",
                run.all()
            );
            json
        })
        .collect()
}

fn merge(s: &TestSuite, reports: &[PathBuf], outputs: &[&str]) -> common::Run {
    let mut args = vec!["report".to_string(), "merge".to_string()];
    args.extend(outputs.iter().map(|o| o.to_string()));
    args.extend(reports.iter().map(|r| path_arg(r).to_string()));
    s.ptest(&args)
}

fn json(path: &Path) -> Value {
    serde_json::from_str(&read(path)).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn last_line(text: &str) -> &str {
    text.lines().last().unwrap_or_default()
}

#[test]
fn shards_merged_equal_an_unsharded_run() {
    let s = mixed_blessed_suite();
    let whole_json = s.scratch("whole.json");
    let whole = s.ptest(&["test", "--json", path_arg(&whole_json)]);
    whole.code(100);
    let whole_report = json(&whole_json);
    for (strategy, n) in [("hash", 3), ("count", 2), ("count", 9)] {
        let reports = shards(&s, strategy, n, &[]);
        let shard1 = json(&reports[0]);
        assert_eq!(shard1["partition"], format!("{strategy}:1/{n}"));
        assert_eq!(shard1["selected"].as_array().map(Vec::len), Some(7));
        let all_json = s.scratch("all.json");
        let all_xml = s.scratch("all.xml");
        let merged = merge(
            &s,
            &reports,
            &["--json", path_arg(&all_json), "--junit", path_arg(&all_xml)],
        );
        merged.code(100);
        let merged_report = json(&all_json);
        for out in [&all_json, &all_xml] {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(out)
                .expect("merged report")
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o644, "{}", out.display());
        }
        assert_eq!(
            report_essence(&merged_report),
            report_essence(&whole_report),
            "{strategy}:K/{n}"
        );
        assert_eq!(merged_report["mode"], "test");
        assert!(merged_report.get("partition").is_none(), "{merged_report}");
        // The same verdict and summary as the whole run printed.
        assert_eq!(last_line(&merged.stdout), last_line(&whole.stdout));
        assert_eq!(
            last_line(&merged.stdout),
            "ptest test: 2 of 7 test(s) FAILED"
        );
        merged.says(&[
            "7 test(s): 5 passed, 1 failed, 1 errored",
            "ptest diff differs",
        ]);
        let xml = read(&all_xml);
        let doc = roxmltree::Document::parse(&xml).expect("merged JUnit is well-formed");
        let suite = doc
            .root_element()
            .children()
            .find(|n| n.has_tag_name("testsuite"))
            .expect("a <testsuite>");
        assert_eq!(
            (
                suite.attribute("tests"),
                suite.attribute("failures"),
                suite.attribute("errors")
            ),
            (Some("7"), Some("1"), Some("1")),
            "{xml}"
        );
    }
}

#[test]
fn shards_of_a_passing_selection_merge_to_exit_0_and_an_empty_shard_counts() {
    let s = mixed_blessed_suite();
    // Three tests over five shards: two shards are empty and must still report.
    let reports = shards(&s, "count", 5, &["alpha", "bravo", "charlie"]);
    let empty = json(&reports[4]);
    assert_eq!(empty["tests"], Value::Array(vec![]), "{empty}");
    assert_eq!(empty["partition"], "count:5/5");
    let merged = merge(&s, &reports, &[]);
    merged.code(0);
    assert_eq!(
        last_line(&merged.stdout),
        "ptest test: all 3 test(s) succeeded"
    );
}

#[test]
fn reports_without_partitions_merge_as_disjoint_sets() {
    let s = mixed_blessed_suite();
    let a = s.scratch("a.json");
    let b = s.scratch("b.json");
    s.ptest(&["test", "alpha", "bravo", "--json", path_arg(&a)])
        .code(0);
    s.ptest(&["test", "differs", "--json", path_arg(&b)])
        .code(100);
    let out = s.scratch("ab.json");
    let merged = merge(&s, &[a, b], &["--json", path_arg(&out)]);
    merged.code(100);
    let names: Vec<Value> = json(&out)["tests"]
        .as_array()
        .expect("tests")
        .iter()
        .map(|t| t["name"].clone())
        .collect();
    assert_eq!(names, ["alpha", "bravo", "differs"]);
}

/// Each refusal: exit 2, one line on stderr, nothing written.
#[test]
fn reports_that_do_not_add_up_are_refused_with_one_line_each() {
    let s = mixed_blessed_suite();
    let reports = shards(&s, "hash", 3, &[]);
    let run_json = |name: &str, args: &[&str]| {
        let path = s.scratch(name);
        let mut all = args.to_vec();
        all.extend(["--json", path_arg(&path)]);
        s.ptest(&all);
        path
    };
    let ab = run_json("ab.json", &["test", "alpha", "bravo"]);
    let bc = run_json("bc.json", &["test", "bravo", "charlie"]);
    let blessed = run_json("bless.json", &["bless", "delta"]);
    let count = run_json("count.json", &["test", "--partition", "count:2/3"]);
    let damaged = s.scratch("damaged.json");
    std::fs::write(&damaged, &read(&reports[0])[..40]).expect("write");
    let newer = s.scratch("newer.json");
    let mut doc = json(&reports[0]);
    doc["format"] = Value::from(99);
    std::fs::write(&newer, doc.to_string()).expect("write");
    let out = s.scratch("never.json");
    let cases: Vec<(&str, Vec<PathBuf>)> = vec![
        ("overlap", vec![ab.clone(), bc]),
        (
            "missing shard",
            vec![reports[0].clone(), reports[2].clone()],
        ),
        (
            "same shard twice",
            vec![reports[0].clone(), reports[0].clone(), reports[1].clone()],
        ),
        ("mixed strategies", vec![reports[0].clone(), count]),
        ("mixed partitioned", vec![reports[0].clone(), ab.clone()]),
        ("mixed modes", vec![ab, blessed]),
        ("damaged", vec![damaged, reports[1].clone()]),
        ("newer", vec![newer]),
        ("absent", vec![s.scratch("absent.json")]),
    ];
    let mut transcript = String::new();
    for (what, inputs) in cases {
        let run = merge(&s, &inputs, &["--json", path_arg(&out)]);
        run.code(2);
        assert_eq!(run.stderr.lines().count(), 1, "{what}: {}", run.all());
        assert!(run.stdout.is_empty(), "{what}: {}", run.all());
        assert!(
            !out.exists(),
            "{what}: a refused merge wrote {}",
            out.display()
        );
        transcript.push_str(&format!("{what}: {}", s.redact(&run.stderr)));
    }
    insta::assert_snapshot!(transcript);
}

#[test]
fn a_missing_test_names_the_shard_that_should_have_it() {
    let s = mixed_blessed_suite();
    let reports = shards(&s, "count", 2, &[]);
    // Drop one test from shard 2's report, as a shard killed before writing it would not.
    let mut doc = json(&reports[1]);
    let tests = doc["tests"].as_array_mut().expect("tests");
    let dropped = tests.remove(0)["name"].clone();
    std::fs::write(&reports[1], doc.to_string()).expect("write");
    let run = merge(&s, &reports, &[]);
    run.code(2);
    let line = s.redact(&run.stderr);
    assert_eq!(
        line.trim_end(),
        format!(
            "error: test `{}` was selected but is in no report (shard count:2/2, [TMP]/shard-2.json, should have it); re-run that shard with `--json` and merge again",
            dropped.as_str().expect("name")
        )
    );
}
