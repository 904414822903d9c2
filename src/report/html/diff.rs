//! One compared file in the HTML report, rendered from the [`Difference`] the compare
//! layer stored: line diffs as a side-by-side and a unified table with intra-line
//! highlights, pandalog entry changes as a table of fields (`plog`), binary windows as
//! hex rows coloured by side.
//!
//! It only lays out what the compare layer found, in its words (`compare::wording`): it
//! must not diff files itself nor parse text, and every piece of text goes through
//! [`esc`]. Lines beyond the [`Budget`] are not rendered.

use std::fmt::Write as _;

use super::highlight::{intraline, marked};
use super::{Budget, FOLD_LINES, esc};
use crate::compare::{Difference, FileVerdict, LineKind, LineRange, TextDiff, wording};
use crate::record::FileRecord;

/// One file's section.
pub(super) fn file(out: &mut String, test: &str, f: &FileRecord, budget: &mut Budget) {
    let difference = match &f.verdict {
        FileVerdict::Same => return,
        FileVerdict::Differs { difference } => difference,
        _ => {
            let _ = writeln!(
                out,
                "<div class=\"file\">{}<p class=\"note\">{}</p></div>",
                heading(f),
                esc(crate::record::describe(f).trim_end())
            );
            return;
        }
    };
    // Lines counted as the text rendering has them, so the budget means the same here.
    let total = line_count(difference);
    let shown = total.min(budget.left());
    budget.spend(shown);
    let folded = if shown > FOLD_LINES { "" } else { " open" };
    let _ = write!(
        out,
        "<div class=\"file\">{}<details class=\"diff\"{folded}><summary>{} diff line(s)</summary>",
        heading(f),
        total
    );
    match difference {
        Difference::Plog(p) => super::plog::table(out, &p.changes, shown.saturating_sub(2)),
        Difference::Text(_) | Difference::SortedLines(_) | Difference::DiffFailed { .. } => {
            let mut lines = text_lines(difference);
            lines.truncate(shown);
            unified(out, &lines);
        }
        Difference::Binary(_) | Difference::Undecodable { .. } => {
            let mut lines = pre_lines(difference);
            lines.truncate(shown);
            pre(out, &lines);
        }
    }
    if shown < total {
        let _ = write!(
            out,
            "<p class=\"note cut\">… {} more diff line(s) not shown: this report shows at most {} per test and {} in all; run <code>ptest diff {}</code></p>",
            total - shown,
            super::MAX_TEST_DIFF_LINES,
            super::MAX_REPORT_DIFF_LINES,
            esc(test)
        );
    }
    out.push_str("</details></div>\n");
}

fn heading(f: &FileRecord) -> String {
    let filters = if f.filters.is_empty() {
        "<span class=\"filters dim\">no filters applied</span>".to_string()
    } else {
        let list: Vec<String> = f
            .filters
            .iter()
            .map(|l| format!("<code>{}</code>", esc(l)))
            .collect();
        format!(
            "<span class=\"filters\">after filters: {}</span>",
            list.join(", ")
        )
    };
    format!(
        "<h3>{} <span class=\"mode\">{}</span> {filters}</h3>",
        esc(&f.name),
        esc(&f.mode)
    )
}

/// How many lines the difference's text has.
fn line_count(d: &Difference) -> usize {
    match d {
        Difference::Text(_) | Difference::SortedLines(_) | Difference::DiffFailed { .. } => {
            text_lines(d).len()
        }
        Difference::Binary(_) | Difference::Undecodable { .. } => pre_lines(d).len(),
        // Two headers, the changes, the totals.
        Difference::Plog(p) => p.changes.changes.len() + 3,
    }
}

/// Binary windows (of undecodable pandalogs too): as text, hex rows coloured by side.
fn pre_lines(d: &Difference) -> Vec<(Option<LineKind>, String)> {
    match d {
        Difference::Binary(b) => wording::binary_lines(b),
        Difference::Undecodable { why, bytes } => {
            let mut lines = vec![(None, wording::undecodable_note(&bytes.name, why))];
            lines.extend(wording::binary_lines(bytes));
            lines
        }
        _ => Vec::new(),
    }
}

fn pre(out: &mut String, lines: &[(Option<LineKind>, String)]) {
    out.push_str("<pre class=\"raw\">");
    for (kind, l) in lines {
        let class = match kind {
            Some(LineKind::Removed) => " class=\"del\"",
            Some(LineKind::Added) => " class=\"add\"",
            _ => "",
        };
        let _ = writeln!(out, "<span{class}>{}</span>", esc(l));
    }
    out.push_str("</pre>");
}

/// A line of a line diff, as the table shows it.
enum Line {
    /// `---`/`+++`: counted, not shown (the heading names the file).
    Header,
    /// A hunk's first line numbers (as written, 1-based) and its `@@` header.
    Hunk {
        old: usize,
        new: usize,
        text: String,
    },
    Same(String),
    Del(String),
    Add(String),
    Note(String),
}

/// A line diff's lines, in the order of its text.
fn text_lines(d: &Difference) -> Vec<Line> {
    match d {
        Difference::Text(t) => lines_of(t),
        Difference::SortedLines(s) => vec![
            Line::Header,
            Line::Header,
            Line::Note(wording::sorted_lines_note(s)),
        ],
        Difference::DiffFailed { .. } => vec![
            Line::Header,
            Line::Header,
            Line::Note(wording::DIFF_FAILED.to_string()),
        ],
        _ => Vec::new(),
    }
}

/// An empty range names the line before it, as `diff -u` writes it.
fn first_line(r: LineRange) -> usize {
    if r.len == 0 { r.start } else { r.start + 1 }
}

fn lines_of(t: &TextDiff) -> Vec<Line> {
    let mut out = vec![Line::Header, Line::Header];
    if let Some(first) = &t.first_only {
        out.push(Line::Note(wording::first_only_note(first)));
    }
    for h in &t.hunks {
        out.push(Line::Hunk {
            old: first_line(h.old),
            new: first_line(h.new),
            text: wording::hunk_header(h),
        });
        for l in &h.lines {
            let text = wording::line_text(l);
            out.push(match l.kind {
                LineKind::Context => Line::Same(text),
                LineKind::Removed => Line::Del(text),
                LineKind::Added => Line::Add(text),
            });
            if l.no_newline {
                out.push(Line::Note(wording::NO_NEWLINE.to_string()));
            }
        }
    }
    if let Some(cut) = &t.truncated {
        out.push(Line::Note(wording::truncation_note(cut)));
    }
    out
}

/// A cell's text: `-`/`+` lines paired with their counterpart get highlights.
struct Cell {
    num: usize,
    html: String,
}

/// Rows of the side-by-side table: (old, new); one side empty where a line has no
/// counterpart.
enum Row {
    Hunk(String),
    Note(String),
    Same(Cell, Cell),
    Change(Option<Cell>, Option<Cell>),
}

fn rows(lines: &[Line]) -> Vec<Row> {
    let mut rows = Vec::new();
    let (mut old, mut new) = (1, 1);
    let mut i = 0;
    while i < lines.len() {
        match &lines[i] {
            Line::Header => i += 1,
            Line::Hunk {
                old: o,
                new: n,
                text,
            } => {
                // An empty side's range names the line before it (`-0,0`, `-4,0`).
                (old, new) = ((*o).max(1), (*n).max(1));
                rows.push(Row::Hunk(esc(text)));
                i += 1;
            }
            Line::Note(t) => {
                rows.push(Row::Note(esc(t)));
                i += 1;
            }
            Line::Same(t) => {
                let html = esc(t);
                rows.push(Row::Same(
                    Cell {
                        num: old,
                        html: html.clone(),
                    },
                    Cell { num: new, html },
                ));
                (old, new) = (old + 1, new + 1);
                i += 1;
            }
            Line::Del(_) | Line::Add(_) => {
                let mut dels = Vec::new();
                while let Some(Line::Del(t)) = lines.get(i) {
                    dels.push(t.as_str());
                    i += 1;
                }
                let mut adds = Vec::new();
                while let Some(Line::Add(t)) = lines.get(i) {
                    adds.push(t.as_str());
                    i += 1;
                }
                for k in 0..dels.len().max(adds.len()) {
                    let (d, a) = (dels.get(k), adds.get(k));
                    let (md, ma) = match (d, a) {
                        (Some(d), Some(a)) => intraline(d, a),
                        _ => (Vec::new(), Vec::new()),
                    };
                    let left = d.map(|d| {
                        old += 1;
                        Cell {
                            num: old - 1,
                            html: marked(d, &md),
                        }
                    });
                    let right = a.map(|a| {
                        new += 1;
                        Cell {
                            num: new - 1,
                            html: marked(a, &ma),
                        }
                    });
                    rows.push(Row::Change(left, right));
                }
            }
        }
    }
    rows
}

/// Both views of a unified diff; the page's radio buttons show one.
fn unified(out: &mut String, lines: &[Line]) {
    let rows = rows(lines);
    out.push_str("<table class=\"diff split\"><colgroup><col class=\"ln\"><col><col class=\"ln\"><col></colgroup><tbody>");
    for r in &rows {
        match r {
            Row::Hunk(h) => {
                let _ = write!(out, "<tr class=\"hunk\"><td colspan=\"4\">{h}</td></tr>");
            }
            Row::Note(t) => {
                let _ = write!(out, "<tr class=\"note\"><td colspan=\"4\">{t}</td></tr>");
            }
            Row::Same(a, b) => {
                let _ = write!(
                    out,
                    "<tr class=\"same\"><td class=\"ln\">{}</td><td class=\"old\">{}</td><td class=\"ln\">{}</td><td class=\"new\">{}</td></tr>",
                    a.num, a.html, b.num, b.html
                );
            }
            Row::Change(a, b) => {
                out.push_str("<tr class=\"change\">");
                for (c, class) in [(a, "old del"), (b, "new add")] {
                    match c {
                        Some(c) => {
                            let _ = write!(
                                out,
                                "<td class=\"ln\">{}</td><td class=\"{class}\">{}</td>",
                                c.num, c.html
                            );
                        }
                        None => out.push_str("<td class=\"ln\"></td><td class=\"empty\"></td>"),
                    }
                }
                out.push_str("</tr>");
            }
        }
    }
    out.push_str("</tbody></table><table class=\"diff unified\"><colgroup><col class=\"ln\"><col class=\"ln\"><col></colgroup><tbody>");
    // The unified view lists a change's removed lines, then its added ones.
    let mut adds: Vec<&Cell> = Vec::new();
    let flush = |out: &mut String, adds: &mut Vec<&Cell>| {
        for c in adds.drain(..) {
            let _ = write!(
                out,
                "<tr><td class=\"ln\"></td><td class=\"ln\">{}</td><td class=\"add\">+{}</td></tr>",
                c.num, c.html
            );
        }
    };
    for r in &rows {
        if !matches!(r, Row::Change(..)) {
            flush(out, &mut adds);
        }
        match r {
            Row::Hunk(h) => {
                let _ = write!(out, "<tr class=\"hunk\"><td colspan=\"3\">{h}</td></tr>");
            }
            Row::Note(t) => {
                let _ = write!(out, "<tr class=\"note\"><td colspan=\"3\">{t}</td></tr>");
            }
            Row::Same(a, b) => {
                let _ = write!(
                    out,
                    "<tr><td class=\"ln\">{}</td><td class=\"ln\">{}</td><td> {}</td></tr>",
                    a.num, b.num, a.html
                );
            }
            Row::Change(a, b) => {
                if let Some(a) = a {
                    let _ = write!(
                        out,
                        "<tr><td class=\"ln\">{}</td><td class=\"ln\"></td><td class=\"del\">-{}</td></tr>",
                        a.num, a.html
                    );
                }
                adds.extend(b.as_ref());
            }
        }
    }
    flush(out, &mut adds);
    out.push_str("</tbody></table>");
}
