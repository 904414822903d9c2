//! The HTML report as a browser renders it: the real `ptest test --html` on a suite with
//! passing, failing (a real diff), errored and flaky tests, opened in headless Chromium
//! (Debian's `chromium`). The DOM is read after the page's script ran (`--dump-dom`):
//! counts, a diff's highlighted rows, the `#status=` filter hiding passed tests. A
//! screenshot is taken, and Chromium's net log must show no request made by the page (a
//! control page that does make requests proves the log would show them).
//!
//! Chromium missing is a failure naming the package, never a skip.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::{TestSuite, read};
use scraper::{Html, Selector};

/// A headless Chromium run may take this long (it starts in ~1-5 s; the machine is shared).
const CHROMIUM_LIMIT: Duration = Duration::from_secs(90);

/// Debian's `chromium`, or `PTEST_CHROMIUM`.
fn chromium() -> PathBuf {
    if let Some(p) = std::env::var_os("PTEST_CHROMIUM") {
        return PathBuf::from(p);
    }
    std::env::var_os("PATH")
        .and_then(|path| {
            std::env::split_paths(&path)
                .map(|d| d.join("chromium"))
                .find(|p| p.is_file())
        })
        .unwrap_or_else(|| {
            panic!(
                "chromium not found on PATH: the HTML report test needs a real browser; \
                 install Debian's `chromium` (scripts/install-deps does) or set PTEST_CHROMIUM"
            )
        })
}

/// One headless Chromium run on `url` in its own profile under `work`, with `args`;
/// returns its stdout. Killed (its whole process group) after [`CHROMIUM_LIMIT`].
fn headless(work: &Path, url: &str, args: &[String]) -> String {
    use std::os::unix::process::CommandExt;
    let home = work.join("home");
    std::fs::create_dir_all(&home).expect("chromium home");
    let stdout = work.join("stdout");
    let stderr = work.join("stderr");
    let mut child = Command::new(chromium())
        .args([
            "--headless=new",
            "--no-sandbox",
            "--disable-gpu",
            "--no-first-run",
            "--no-default-browser-check",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
        ])
        .arg(format!(
            "--user-data-dir={}",
            work.join("profile").display()
        ))
        .args(args)
        .arg(url)
        .env("HOME", &home)
        .stdin(Stdio::null())
        .stdout(std::fs::File::create(&stdout).expect("stdout file"))
        .stderr(std::fs::File::create(&stderr).expect("stderr file"))
        .process_group(0)
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start chromium: {e}"));
    let start = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait for chromium") {
            break status;
        }
        if start.elapsed() > CHROMIUM_LIMIT {
            if let Some(pid) = rustix::process::Pid::from_raw(child.id() as i32) {
                let _ = rustix::process::kill_process_group(pid, rustix::process::Signal::KILL);
            }
            let _ = child.wait();
            panic!(
                "chromium did not finish within {CHROMIUM_LIMIT:?} on {url}; killed.\n{}",
                read(&stderr)
            );
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    assert!(
        status.success(),
        "chromium failed ({status}) on {url}:\n{}",
        read(&stderr)
    );
    read(&stdout)
}

/// URLs of requests that a page made, from a Chromium net log: `URL_REQUEST_START_JOB`
/// events whose initiator is an origin (the browser's own background requests have
/// "not an origin"; a `file://` page is the opaque origin "null").
fn page_requests(net_log: &Path) -> Vec<String> {
    let log: serde_json::Value = serde_json::from_str(&read(net_log))
        .unwrap_or_else(|e| panic!("{}: not a net log: {e}", net_log.display()));
    let start_job = log["constants"]["logEventTypes"]["URL_REQUEST_START_JOB"]
        .as_u64()
        .expect("net log constants name URL_REQUEST_START_JOB");
    log["events"]
        .as_array()
        .expect("net log events")
        .iter()
        .filter(|e| e["type"].as_u64() == Some(start_job))
        .filter(|e| e["params"]["initiator"].as_str() != Some("not an origin"))
        .filter_map(|e| e["params"]["url"].as_str().map(str::to_string))
        .collect()
}

fn select<'a>(doc: &'a Html, css: &str) -> Vec<scraper::ElementRef<'a>> {
    let sel = Selector::parse(css).unwrap_or_else(|e| panic!("selector {css}: {e:?}"));
    doc.select(&sel).collect()
}

fn text(e: &scraper::ElementRef<'_>) -> String {
    e.text().collect()
}

/// pass, fail (`value=old-text` → `value=new-text`), error, flaky: blessed, then tested.
fn suite() -> TestSuite {
    let s = TestSuite::new()
        .sh("pass", "echo same > \"$PTEST_OUTFILE\"")
        .sh(
            "fail",
            "if [ -e \"$PTEST_BLESSED_DIR/fail.out\" ]; then v=new-text; else v=old-text; fi\n\
             printf 'line1\\nvalue=%s <&>\\nline3\\n' \"$v\" > \"$PTEST_OUTFILE\"",
        )
        .sh(
            "error",
            "echo out > \"$PTEST_OUTFILE\"\n\
             if [ -e \"$PTEST_BLESSED_DIR/error.out\" ]; then echo 'crash <here>' >&2; exit 4; fi",
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

#[test]
fn the_report_as_chromium_renders_it() {
    let s = suite();
    let html = s.scratch("r.html");
    let json = s.scratch("r.json");
    s.ptest(&[
        "test",
        "--html",
        html.to_str().unwrap(),
        "--json",
        json.to_str().unwrap(),
    ])
    .code(100);
    let url = format!("file://{}", html.display());

    // Unfiltered, with the net log.
    let work = s.scratch("chromium-all");
    let net_log = work.join("net.json");
    let dom = headless(
        &work,
        &url,
        &[
            "--dump-dom".into(),
            format!("--log-net-log={}", net_log.display()),
        ],
    );
    let doc = Html::parse_document(&dom);
    let body = &select(&doc, "body")[0];
    assert!(
        body.value().attr("data-rendered-ms").is_some(),
        "the page's script did not run:\n{dom}"
    );
    assert_eq!(body.value().attr("data-shown"), Some("4"), "{dom}");
    for (status, n) in [
        ("passed", "1"),
        ("failed", "1"),
        ("errored", "1"),
        ("flaky", "1"),
    ] {
        let count = select(&doc, &format!("#summary b.n[data-status={status}]"));
        assert_eq!(count.len(), 1, "no count for {status}");
        assert_eq!(text(&count[0]), n, "count of {status}");
    }
    let rows = select(&doc, "#tests tbody tr");
    assert_eq!(rows.len(), 4);
    assert!(
        rows.iter()
            .all(|r| r.value().attr("data-visible") == Some("1")
                && r.value().attr("hidden").is_none())
    );
    // The failing test's diff, side by side: the changed line's two sides, highlighted.
    let change = select(
        &doc,
        "details.test[data-name=fail] table.diff.split tr.change",
    );
    assert_eq!(change.len(), 1, "one changed row:\n{dom}");
    let old = select(&doc, "details.test[data-name=fail] td.old.del");
    let new = select(&doc, "details.test[data-name=fail] td.new.add");
    assert_eq!(text(&old[0]), "value=old-text <&>");
    assert_eq!(text(&new[0]), "value=new-text <&>");
    let marks = |cell: &scraper::ElementRef<'_>| -> Vec<String> {
        cell.select(&Selector::parse("mark").unwrap())
            .map(|m| text(&m))
            .collect()
    };
    assert_eq!(marks(&old[0]), ["old"]);
    assert_eq!(marks(&new[0]), ["new"]);
    assert!(
        select(&doc, "details.test[data-name=fail]")[0]
            .value()
            .attr("open")
            .is_some(),
        "a failed test's details are open"
    );
    assert!(text(&select(&doc, "details.test[data-name=error]")[0]).contains("crash <here>"));
    assert_eq!(
        page_requests(&net_log),
        Vec::<String>::new(),
        "the report made network requests"
    );

    // Filtered and sorted by the hash: only failed and errored tests remain, and the
    // table is in reverse name order (the suite's order is pass, fail, error, flaky).
    let work = s.scratch("chromium-hash");
    let dom = headless(
        &work,
        &format!("{url}#status=failed,errored&sort=-name"),
        &["--dump-dom".into()],
    );
    let doc = Html::parse_document(&dom);
    let order: Vec<&str> = select(&doc, "#tests tbody tr")
        .iter()
        .filter_map(|r| r.value().attr("data-name"))
        .collect();
    assert_eq!(order, ["pass", "flaky", "fail", "error"]);
    assert_eq!(
        select(&doc, "#tests th[data-sort=name]")[0]
            .value()
            .attr("aria-sort"),
        Some("descending")
    );
    assert_eq!(
        select(&doc, "body")[0].value().attr("data-shown"),
        Some("2")
    );
    for r in select(&doc, "#tests tbody tr") {
        let status = r.value().attr("data-status").unwrap_or_default();
        let shown = matches!(status, "failed" | "errored");
        assert_eq!(
            r.value().attr("data-visible"),
            Some(if shown { "1" } else { "0" }),
            "row of a {status} test"
        );
        assert_eq!(
            r.value().attr("hidden").is_none(),
            shown,
            "row of a {status} test"
        );
    }
    let passed = select(&doc, "details.test[data-status=passed]");
    assert_eq!(passed[0].value().attr("hidden"), Some(""), "{dom}");

    // A screenshot.
    let work = s.scratch("chromium-shot");
    let png = work.join("report.png");
    headless(
        &work,
        &url,
        &[
            format!("--screenshot={}", png.display()),
            "--window-size=1280,1600".into(),
        ],
    );
    let bytes = std::fs::read(&png).expect("screenshot written");
    assert!(bytes.starts_with(b"\x89PNG\r\n\x1a\n"), "not a PNG");
    assert_eq!(&bytes[16..24], &[0, 0, 5, 0, 0, 0, 6, 64], "1280x1600 IHDR");
    assert!(bytes.len() > 10_000, "a blank page? {} bytes", bytes.len());

    // `report html` from the JSON renders the same page.
    s.ptest(&["report", "html", json.to_str().unwrap(), "-o", "again.html"])
        .code(0);
    assert_eq!(read(s.dir.join("again.html")), read(&html));
}

/// The net log check finds requests when a page makes them (else it could not fail).
#[test]
fn the_net_log_check_sees_a_page_that_makes_requests() {
    let tmp = tempfile::tempdir().expect("temp dir");
    let page = tmp.path().join("control.html");
    std::fs::write(
        &page,
        "<!doctype html><img src=\"http://127.0.0.1:9/x.png\"><script>fetch('http://127.0.0.1:9/y').catch(()=>{})</script>",
    )
    .expect("control page");
    let net_log = tmp.path().join("net.json");
    headless(
        tmp.path(),
        &format!("file://{}", page.display()),
        &[
            "--dump-dom".into(),
            format!("--log-net-log={}", net_log.display()),
        ],
    );
    let mut urls = page_requests(&net_log);
    urls.sort();
    assert_eq!(urls, ["http://127.0.0.1:9/x.png", "http://127.0.0.1:9/y"]);
}

/// A pandalog whose entry `i` has `pc`, `instr` and an `asid_info` with `pids[i]`.
fn pid_log(path: &Path, pids: &[u64]) {
    use ptest_plog::synth::Enc;
    let mut w = ptest_plog::PlogWriter::create(path).expect("create the log");
    for (i, &pid) in pids.iter().enumerate() {
        let mut a = Enc::default();
        a.uint(1, pid)
            .uint(2, 5)
            .uint(3, 1)
            .uint(4, 0x1000)
            .bytes(5, b"bash");
        let mut e = Enc::default();
        e.uint(1, 0x40_1000 + i as u64)
            .uint(2, 100 * (i as u64 + 1))
            .msg(40, &a);
        w.write_entry(&e.0).expect("write an entry");
    }
    w.finish().expect("finish the log");
}

/// A test whose pandalog output changed in one field of one entry shows, as Chromium
/// renders the report, one row of the entry table with that entry's place and both values.
#[test]
fn a_pandalog_diff_renders_as_an_entry_table() {
    let s = TestSuite::new()
        .sh(
            "asids",
            "cp \"$PTEST_SCRATCH/asids.plog\" \"$PTEST_TMPOUT_DIR/\"",
        )
        .test_toml("asids", "[compare]\nplog-schema = \"plog.proto\"\n");
    s.write(
        "asids/plog.proto",
        &read(
            Path::new(env!("CARGO_MANIFEST_DIR")).join("crates/plog/tests/data/panda-plog.proto"),
        ),
    );
    pid_log(&s.scratch("asids.plog"), &[100, 101, 102]);
    s.ptest(&["bless"]).code(0);
    pid_log(&s.scratch("asids.plog"), &[100, 555, 102]);
    let html = s.scratch("plog.html");
    s.ptest(&["test", "--html", html.to_str().unwrap()])
        .code(100);

    let work = s.scratch("chromium-plog");
    let dom = headless(
        &work,
        &format!("file://{}", html.display()),
        &["--dump-dom".into()],
    );
    let doc = Html::parse_document(&dom);
    let rows = select(&doc, "details.test[data-name=asids] table.plog tbody tr");
    assert_eq!(rows.len(), 1, "one changed field:\n{dom}");
    let cells: Vec<String> = rows[0]
        .select(&Selector::parse("td").unwrap())
        .map(|c| text(&c))
        .collect();
    assert_eq!(
        cells,
        ["1", "200", "0x401001", "asid_info.pid", "101", "555"],
        "entry, instr, pc, field, blessed, new:\n{dom}"
    );
}
