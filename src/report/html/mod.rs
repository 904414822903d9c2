//! The HTML report: one self-contained file rendered from a [`RunReport`] (a run's, or a
//! merge of shards'): summary, a sortable and filterable table of tests, per test its
//! diffs (side by side and unified, intra-line highlights), binary and pandalog reports,
//! log tail and replay progress, and two inline SVG plots. CSS and script are compiled in
//! (`include_str!`) and a strict Content-Security-Policy forbids any fetch: the file must
//! open offline, from a CI artifact, with no network request.
//!
//! It owns the page only: it must not read the regression directory or `state.json` (the
//! report model carries all it shows) nor decide anything about a run. Everything that
//! comes from a run (names, diffs, logs) goes through [`esc`]. Diff rendering is `diff`
//! (pandalog entry changes `plog`, intra-line marks `highlight`), plots are `svg`.

mod diff;
mod highlight;
mod plog;
mod svg;
#[cfg(test)]
mod tests;

use std::fmt::Write as _;
use std::io::Write as _;
use std::path::Path;

use super::json::RunReport;
use crate::compare::FileVerdict;
use crate::runner::{ReplayStall, Status};

/// Diff lines rendered per test and per report; beyond, a note names `ptest diff`. The
/// compare layer already cuts each file's diff (200 lines by default): these bound a
/// report of many failures to a few MB.
pub const MAX_TEST_DIFF_LINES: usize = 2000;
pub const MAX_REPORT_DIFF_LINES: usize = 20_000;

/// A diff longer than this is folded (a closed `<details>`).
const FOLD_LINES: usize = 60;

/// Longer messages are cut: one runaway error must not bloat the page.
const MAX_MESSAGE_BYTES: usize = 8192;

const CSS: &str = include_str!("page.css");
const JS: &str = include_str!("page.js");

/// The page's policy: nothing may be loaded from anywhere; inline style and script only.
const CSP: &str =
    "default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:";

/// Write `report` as one HTML file at `path`, atomically (through
/// [`super::write_file`]): a reader never sees half a report. For `ptest report
/// html|merge` too.
pub fn write_html(report: &RunReport, path: &Path) -> std::io::Result<()> {
    let page = render(report);
    super::write_file(path, |out| out.write_all(page.as_bytes()))
}

/// HTML-escape text for element content and double-quoted attributes.
pub(crate) fn esc(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            // Control characters (terminal colours in logs) are shown, not interpreted.
            c if c.is_control() && c != '\n' && c != '\t' => {
                let _ = write!(out, "\\u{{{:x}}}", c as u32);
            }
            c => out.push(c),
        }
    }
    out
}

/// The key of a status in the page (class names, `#status=` values): as in the JSON.
pub(crate) fn status_key(s: Status) -> &'static str {
    match s {
        Status::Passed => "passed",
        Status::Flaky => "flaky",
        Status::Failed => "failed",
        Status::Errored => "errored",
        Status::TimedOut => "timed-out",
        Status::Interrupted => "interrupted",
        Status::NotRun => "not-run",
        Status::Cached => "cached",
    }
}

/// Sort order by status: the ones to look at first.
fn status_rank(s: Status) -> u8 {
    match s {
        Status::Failed => 0,
        Status::Errored => 1,
        Status::TimedOut => 2,
        Status::Interrupted => 3,
        Status::Flaky => 4,
        Status::NotRun => 5,
        Status::Passed => 6,
        Status::Cached => 7,
    }
}

const STATUSES: [Status; 8] = [
    Status::Failed,
    Status::Errored,
    Status::TimedOut,
    Status::Interrupted,
    Status::Flaky,
    Status::NotRun,
    Status::Passed,
    Status::Cached,
];

/// Seconds for people: `0.42 s`, `12.3 s`, `2 m 05 s`.
pub(crate) fn secs(s: f64) -> String {
    if s < 10.0 {
        format!("{s:.2} s")
    } else if s < 120.0 {
        format!("{s:.1} s")
    } else {
        format!("{} m {:02} s", (s / 60.0) as u64, (s % 60.0) as u64)
    }
}

/// Diff lines left to render, per test and per report.
pub(crate) struct Budget {
    pub test: usize,
    pub report: usize,
}

impl Budget {
    pub fn left(&self) -> usize {
        self.test.min(self.report)
    }

    pub fn spend(&mut self, n: usize) {
        self.test = self.test.saturating_sub(n);
        self.report = self.report.saturating_sub(n);
    }
}

/// The whole page.
pub fn render(report: &RunReport) -> String {
    let mut out = String::with_capacity(64 * 1024);
    let s = &report.summary;
    let title = format!(
        "ptest {}: {} tests, {} failed, {} errored",
        report.mode.as_str(),
        s.total,
        s.failed,
        s.errored + s.timed_out
    );
    let _ = write!(
        out,
        "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta http-equiv=\"Content-Security-Policy\" content=\"{CSP}\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>{}</title><style>{CSS}</style></head>\n<body class=\"view-split\">\n",
        esc(&title)
    );
    summary(&mut out, report);
    out.push_str("<section id=\"plots\">");
    svg::durations(&mut out, &report.tests);
    svg::timeline(&mut out, &report.tests, report.duration_secs);
    out.push_str("</section>\n");
    table(&mut out, report);
    out.push_str("<section id=\"details\"><h2>Tests</h2>\n");
    let mut budget = Budget {
        test: MAX_TEST_DIFF_LINES,
        report: MAX_REPORT_DIFF_LINES,
    };
    for (i, t) in report.tests.iter().enumerate() {
        budget.test = MAX_TEST_DIFF_LINES;
        test_details(&mut out, i, t, &mut budget);
    }
    out.push_str("</section>\n");
    let _ = write!(out, "<script>{JS}</script>\n</body></html>\n");
    out
}

fn summary(out: &mut String, report: &RunReport) {
    let s = &report.summary;
    let _ = write!(
        out,
        "<header><h1>ptest {mode}</h1><p class=\"meta\"><span id=\"total\" data-count=\"{total}\">{total} tests</span> · \
         mode <b>{mode}</b> · total time <b>{time}</b>{interrupted}</p></header>\n\
         <section id=\"summary\"><ul class=\"counts\">",
        mode = report.mode.as_str(),
        total = s.total,
        time = secs(report.duration_secs),
        interrupted = if report.interrupted {
            " · <b class=\"warn\">interrupted</b>"
        } else {
            ""
        },
    );
    for status in STATUSES {
        let n = report.tests.iter().filter(|t| t.status == status).count();
        let key = status_key(status);
        let _ = write!(
            out,
            "<li class=\"count s-{key}\"><label><input type=\"checkbox\" class=\"status-filter\" value=\"{key}\" checked>\
             <b class=\"n\" data-status=\"{key}\">{n}</b> {word}</label></li>",
            word = status.word()
        );
    }
    out.push_str(
        "</ul><input id=\"search\" type=\"search\" placeholder=\"Filter by name\" aria-label=\"Filter tests by name\">\
         <span id=\"shown\"></span>\
         <span class=\"views\">Diffs: <label><input type=\"radio\" name=\"view\" value=\"split\" checked> side by side</label>\
         <label><input type=\"radio\" name=\"view\" value=\"unified\"> unified</label></span></section>\n",
    );
}

fn table(out: &mut String, report: &RunReport) {
    out.push_str(
        "<table id=\"tests\"><thead><tr>\
         <th data-sort=\"name\" data-type=\"text\">Test</th>\
         <th data-sort=\"rank\" data-type=\"num\">Status</th>\
         <th data-sort=\"duration\" data-type=\"num\">Duration</th>\
         <th data-sort=\"previous\" data-type=\"num\">Before</th>\
         <th data-sort=\"attempts\" data-type=\"num\">Attempts</th>\
         <th>Files</th></tr></thead><tbody>\n",
    );
    for (i, t) in report.tests.iter().enumerate() {
        let key = status_key(t.status);
        let flaky = if t.status == Status::Flaky || (t.attempts > 1 && t.status.is_success()) {
            " <span class=\"flaky\" title=\"failed at first, passed on a retry\">⚑ flaky</span>"
        } else {
            ""
        };
        let changed = t
            .files
            .iter()
            .filter(|f| f.verdict != FileVerdict::Same)
            .count();
        let files = if t.files.is_empty() {
            String::new()
        } else if changed == 0 {
            format!("{} same", t.files.len())
        } else {
            format!("{changed} of {} changed", t.files.len())
        };
        let _ = writeln!(
            out,
            "<tr class=\"s-{key}\" data-status=\"{key}\" data-name=\"{name}\" data-rank=\"{rank}\" \
             data-duration=\"{d}\" data-previous=\"{p}\" data-attempts=\"{a}\" data-visible=\"1\">\
             <td><a class=\"go\" href=\"#\" data-target=\"t-{i}\">{name}</a></td>\
             <td><span class=\"badge s-{key}\">{label}</span>{flaky}</td>\
             <td class=\"num\">{ds}</td><td class=\"num\">{ps}</td><td class=\"num\">{a}</td><td>{files}</td></tr>",
            name = esc(&t.name),
            rank = status_rank(t.status),
            d = t.duration_secs(),
            p = t.previous_duration_secs.unwrap_or(-1.0),
            a = t.attempts,
            ds = secs(t.duration_secs()),
            ps = t.previous_duration_secs.map(secs).unwrap_or_default(),
            label = t.status.label(),
        );
    }
    out.push_str("</tbody></table>\n");
}

fn test_details(out: &mut String, i: usize, t: &super::json::TestReport, budget: &mut Budget) {
    let key = status_key(t.status);
    let open = if t.status.is_success() && t.variation.is_none() {
        ""
    } else {
        " open"
    };
    let _ = writeln!(
        out,
        "<details class=\"test s-{key}\" id=\"t-{i}\" data-status=\"{key}\" data-name=\"{name}\" data-visible=\"1\"{open}>\
         <summary><span class=\"badge s-{key}\">{label}</span> <b class=\"name\">{name}</b> \
         <span class=\"dim\">{time}, {attempts} attempt(s) · {what}</span></summary>",
        name = esc(&t.name),
        label = t.status.label(),
        time = secs(t.duration_secs()),
        attempts = t.attempts,
        what = esc(&crate::record::summarise(&t.files)),
    );
    if let Some(message) = &t.message() {
        let shown = cut(message, MAX_MESSAGE_BYTES);
        let _ = writeln!(out, "<pre class=\"message\">{}</pre>", esc(&shown));
    }
    if let Some(stall) = &t.stall {
        progress(out, stall);
    }
    for f in &t.files {
        diff::file(out, &t.name, f, budget);
    }
    if let Some(found) = &t.variation {
        let target = format!("{}/test.toml", t.name);
        let _ = writeln!(
            out,
            "<div class=\"variation\"><p>What varied between its {} runs, with the checked suggestions</p><pre>{}</pre></div>",
            found.runs,
            esc(&crate::variation::render(found, &target))
        );
    }
    if !t.log_tail.is_empty() || !t.status.is_success() {
        let _ = write!(
            out,
            "<div class=\"log\"><p class=\"dim\">Last lines of the script's log; the full log is <code>{}</code></p>",
            esc(&t.log.display().to_string())
        );
        if !t.log_tail.is_empty() {
            let _ = write!(out, "<pre>{}</pre>", esc(&t.log_tail.join("\n")));
        }
        out.push_str("</div>\n");
    }
    out.push_str("</details>\n");
}

/// `text` cut to about `max` bytes on a character boundary, with a note.
fn cut(text: &str, max: usize) -> String {
    if text.len() <= max {
        return text.to_string();
    }
    let mut end = max;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}… [{} more bytes cut]", &text[..end], text.len() - end)
}

/// How far a stalled replay got (the runner's [`ReplayStall`]): a bar.
fn progress(out: &mut String, stall: &ReplayStall) {
    let Some(n) = stall.at.filter(|_| stall.total > 0) else {
        return;
    };
    let total = stall.total;
    let pct = (n as f64 / total as f64 * 100.0).min(100.0);
    let quiet = humantime::format_duration(std::time::Duration::from_secs(stall.quiet_secs));
    let _ = writeln!(
        out,
        "<div class=\"progress\">replay {} stalled at instruction {n} of {total} ({pct:.1}%) (no progress for {quiet})\
         <svg width=\"300\" height=\"10\" role=\"img\"><rect width=\"300\" height=\"10\" class=\"track\"/>\
         <rect width=\"{w:.1}\" height=\"10\" class=\"done\"/></svg></div>",
        esc(&stall.replay),
        w = pct * 3.0
    );
}
