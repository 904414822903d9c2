//! A [`Difference`] as uncoloured text: unified diffs as `diff -u` writes them, the binary
//! report with its hex rows, the pandalog entry report. What the terminal, `ptest diff`
//! and JUnit show; the bytes are those ptest has always printed.

use std::fmt::Write as _;

use super::{BinaryDiff, Difference, HexRow, LineRange, PlogDiff, SortedLines, TextDiff};

/// The difference as text, ending in a newline.
pub fn render(d: &Difference) -> String {
    match d {
        Difference::Text(t) => text(t),
        Difference::SortedLines(s) => sorted_lines(s),
        Difference::Binary(b) => binary(b),
        Difference::Plog(p) => plog(p),
        Difference::Undecodable { why, bytes } => format!(
            "cannot compare blessed/{name} and new/{name} as pandalogs ({why}); they differ byte-wise:\n{}",
            binary(bytes),
            name = bytes.name
        ),
    }
}

fn headers(out: &mut String, name: &str, note: &str) {
    let _ = write!(out, "--- blessed/{name}{note}\n+++ new/{name}{note}\n");
}

/// `-a,b` as GNU diff writes it: `b` omitted when 1; an empty range names the line before.
pub fn range(r: LineRange) -> String {
    match r.len {
        0 => format!("{},0", r.start),
        1 => format!("{}", r.start + 1),
        _ => format!("{},{}", r.start + 1, r.len),
    }
}

fn text(t: &TextDiff) -> String {
    let mut out = String::new();
    headers(
        &mut out,
        &t.name,
        if t.sorted { " (lines sorted)" } else { "" },
    );
    if let Some(first) = &t.first_only {
        let _ = writeln!(
            out,
            "{}: showing the first difference only, at line {}",
            first.why, first.line
        );
    }
    for h in &t.hunks {
        let _ = writeln!(out, "@@ -{} +{} @@", range(h.old), range(h.new));
        for l in &h.lines {
            out.push(l.kind.prefix());
            out.push_str(&l.text);
            if let Some(rest) = l.cut_bytes {
                let _ = write!(out, "… [line cut: {rest} more bytes]");
            }
            out.push('\n');
            if l.no_newline {
                out.push_str("\\ No newline at end of file\n");
            }
        }
    }
    if let Some(cut) = &t.truncated {
        let _ = writeln!(out, "… {} more diff lines cut (see {})", cut.lines, cut.see);
    }
    out
}

fn sorted_lines(s: &SortedLines) -> String {
    let mut out = String::new();
    headers(&mut out, &s.name, " (lines sorted)");
    let _ = writeln!(
        out,
        "{}: the files hold different lines ({} and {} lines); to see which: diff <(sort blessed/{name}) <(sort new/{name})",
        s.why,
        s.blessed_lines,
        s.new_lines,
        name = s.name
    );
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

fn binary(b: &BinaryDiff) -> String {
    let (sa, sb, offset) = (b.blessed_size, b.new_size, b.offset);
    let mut out = format!(
        "Binary files blessed/{name} and new/{name} differ\n",
        name = b.name
    );
    let delta = sb as i128 - sa as i128;
    let delta = if delta == 0 {
        "same size".to_string()
    } else {
        format!("{delta:+} bytes")
    };
    let _ = writeln!(
        out,
        "size: blessed {}, new {} ({delta})",
        human(sa),
        human(sb)
    );
    let shorter = if offset == sa && sa < sb {
        " (blessed ends there; new continues)"
    } else if offset == sb && sb < sa {
        " (new ends there; blessed continues)"
    } else {
        ""
    };
    let _ = writeln!(
        out,
        "first difference at byte offset {offset} (0x{offset:x}){shorter}"
    );
    for row in b.rows() {
        out.push_str(&hex_row(&row));
        out.push('\n');
    }
    out
}

fn plog(p: &PlogDiff) -> String {
    let mut out = String::new();
    headers(&mut out, &p.name, " (pandalog entries)");
    out.push_str(&p.changes.render());
    out
}
