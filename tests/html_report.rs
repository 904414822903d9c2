//! `--html FILE` and `ptest report html` without a browser (tests/html_chromium.rs opens
//! the page in one): bad input and unwritable outputs fail with exit 2 and a one-line
//! reason, nothing half-written; the history of durations and the filters applied reach
//! the JSON and the page.

mod common;

use common::{TestSuite, read};

fn leftovers(dir: &std::path::Path) -> Vec<String> {
    std::fs::read_dir(dir)
        .expect("read dir")
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.contains(".tmp"))
        .collect()
}

#[test]
fn report_html_refuses_bad_reports_with_the_reason_and_writes_nothing() {
    let s = TestSuite::new();
    s.write("bad.json", "{\"mode\": \"test\", \"tests\": [");
    s.write(
        "newer.json",
        r#"{"format": 99, "mode": "test", "duration_secs": 1.0, "interrupted": false,
            "summary": {"total": 0, "passed": 0, "flaky": 0, "failed": 0, "errored": 0,
                        "timed_out": 0, "interrupted": 0, "not_run": 0}, "tests": []}"#,
    );
    let mut transcript = String::new();
    for input in ["missing.json", "bad.json", "newer.json"] {
        let run = s.ptest(&["report", "html", input, "-o", "out.html"]);
        transcript.push_str(&format!(
            "$ ptest report html {input} -o out.html (exit {})\n{}{}\n",
            run.status.code().unwrap_or(-1),
            run.stdout,
            run.stderr
        ));
    }
    insta::assert_snapshot!(transcript);
    assert!(
        !s.dir.join("out.html").exists(),
        "an HTML file was written from a bad report"
    );
    assert_eq!(leftovers(&s.dir), Vec::<String>::new());
}

#[test]
fn bless_writes_the_html_report_too() {
    let s = TestSuite::new().sh("a", "echo hi > \"$PTEST_OUTFILE\"");
    s.ptest(&["bless", "--html", "b.html"]).code(0);
    let page = read(s.dir.join("b.html"));
    assert!(page.contains("<h1>ptest bless</h1>"), "{page}");
    assert!(page.contains("data-name=\"a\""));
}

#[test]
fn an_unwritable_html_report_fails_the_run_after_the_results() {
    let s = TestSuite::new().sh("a", "echo hi > \"$PTEST_OUTFILE\"");
    s.ptest(&["bless"]).code(0);
    s.ptest(&["test", "--html", "/nonexistent-dir/r.html"])
        .code(2)
        .says(&[
            "PASS",
            "error: could not write the HTML report /nonexistent-dir/r.html",
        ]);
}

#[test]
fn history_and_filters_reach_the_json_and_the_page_written_atomically() {
    let s = TestSuite::new()
        .ptest_toml("[[filters]]\npreset = \"host-pointers\"\n")
        .sh(
            "a",
            "if [ -e \"$PTEST_BLESSED_DIR/a.out\" ]; then echo 'ptr 0x7eff96b546c0 b' > \"$PTEST_OUTFILE\"; \
             else echo 'ptr 0x7eff96b546c0 a' > \"$PTEST_OUTFILE\"; fi",
        );
    s.ptest(&["bless"]).code(0);
    let reports = s.scratch("reports");
    std::fs::create_dir_all(&reports).expect("reports dir");
    let json = reports.join("r.json");
    let html = reports.join("r.html");
    let args = [
        "test",
        "--json",
        json.to_str().unwrap(),
        "--html",
        html.to_str().unwrap(),
    ];
    // The first `test` has no stored `test` duration; the second has the first's.
    s.ptest(&args).code(100);
    let first: serde_json::Value = serde_json::from_str(&read(&json)).expect("JSON");
    assert!(first["tests"][0].get("previous_duration_secs").is_none());
    s.ptest(&args).code(100);
    let second: serde_json::Value = serde_json::from_str(&read(&json)).expect("JSON");
    let before = second["tests"][0]["previous_duration_secs"]
        .as_f64()
        .expect("previous duration recorded");
    assert_eq!(before, first["tests"][0]["duration_secs"].as_f64().unwrap());
    assert_eq!(
        second["tests"][0]["files"][0]["filters"],
        serde_json::json!(["preset host-pointers"])
    );
    let page = read(&html);
    assert!(page.contains("after filters: <code>preset host-pointers</code>"));
    assert!(page.contains("data-previous=\"") && !page.contains("data-previous=\"-1\""));
    assert_eq!(leftovers(&reports), Vec::<String>::new());
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(&html).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o644, "a report to share is readable by all");
}

#[test]
fn html_to_a_pipe_is_written_through_not_renamed_over() {
    let s = TestSuite::new().sh("a", "echo hi > \"$PTEST_OUTFILE\"");
    s.ptest(&["bless"]).code(0);
    let run = s.ptest(&["test", "--html", "/dev/stdout"]);
    run.code(0);
    assert!(run.stdout.contains("<!doctype html>"), "{}", run.all());
    assert!(run.stdout.contains("data-name=\"a\""));
}
