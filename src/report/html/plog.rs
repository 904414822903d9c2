//! A pandalog entry-level report in the HTML report: the lines `ptest_plog` writes
//! (`entry N (instr I, pc 0xP): field old → new; …`, `entry N of SIDE (…): only in SIDE:
//! text`, then a line of totals) as a table with one row per changed field.
//!
//! It parses the report's text only; lines it does not recognise are shown as notes, never
//! dropped. Everything goes through [`esc`].

use std::fmt::Write as _;

use super::diff::{intraline, marked};
use super::esc;

/// A pandalog entry report: `entry N (instr I, pc 0xP): field old → new; …` and
/// `entry N of SIDE (instr I, pc 0xP): only in SIDE: text`, one row per field.
pub(super) fn table(out: &mut String, lines: &[&str]) {
    out.push_str(
        "<table class=\"plog\"><thead><tr><th>Entry</th><th>Instr</th><th>PC</th><th>Field</th><th>Blessed</th><th>New</th></tr></thead><tbody>",
    );
    let mut notes = Vec::new();
    for l in lines.iter().skip(2) {
        let Some((entry, instr, pc, rest)) = plog_label(l) else {
            notes.push(*l);
            continue;
        };
        let cells = format!(
            "<td class=\"num\">{}</td><td class=\"num\">{}</td><td><code>{}</code></td>",
            esc(entry),
            esc(instr),
            esc(pc)
        );
        if let Some(only) = rest.strip_prefix("only in ") {
            let (side, text) = only.split_once(": ").unwrap_or((only, ""));
            let (old, new) = if side == "new" {
                (String::new(), esc(text))
            } else {
                (esc(text), String::new())
            };
            let _ = write!(
                out,
                "<tr>{cells}<td class=\"dim\">only in {}</td><td class=\"del\">{old}</td><td class=\"add\">{new}</td></tr>",
                esc(side)
            );
            continue;
        }
        for change in rest.split("; ") {
            let (field, values) = match change.split_once(' ') {
                Some((f, v)) if v.contains(" → ") => (f, v),
                _ => ("", change),
            };
            let (old, new) = values.split_once(" → ").unwrap_or((values, ""));
            let (mo, mn) = intraline(old, new);
            let _ = write!(
                out,
                "<tr>{cells}<td><code>{}</code></td><td class=\"del\">{}</td><td class=\"add\">{}</td></tr>",
                esc(field),
                marked(old, &mo),
                marked(new, &mn)
            );
        }
    }
    out.push_str("</tbody></table>");
    for n in notes {
        let _ = write!(out, "<p class=\"note\">{}</p>", esc(n));
    }
}

/// `entry N[ of SIDE] (instr I, pc 0xP): rest` → (N, I, P, rest).
fn plog_label(line: &str) -> Option<(&str, &str, &str, &str)> {
    let rest = line.strip_prefix("entry ")?;
    let (entry, rest) = rest.split_once(' ')?;
    let rest = match rest.strip_prefix("of ") {
        Some(r) => r.split_once(' ')?.1,
        None => rest,
    };
    let rest = rest.strip_prefix("(instr ")?;
    let (instr, rest) = rest.split_once(", pc ")?;
    let (pc, rest) = rest.split_once("): ")?;
    Some((entry, instr, pc, rest))
}
