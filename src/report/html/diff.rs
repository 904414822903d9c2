//! One compared file in the HTML report: the rendered diff the compare layer stored
//! (`FileOutcome::Differs { diff }`) parsed back into rows: unified text diffs as a
//! side-by-side and a unified table with intra-line highlights, pandalog entry reports
//! as a table of field changes, binary hex windows and anything else as text.
//!
//! It only re-presents what the compare layer wrote (the shapes of `compare::render`,
//! `compare::binary` and `ptest_plog`'s report): it must not diff files itself, and
//! every piece of text goes through [`esc`]. Lines beyond the [`Budget`] are not rendered.

use std::fmt::Write as _;
use std::ops::Range;

use imara_diff::{Algorithm, Diff, InternedInput, Interner};

use super::{Budget, FOLD_LINES, esc};
use crate::compare::FileOutcome;
use crate::outcome::FileRecord;

/// Lines longer than this get no intra-line highlight (the diff would cost more than
/// it shows).
const MAX_INTRALINE_CHARS: usize = 2000;

/// One file's section.
pub(super) fn file(out: &mut String, test: &str, f: &FileRecord, budget: &mut Budget) {
    let diff = match &f.outcome {
        FileOutcome::Same => return,
        FileOutcome::Differs { difference } => crate::compare::render_difference(difference),
        _ => {
            let _ = writeln!(
                out,
                "<div class=\"file\">{}<p class=\"note\">{}</p></div>",
                heading(f),
                esc(crate::outcome::describe(f).trim_end())
            );
            return;
        }
    };
    let lines: Vec<&str> = diff.lines().collect();
    let left = budget.left();
    let shown = lines.len().min(left);
    budget.spend(shown);
    let folded = if shown > FOLD_LINES { "" } else { " open" };
    let _ = write!(
        out,
        "<div class=\"file\">{}<details class=\"diff\"{folded}><summary>{} diff line(s)</summary>",
        heading(f),
        lines.len()
    );
    let body = &lines[..shown];
    let first = body.first().copied().unwrap_or_default();
    if first.ends_with("(pandalog entries)") {
        super::plog::table(out, body);
    } else if first.starts_with("--- ") {
        unified(out, body);
    } else {
        pre(out, body);
    }
    if shown < lines.len() {
        let _ = write!(
            out,
            "<p class=\"note cut\">… {} more diff line(s) not shown: this report shows at most {} per test and {} in all; run <code>ptest diff {}</code></p>",
            lines.len() - shown,
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

/// Anything not parsed (binary hex windows, undecodable pandalogs): as text, with the
/// `-`/`+` rows of a hex window coloured.
fn pre(out: &mut String, lines: &[&str]) {
    out.push_str("<pre class=\"raw\">");
    for l in lines {
        let class = match l.as_bytes().first() {
            Some(b'-') if !l.starts_with("---") => " class=\"del\"",
            Some(b'+') if !l.starts_with("+++") => " class=\"add\"",
            _ => "",
        };
        let _ = writeln!(out, "<span{class}>{}</span>", esc(l));
    }
    out.push_str("</pre>");
}

/// A line of a unified diff as the compare layer writes it.
enum Line<'a> {
    Hunk {
        old: usize,
        new: usize,
        text: &'a str,
    },
    Same(&'a str),
    Del(&'a str),
    Add(&'a str),
    Note(&'a str),
}

fn parse<'a>(lines: &[&'a str]) -> Vec<Line<'a>> {
    let mut out = Vec::new();
    let mut headers = true;
    for l in lines {
        if headers && (l.starts_with("--- ") || l.starts_with("+++ ")) {
            continue;
        }
        if let Some(h) = l.strip_prefix("@@ ") {
            headers = false;
            let start = |sign: char| -> usize {
                h.split_whitespace()
                    .find_map(|w| w.strip_prefix(sign))
                    .and_then(|r| r.split(',').next()?.parse().ok())
                    .unwrap_or(1)
            };
            out.push(Line::Hunk {
                old: start('-'),
                new: start('+'),
                text: l,
            });
            continue;
        }
        out.push(match l.as_bytes().first() {
            Some(b' ') if !headers => Line::Same(&l[1..]),
            Some(b'-') if !headers => Line::Del(&l[1..]),
            Some(b'+') if !headers => Line::Add(&l[1..]),
            _ => Line::Note(l),
        });
    }
    out
}

/// Byte ranges that differ between two lines, by a character diff.
pub(super) fn intraline(a: &str, b: &str) -> (Vec<Range<usize>>, Vec<Range<usize>>) {
    if a.len() + b.len() > 2 * MAX_INTRALINE_CHARS {
        return (Vec::new(), Vec::new());
    }
    let ia: Vec<(usize, char)> = a.char_indices().collect();
    let ib: Vec<(usize, char)> = b.char_indices().collect();
    let mut input: InternedInput<char> = InternedInput {
        before: Vec::with_capacity(ia.len()),
        after: Vec::with_capacity(ib.len()),
        interner: Interner::new(ia.len() + ib.len()),
    };
    input.update_before(ia.iter().map(|c| c.1));
    input.update_after(ib.iter().map(|c| c.1));
    let mut diff = Diff::compute(Algorithm::Myers, &input);
    diff.postprocess_no_heuristic(&input);
    let bytes = |idx: &[(usize, char)], whole: &str, r: Range<u32>| -> Range<usize> {
        let at = |i: u32| idx.get(i as usize).map_or(whole.len(), |c| c.0);
        at(r.start)..at(r.end)
    };
    // Scattered single-character matches ("init" → "systemd") say less than marking the
    // whole of both: highlight pieces only when most of the shorter side is shared.
    let shared = ia.len() - diff.count_removals() as usize;
    if shared * 2 < ia.len().min(ib.len()) {
        let whole = |s: &str| {
            if s.is_empty() {
                Vec::new()
            } else {
                std::iter::once(0..s.len()).collect()
            }
        };
        return (whole(a), whole(b));
    }
    let (mut ra, mut rb) = (Vec::new(), Vec::new());
    for h in diff.hunks() {
        if !h.before.is_empty() {
            ra.push(bytes(&ia, a, h.before));
        }
        if !h.after.is_empty() {
            rb.push(bytes(&ib, b, h.after));
        }
    }
    (ra, rb)
}

/// `text` escaped, with `marks` wrapped in `<mark>`.
pub(super) fn marked(text: &str, marks: &[Range<usize>]) -> String {
    let mut out = String::new();
    let mut at = 0;
    for r in marks {
        out.push_str(&esc(&text[at..r.start]));
        let _ = write!(out, "<mark>{}</mark>", esc(&text[r.clone()]));
        at = r.end;
    }
    out.push_str(&esc(&text[at..]));
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

fn rows(lines: &[Line<'_>]) -> Vec<Row> {
    let mut rows = Vec::new();
    let (mut old, mut new) = (1, 1);
    let mut i = 0;
    while i < lines.len() {
        match &lines[i] {
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
                    dels.push(*t);
                    i += 1;
                }
                let mut adds = Vec::new();
                while let Some(Line::Add(t)) = lines.get(i) {
                    adds.push(*t);
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
fn unified(out: &mut String, lines: &[&str]) {
    let rows = rows(&parse(lines));
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
