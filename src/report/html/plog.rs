//! Pandalog entry changes in the HTML report: one row per changed field (entry, instr,
//! pc, field, blessed value, new value), one per entry only one side has, then the
//! totals as a note. Rendered from the [`PlogChanges`] the compare layer stored;
//! everything goes through [`esc`].

use std::fmt::Write as _;

use super::esc;
use super::highlight::{intraline, marked};
use crate::compare::{EntryAt, EntryChange, LogSide, PlogChanges};

/// The first `shown` changes as a table; the totals when the budget leaves a line for them.
pub(super) fn table(out: &mut String, changes: &PlogChanges, shown: usize) {
    out.push_str(
        "<table class=\"plog\"><thead><tr><th>Entry</th><th>Instr</th><th>PC</th><th>Field</th><th>Blessed</th><th>New</th></tr></thead><tbody>",
    );
    for change in changes.changes.iter().take(shown) {
        match change {
            EntryChange::Fields { entry, fields } => {
                for f in fields {
                    let absent = |v: &Option<String>| v.clone().unwrap_or("(absent)".into());
                    field_row(out, entry, &f.path, &absent(&f.old), &absent(&f.new));
                }
            }
            EntryChange::Text { entry, old, new } => field_row(out, entry, "", old, new),
            EntryChange::OnlyIn { entry, side, text } => {
                let (old, new) = match side {
                    LogSide::First => (esc(text), String::new()),
                    LogSide::Second => (String::new(), esc(text)),
                };
                let _ = write!(
                    out,
                    "<tr>{}<td class=\"dim\">only in {}</td><td class=\"del\">{old}</td><td class=\"add\">{new}</td></tr>",
                    cells(entry),
                    esc(&changes.names[*side as usize])
                );
            }
        }
    }
    out.push_str("</tbody></table>");
    if shown > changes.changes.len() {
        let _ = write!(out, "<p class=\"note\">{}</p>", esc(&changes.summary()));
    }
}

fn cells(e: &EntryAt) -> String {
    format!(
        "<td class=\"num\">{}</td><td class=\"num\">{}</td><td><code>{:#x}</code></td>",
        e.index, e.instr, e.pc
    )
}

fn field_row(out: &mut String, entry: &EntryAt, field: &str, old: &str, new: &str) {
    let (mo, mn) = intraline(old, new);
    let _ = write!(
        out,
        "<tr>{}<td><code>{}</code></td><td class=\"del\">{}</td><td class=\"add\">{}</td></tr>",
        cells(entry),
        esc(field),
        marked(old, &mo),
        marked(new, &mn)
    );
}
