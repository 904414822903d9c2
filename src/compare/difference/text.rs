//! A [`Difference`] as uncoloured text: unified diffs as `diff -u` writes them, the binary
//! report with its hex rows, the pandalog entry report. What the terminal, `ptest diff`
//! and JUnit show; the bytes are those ptest has always printed.

use std::fmt::Write as _;

use super::{
    BinaryDiff, DiffLine, Difference, FirstOnly, HexRow, Hunk, LineKind, LineRange, PlogDiff,
    SortedLines, TextDiff, Truncation,
};

/// The difference as text, ending in a newline.
pub fn render(d: &Difference) -> String {
    match d {
        Difference::Text(t) => text(t),
        Difference::SortedLines(s) => sorted_lines(s),
        Difference::Binary(b) => lines(&binary_lines(b)),
        Difference::Plog(p) => plog(p),
        Difference::DiffFailed { name } => {
            let mut out = String::new();
            headers(&mut out, name, "");
            let _ = writeln!(out, "{DIFF_FAILED}");
            out
        }
        Difference::Undecodable { why, bytes } => format!(
            "{}\n{}",
            undecodable_note(&bytes.name, why),
            lines(&binary_lines(bytes))
        ),
    }
}

fn headers(out: &mut String, name: &str, note: &str) {
    let _ = write!(out, "--- blessed/{name}{note}\n+++ new/{name}{note}\n");
}

/// The undecodable-pandalog note, before the bytes' report.
pub fn undecodable_note(name: &str, why: &str) -> String {
    format!(
        "cannot compare blessed/{name} and new/{name} as pandalogs ({why}); they differ byte-wise:"
    )
}

/// `-a,b` as GNU diff writes it: `b` omitted when 1; an empty range names the line before.
pub fn range(r: LineRange) -> String {
    match r.len {
        0 => format!("{},0", r.start),
        1 => format!("{}", r.start + 1),
        _ => format!("{},{}", r.start + 1, r.len),
    }
}

/// `@@ -a,b +c,d @@`.
pub fn hunk_header(h: &Hunk) -> String {
    format!("@@ -{} +{} @@", range(h.old), range(h.new))
}

/// A line's text as shown, without its prefix: cut lines say how much was cut.
pub fn line_text(l: &DiffLine) -> String {
    match l.cut_bytes {
        Some(rest) => format!("{}… [line cut: {rest} more bytes]", l.text),
        None => l.text.clone(),
    }
}

/// What a diff whose computation failed says, after the headers.
pub const DIFF_FAILED: &str = "the files differ, but computing their diff failed";

/// The note after a line without a newline.
pub const NO_NEWLINE: &str = "\\ No newline at end of file";

/// The note before the hunk of files too large to diff.
pub fn first_only_note(first: &FirstOnly) -> String {
    format!(
        "{}: showing the first difference only, at line {}",
        first.why, first.line
    )
}

/// The note after a diff the `diff-lines` budget cut.
pub fn truncation_note(cut: &Truncation) -> String {
    format!("… {} more diff lines cut (see {})", cut.lines, cut.see)
}

fn text(t: &TextDiff) -> String {
    let mut out = String::new();
    headers(
        &mut out,
        &t.name,
        if t.sorted { " (lines sorted)" } else { "" },
    );
    if let Some(first) = &t.first_only {
        let _ = writeln!(out, "{}", first_only_note(first));
    }
    for h in &t.hunks {
        let _ = writeln!(out, "{}", hunk_header(h));
        for l in &h.lines {
            let _ = writeln!(out, "{}{}", l.kind.prefix(), line_text(l));
            if l.no_newline {
                let _ = writeln!(out, "{NO_NEWLINE}");
            }
        }
    }
    if let Some(cut) = &t.truncated {
        let _ = writeln!(out, "{}", truncation_note(cut));
    }
    out
}

/// Text lines, each ending in a newline.
fn lines(ls: &[(Option<LineKind>, String)]) -> String {
    ls.iter().map(|(_, l)| format!("{l}\n")).collect()
}

fn sorted_lines(s: &SortedLines) -> String {
    let mut out = String::new();
    headers(&mut out, &s.name, " (lines sorted)");
    let _ = writeln!(out, "{}", sorted_lines_note(s));
    out
}

fn human(n: u64) -> String {
    if n < 1024 {
        format!("{n} bytes")
    } else {
        format!("{n} bytes ({})", crate::human::size(n))
    }
}

/// One hex row: offset, 16 bytes in two groups of 8, then the printable ones.
pub fn hex_row(row: &HexRow<'_>) -> String {
    let mut hex = String::new();
    for i in 0..super::HEX_ROW as usize {
        match row.bytes.get(i) {
            Some(b) => {
                let _ = write!(hex, "{b:02x} ");
            }
            None => hex.push_str("   "),
        }
        if i == 7 {
            hex.push(' ');
        }
    }
    let ascii: String = row
        .bytes
        .iter()
        .map(|&b| {
            if b.is_ascii_graphic() || b == b' ' {
                b as char
            } else {
                '.'
            }
        })
        .collect();
    format!("{}{:08x}  {hex} |{ascii}|", row.kind.prefix(), row.at)
}

/// The binary report's lines: three of facts (no kind), then the hex rows with theirs.
pub fn binary_lines(b: &BinaryDiff) -> Vec<(Option<LineKind>, String)> {
    let (sa, sb, offset) = (b.blessed_size, b.new_size, b.offset);
    let mut out = vec![(
        None,
        format!(
            "Binary files blessed/{name} and new/{name} differ",
            name = b.name
        ),
    )];
    let delta = sb as i128 - sa as i128;
    let delta = if delta == 0 {
        "same size".to_string()
    } else {
        format!("{delta:+} bytes")
    };
    out.push((
        None,
        format!("size: blessed {}, new {} ({delta})", human(sa), human(sb)),
    ));
    let shorter = if offset == sa && sa < sb {
        " (blessed ends there; new continues)"
    } else if offset == sb && sb < sa {
        " (new ends there; blessed continues)"
    } else {
        ""
    };
    out.push((
        None,
        format!("first difference at byte offset {offset} (0x{offset:x}){shorter}"),
    ));
    for row in b.rows() {
        out.push((Some(row.kind), hex_row(&row)));
    }
    out
}

/// The sorted-lines note, after the headers.
pub fn sorted_lines_note(s: &SortedLines) -> String {
    format!(
        "{}: the files hold different lines ({} and {} lines); to see which: diff <(sort blessed/{name}) <(sort new/{name})",
        s.why,
        s.blessed_lines,
        s.new_lines,
        name = s.name
    )
}

fn plog(p: &PlogDiff) -> String {
    let mut out = String::new();
    headers(&mut out, &p.name, " (pandalog entries)");
    out.push_str(&p.changes.render());
    out
}
