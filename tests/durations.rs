//! `ptest durations export|import`: durations travel in a small file kept with the suite,
//! so `--partition duration:K/N` balances shards on fresh machines.

mod common;

use common::{TestSuite, read};

fn path(p: &std::path::Path) -> &str {
    p.to_str().expect("utf-8 temp path")
}

/// Three tests, blessed and tested (so bless and test durations are stored).
fn measured() -> TestSuite {
    let s = TestSuite::new()
        .sh("zeta", "echo z > \"$PTEST_OUTFILE\"")
        .sh("alpha", "echo a > \"$PTEST_OUTFILE\"")
        .sh("mid", "echo m > \"$PTEST_OUTFILE\"");
    s.ptest(&["bless"]).code(0);
    s.ptest(&["test"]).code(0);
    s
}

/// Every test's stored state (`.ptest/state/tests/NAME.json`), as `{"tests": {NAME: …}}`.
fn state(reg: &std::path::Path) -> serde_json::Value {
    let mut tests = serde_json::Map::new();
    for entry in std::fs::read_dir(reg.join(".ptest/state/tests")).expect("state dir") {
        let path = entry.expect("entry").path();
        let Some(name) = path
            .file_name()
            .and_then(|n| n.to_str())
            .and_then(|n| n.strip_suffix(".json"))
        else {
            continue;
        };
        let value: serde_json::Value = serde_json::from_str(&read(&path)).expect("state file");
        tests.insert(name.to_string(), value);
    }
    serde_json::json!({ "tests": tests })
}

#[test]
fn export_writes_a_sorted_versioned_file() {
    let s = measured();
    let file = s.scratch("durations.json");
    s.ptest(&["durations", "export", path(&file)])
        .code(0)
        .says(&["wrote 6 durations of 3 tests to"]);
    let text = read(&file);
    // Sorted (diffs well), one value per line; the measured numbers aside.
    let shape = regex::Regex::new(r#"(?m)"(setup|bless|test)": [0-9.e-]+(,?)$"#)
        .expect("regex")
        .replace_all(&text, "\"$1\": N$2")
        .into_owned();
    insta::assert_snapshot!(shape);
    let v: serde_json::Value = serde_json::from_str(&text).expect("JSON");
    let stored = state(&s.reg);
    for name in ["alpha", "mid", "zeta"] {
        for mode in ["bless", "test"] {
            let exported = v["tests"][name][mode].as_f64().expect("exported");
            let measured = stored["tests"][name]["durations"][mode]
                .as_f64()
                .expect("measured");
            assert!(
                (exported - measured).abs() <= 0.005,
                "{name}/{mode}: {exported} vs {measured}"
            );
        }
    }
}

#[test]
fn export_with_nothing_measured_says_what_to_run() {
    let s = TestSuite::new().sh("a", "echo a > \"$PTEST_OUTFILE\"");
    std::fs::create_dir_all(s.reg.join(".ptest")).expect("mkdir");
    let run = s.ptest(&["durations", "export", path(&s.scratch("d.json"))]);
    run.code(2)
        .says(&["no durations stored in", "run `ptest setup`"]);
    assert!(!s.scratch("d.json").exists());
}

#[test]
fn import_fills_a_fresh_directory_and_duration_shards_use_it() {
    let mut s = TestSuite::new();
    let names = ["t1", "t2", "t3", "t4", "t5", "t6"];
    for n in names {
        s = s.sh(n, "echo \"$PTEST_TEST\" > \"$PTEST_OUTFILE\"");
    }
    // t4 is long: balanced over 2 shards, it must be alone.
    let mut tests = serde_json::Map::new();
    for n in names {
        let secs = if n == "t4" { 50.0 } else { 2.0 };
        tests.insert(n.into(), serde_json::json!({ "bless": secs, "test": secs }));
    }
    let file = s.scratch("durations.json");
    std::fs::write(
        &file,
        serde_json::json!({ "format": 1, "tests": tests }).to_string(),
    )
    .expect("write");
    s.ptest(&["durations", "import", path(&file)])
        .code(0)
        .says(&["imported 12 durations", "kept 0 measured"]);
    let stored = state(&s.reg);
    assert_eq!(stored["tests"]["t4"]["durations"]["test"], 50.0);
    let mut shards = Vec::new();
    for k in 1..=2 {
        let json = s.scratch(&format!("bless{k}.json"));
        s.ptest(&[
            "bless",
            "--partition",
            &format!("duration:{k}/2"),
            "--json",
            path(&json),
        ])
        .code(0);
        let report: serde_json::Value = serde_json::from_str(&read(&json)).expect("report");
        let mut ran: Vec<String> = report["tests"]
            .as_array()
            .expect("tests")
            .iter()
            .map(|t| t["name"].as_str().expect("name").to_string())
            .collect();
        ran.sort();
        shards.push(ran);
    }
    let with_t4 = shards
        .iter()
        .find(|s| s.contains(&"t4".to_string()))
        .expect("t4 ran");
    assert_eq!(with_t4, &vec!["t4".to_string()], "{shards:?}");
    assert_eq!(shards.iter().map(Vec::len).sum::<usize>(), names.len());
}

#[test]
fn import_never_replaces_a_measured_duration() {
    let s = measured();
    let before = state(&s.reg)["tests"]["alpha"]["durations"]["test"].clone();
    let file = s.scratch("d.json");
    std::fs::write(
        &file,
        r#"{"format": 1, "tests": {"alpha": {"test": 999.0, "setup": 3.5}, "newcomer": {"test": 7.0}}}"#,
    )
    .expect("write");
    s.ptest(&["durations", "import", path(&file)])
        .code(0)
        .says(&["imported 2 durations", "kept 1 measured"]);
    let after = state(&s.reg);
    assert_eq!(after["tests"]["alpha"]["durations"]["test"], before);
    assert_eq!(after["tests"]["alpha"]["durations"]["setup"], 3.5);
    assert_eq!(after["tests"]["newcomer"]["durations"]["test"], 7.0);
    // The last run's results are still there (`ptest diff`, `--failed` need them).
    assert!(after["tests"]["alpha"]["last"].is_object());
}

#[test]
fn bad_files_are_refused_in_one_line_and_change_nothing() {
    let s = measured();
    let state_before = state(&s.reg);
    let cases = [
        (
            "syntax.json",
            "{\"format\": 1,\n  \"tests\": {\"a\": {\"test\": 1.0,}}}\n",
            "syntax.json:2:31: not a ptest durations file (key must be a string); write one with `ptest durations export FILE`",
        ),
        (
            "newer.json",
            "{\"format\": 2, \"tests\": {}}",
            "newer.json: durations format 2, this ptest reads 1; export it again with this ptest",
        ),
        (
            "negative.json",
            "{\"format\": 1, \"tests\": {\"a\": {\"test\": -4}}}",
            "negative.json: test \"a\", mode \"test\": -4 is not a duration in seconds (>= 0)",
        ),
        (
            "mode.json",
            "{\"format\": 1, \"tests\": {\"a\": {\"replay\": 4}}}",
            "mode.json: test \"a\", mode \"replay\": unknown mode; modes are setup, bless, test",
        ),
        (
            "extra.json",
            "{\"format\": 1, \"tests\": {}, \"durations\": {}}",
            "extra.json:1:38: not a ptest durations file (unknown field `durations`",
        ),
        (
            "text.json",
            "{\"format\": 1, \"tests\": {\"a\": {\"test\": \"1s\"}}}",
            "text.json:1:42: not a ptest durations file (invalid type: string \"1s\", expected f64)",
        ),
    ];
    for (name, text, expected) in cases {
        let file = s.write(name, text);
        let run = s.ptest(&["durations", "import", path(&file)]);
        run.code(2).says(&[expected]);
        assert_eq!(run.stderr.lines().count(), 1, "{name}: {}", run.stderr);
    }
    s.ptest(&["durations", "import", path(&s.scratch("missing.json"))])
        .code(2)
        .says(&["missing.json: No such file or directory"]);
    assert_eq!(state(&s.reg), state_before);
    assert!(!s.reg.join(".ptest/imported-durations.json").exists());
}
