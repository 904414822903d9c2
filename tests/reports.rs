//! `--junit` (well-formed JUnit XML with failure, error and flaky elements) and `--json`
//! (per test: name, status, duration, files compared, the diff).

mod common;

use common::{TestSuite, read};

/// One test of each kind; `test` after `bless` gives pass, fail, error, timeout, flaky.
fn mixed() -> TestSuite {
    let s = TestSuite::new()
        .sh("pass", "echo same > \"$PTEST_OUTFILE\"")
        .sh(
            "fail",
            "if [ -e \"$PTEST_BLESSED_DIR/fail.out\" ]; then v='a < b & \"c\" > d ]]>'; else v=old; fi\n\
             printf 'line1\\n%s\\nline3\\n' \"$v\" > \"$PTEST_OUTFILE\"",
        )
        .sh(
            "error",
            "echo out > \"$PTEST_OUTFILE\"\n\
             if [ -e \"$PTEST_BLESSED_DIR/error.out\" ]; then\n\
             printf '\\033[31mcoloured\\033[0m crash <here> & \\001\\n' >&2; exit 4; fi",
        )
        .sh(
            "timeout",
            "echo out > \"$PTEST_OUTFILE\"\n[ -e \"$PTEST_BLESSED_DIR/timeout.out\" ] && exec sleep 30; true",
        )
        .sh(
            "flaky",
            "n=$(cat \"$PTEST_MISC_DIR/n\" 2>/dev/null || echo 0); echo $((n + 1)) > \"$PTEST_MISC_DIR/n\"\n\
             echo out > \"$PTEST_OUTFILE\"\n\
             [ -e \"$PTEST_BLESSED_DIR/flaky.out\" ] && [ $((n % 2)) -eq 1 ] && echo noise >> \"$PTEST_OUTFILE\"; true",
        )
        .test_toml("flaky", "retries = 1\n");
    s.ptest(&["bless"]).code(0);
    s
}

fn run_with_reports(s: &TestSuite) -> (common::Run, String, serde_json::Value) {
    let junit = s.scratch("junit.xml");
    let json = s.scratch("report.json");
    let run = s.ptest(&[
        "test",
        "--timeout",
        "1s",
        "--junit",
        junit.to_str().unwrap(),
        "--json",
        json.to_str().unwrap(),
    ]);
    let xml = read(&junit);
    let json: serde_json::Value = serde_json::from_str(&read(&json)).expect("JSON report parses");
    (run, xml, json)
}

#[test]
fn junit_is_well_formed_with_failure_error_and_flaky_elements() {
    let s = mixed();
    let (run, xml, _) = run_with_reports(&s);
    run.code(100);
    let doc = roxmltree::Document::parse(&xml)
        .unwrap_or_else(|e| panic!("JUnit XML is not well-formed: {e}\n{xml}"));
    let root = doc.root_element();
    assert_eq!(root.tag_name().name(), "testsuites");
    let suite = root
        .children()
        .find(|n| n.has_tag_name("testsuite"))
        .expect("a <testsuite>");
    assert_eq!(suite.attribute("tests"), Some("5"));
    assert_eq!(suite.attribute("failures"), Some("1"), "{xml}");
    assert_eq!(suite.attribute("errors"), Some("2"), "{xml}");
    let case = |name: &str| {
        suite
            .children()
            .find(|n| n.has_tag_name("testcase") && n.attribute("name") == Some(name))
            .unwrap_or_else(|| panic!("no testcase {name}:\n{xml}"))
    };
    let child = |name: &str, tag: &str| {
        case(name)
            .children()
            .find(|n| n.has_tag_name(tag))
            .unwrap_or_else(|| panic!("{name} has no <{tag}>:\n{xml}"))
    };
    for name in ["pass", "fail", "error", "timeout", "flaky"] {
        let time: f64 = case(name).attribute("time").unwrap().parse().unwrap();
        assert!(time >= 0.0);
    }
    assert!(case("pass").children().all(|n| !n.is_element()), "{xml}");
    // The mismatch: a <failure> whose body is the diff, special characters intact.
    let failure = child("fail", "failure");
    let body = failure.text().unwrap_or_default();
    assert!(
        body.contains("-old") && body.contains("+a < b & \"c\" > d ]]>"),
        "{body}"
    );
    // The broken script: an <error> with the log's last lines.
    let error = child("error", "error");
    let msg = error.attribute("message").unwrap_or_default();
    assert!(msg.contains("exited with code 4"), "{msg}");
    let body = error.text().unwrap_or_default();
    assert!(body.contains("crash <here> &"), "{body}");
    let timeout = child("timeout", "error");
    assert!(
        timeout
            .attribute("message")
            .unwrap_or_default()
            .contains("timed out")
    );
    // A pass after a retry: success with a flaky failure, never a plain pass.
    let flaky = child("flaky", "flakyFailure");
    assert!(
        flaky
            .attribute("message")
            .unwrap_or_default()
            .contains("attempt 2"),
        "{xml}"
    );
    assert!(case("flaky").children().all(|n| !n.has_tag_name("failure")));
}

#[test]
fn json_has_name_status_duration_files_and_diff() {
    let s = mixed();
    let (run, _, json) = run_with_reports(&s);
    run.code(100);
    assert_eq!(json["mode"], "test");
    assert_eq!(json["interrupted"], false);
    assert!(json["duration_secs"].as_f64().unwrap() > 0.0);
    let summary = &json["summary"];
    for (key, n) in [
        ("total", 5),
        ("passed", 1),
        ("failed", 1),
        ("errored", 1),
        ("timed_out", 1),
        ("flaky", 1),
    ] {
        assert_eq!(summary[key], n, "summary.{key}: {summary}");
    }
    let tests = json["tests"].as_array().unwrap();
    let test = |name: &str| {
        tests
            .iter()
            .find(|t| t["name"] == name)
            .unwrap_or_else(|| panic!("{name} missing: {json}"))
    };
    for (name, status) in [
        ("pass", "passed"),
        ("fail", "failed"),
        ("error", "errored"),
        ("timeout", "timed-out"),
        ("flaky", "flaky"),
    ] {
        let t = test(name);
        assert_eq!(t["status"], status, "{t}");
        assert!(t["duration_secs"].as_f64().unwrap() >= 0.0);
        assert!(
            t["log"]
                .as_str()
                .unwrap()
                .ends_with(&format!("logs/{name}/test.log"))
        );
    }
    assert!(test("timeout")["duration_secs"].as_f64().unwrap() >= 1.0);
    // Files compared, with their outcome and the diff.
    let files = test("fail")["files"].as_array().unwrap();
    assert_eq!(files.len(), 1, "{files:?}");
    assert_eq!(files[0]["name"], "fail.out");
    assert_eq!(files[0]["outcome"], "differs");
    assert_eq!(files[0]["mode"], "exact");
    let diff = files[0]["diff"].as_str().unwrap();
    assert!(diff.contains("-old") && diff.contains("+a < b"), "{diff}");
    let files = test("pass")["files"].as_array().unwrap();
    assert_eq!(files[0]["outcome"], "same");
    assert!(
        test("error")["message"]
            .as_str()
            .unwrap()
            .contains("exited with code 4")
    );
    assert_eq!(test("flaky")["attempts"], 2);
}

#[test]
fn reports_are_written_for_bless_and_for_an_all_pass_run() {
    let s = TestSuite::new().sh("a", "echo a > \"$PTEST_OUTFILE\"");
    let junit = s.scratch("j.xml");
    let json = s.scratch("j.json");
    s.ptest(&[
        "bless",
        "--junit",
        junit.to_str().unwrap(),
        "--json",
        json.to_str().unwrap(),
    ])
    .code(0);
    let xml = read(&junit);
    roxmltree::Document::parse(&xml).expect("well-formed");
    let v: serde_json::Value = serde_json::from_str(&read(&json)).unwrap();
    assert_eq!(v["mode"], "bless");
    assert_eq!(v["tests"][0]["status"], "passed");
}

#[test]
fn unwritable_report_path_is_a_clear_error() {
    let s = TestSuite::new().sh("a", "echo a > \"$PTEST_OUTFILE\"");
    let file = s.scratch("file");
    std::fs::write(&file, "").unwrap();
    let bad = file.join("report.xml");
    let run = s.ptest(&["bless", "--junit", bad.to_str().unwrap()]);
    assert_ne!(run.status.code(), Some(0), "{}", run.all());
    assert_ne!(run.status.code(), Some(101), "{}", run.all());
    run.says(&["report.xml"]);
}

#[test]
fn the_difference_is_data_in_the_json_report_and_the_state() {
    let s = TestSuite::new().sh(
        "t",
        "if [ -e \"$PTEST_BLESSED_DIR/t.out\" ]; then v=new; else v=old; fi\n\
         printf 'one\\ntwo\\n%s\\nfour\\n' \"$v\" > \"$PTEST_OUTFILE\"",
    );
    s.ptest(&["bless"]).code(0);
    let json = s.scratch("r.json");
    s.ptest(&["test", "--json", json.to_str().unwrap()])
        .code(100);
    let report: serde_json::Value = serde_json::from_str(&read(&json)).unwrap();
    assert_eq!(report["format"], 2);
    let file = &report["tests"][0]["files"][0];
    let state: serde_json::Value =
        serde_json::from_str(&read(s.reg.join(".ptest/state/tests/t.json"))).unwrap();
    for difference in [
        &file["difference"],
        &state["last"]["files"][0]["difference"],
    ] {
        assert_eq!(difference["kind"], "text", "{difference}");
        assert_eq!(difference["name"], "t.out");
        let hunk = &difference["hunks"][0];
        assert_eq!(hunk["old"], serde_json::json!({"start": 0, "len": 4}));
        assert_eq!(
            hunk["lines"][2],
            serde_json::json!({"kind": "removed", "text": "old"})
        );
        assert_eq!(
            hunk["lines"][3],
            serde_json::json!({"kind": "added", "text": "new"})
        );
    }
    // The text is rendered from that data, for readers that want what the terminal shows.
    assert_eq!(
        file["diff"],
        "--- blessed/t.out\n+++ new/t.out\n@@ -1,4 +1,4 @@\n one\n two\n-old\n+new\n four\n"
    );
}

#[test]
fn the_json_report_keeps_each_reason_as_data_beside_its_words() {
    let s = mixed();
    let (_, _, json) = run_with_reports(&s);
    let test = |name: &str| {
        json["tests"]
            .as_array()
            .unwrap()
            .iter()
            .find(|t| t["name"] == name)
            .unwrap()
            .clone()
    };
    let error = test("error");
    assert_eq!(error["reason"]["kind"], "script_failed", "{error}");
    assert_eq!(
        error["reason"]["exit"],
        serde_json::json!({"how": "code", "code": 4})
    );
    let timeout = test("timeout");
    assert_eq!(timeout["reason"]["kind"], "timed_out", "{timeout}");
    assert_eq!(timeout["reason"]["limit"], 1.0);
    assert!(
        timeout["message"]
            .as_str()
            .unwrap()
            .contains("timed out after 1s"),
        "{timeout}"
    );
    assert_eq!(test("fail")["reason"]["kind"], "mismatch");
    assert_eq!(
        test("flaky")["reason"],
        serde_json::json!({"kind": "passed_on_retry", "attempt": 2, "tries": 2})
    );
    assert!(test("pass").get("reason").is_none());
}
