//! Rendering diffs as text, cut to a number of lines: the `@@` hunks of a unified diff,
//! the report of a first difference found by streaming, headers and the "… more diff
//! lines cut" note. Lines are shown as they were compared, and over-long lines are cut.
//!
//! It must not compute diffs (that is `diff`) nor read files: it only formats what it is
//! given.

use std::ops::Range;

use super::lines::Lines;

/// Lines of context around each change, as `diff -u`.
pub(super) const CONTEXT: usize = 3;

/// Longer lines are shown cut, so one huge line cannot bloat reports and the run state.
pub(super) const MAX_SHOWN_LINE_BYTES: usize = 2000;

/// What to call the files and how much to show.
pub(crate) struct DiffOptions<'a> {
    /// The file's name relative to the output folders.
    pub name: &'a str,
    /// Appended to the `---`/`+++` headers (` (sorted)`).
    pub header_note: &'a str,
    /// Cut the diff after this many lines (headers not counted).
    pub max_lines: usize,
    /// Where to see the rest (`ptest diff NAME`).
    pub more: &'a str,
}

/// One change in whole-file line numbers (0-based): `before` lines replaced by `after` lines.
pub(super) struct Hunk {
    pub before: Range<usize>,
    pub after: Range<usize>,
}

/// Collects diff lines up to the budget and counts the rest.
struct Emitter {
    out: String,
    shown: usize,
    cut: usize,
    max: usize,
    terminators: bool,
}

impl Emitter {
    fn new(max: usize, terminators: bool) -> Emitter {
        Emitter {
            out: String::new(),
            shown: 0,
            cut: 0,
            max,
            terminators,
        }
    }

    fn raw(&mut self, line: impl FnOnce() -> String) {
        if self.shown < self.max {
            self.out.push_str(&line());
            self.out.push('\n');
            self.shown += 1;
        } else {
            self.cut += 1;
        }
    }

    fn line(&mut self, prefix: char, text: &[u8]) {
        let body = text.strip_suffix(b"\n");
        let no_newline = self.terminators && body.is_none();
        let body = body.unwrap_or(text);
        self.raw(|| {
            if body.len() > MAX_SHOWN_LINE_BYTES {
                let shown = String::from_utf8_lossy(&body[..MAX_SHOWN_LINE_BYTES]);
                let rest = body.len() - MAX_SHOWN_LINE_BYTES;
                format!("{prefix}{shown}… [line cut: {rest} more bytes]")
            } else {
                format!("{prefix}{}", String::from_utf8_lossy(body))
            }
        });
        if no_newline {
            self.raw(|| "\\ No newline at end of file".to_string());
        }
    }

    /// Headers, the lines shown, and the note on what was cut.
    fn finish(self, opts: &DiffOptions<'_>, mut out: String) -> String {
        out.push_str(&self.out);
        if self.cut > 0 {
            out.push_str(&format!(
                "… {} more diff lines cut (see {})\n",
                self.cut, opts.more
            ));
        }
        out
    }
}

/// `-a,b` as GNU diff writes it: `b` omitted when 1; an empty range names the line before.
fn range(start: usize, len: usize) -> String {
    match len {
        0 => format!("{start},0"),
        1 => format!("{}", start + 1),
        _ => format!("{},{len}", start + 1),
    }
}

fn headers(opts: &DiffOptions<'_>) -> String {
    format!(
        "--- blessed/{name}{note}\n+++ new/{name}{note}\n",
        name = opts.name,
        note = opts.header_note
    )
}

/// A unified diff of `before` (blessed) and `after` (new) from their changes, grouped into
/// hunks that share context (each group non-empty, in order).
pub(super) fn unified(
    before: &Lines,
    after: &Lines,
    groups: &[Vec<Hunk>],
    opts: &DiffOptions<'_>,
) -> String {
    let nb = before.len();
    let mut em = Emitter::new(opts.max_lines, before.terminators());
    for g in groups {
        let (Some(first), Some(last)) = (g.first(), g.last()) else {
            continue;
        };
        let lead = CONTEXT.min(first.before.start);
        let trail = CONTEXT.min(nb - last.before.end);
        let sb = first.before.start - lead;
        let sa = first.after.start - lead;
        let lb = last.before.end + trail - sb;
        let la = last.after.end + trail - sa;
        em.raw(|| format!("@@ -{} +{} @@", range(sb, lb), range(sa, la)));
        let mut cursor = sb;
        for h in g {
            for i in cursor..h.before.start {
                em.line(' ', before.line(i));
            }
            for i in h.before.clone() {
                em.line('-', before.line(i));
            }
            for i in h.after.clone() {
                em.line('+', after.line(i));
            }
            cursor = h.before.end;
        }
        for i in cursor..cursor + trail {
            em.line(' ', before.line(i));
        }
    }
    em.finish(opts, headers(opts))
}

/// The first difference found by streaming two files too large to diff in memory.
#[derive(Debug, Default)]
pub(crate) struct FirstDiff {
    /// 1-based line number (on both sides: all lines before it are equal).
    pub line: u64,
    /// Up to [`CONTEXT`] equal lines before it.
    pub context: Vec<Vec<u8>>,
    /// The differing line on each side; `None` at the end of that file.
    pub blessed: Option<Vec<u8>>,
    pub new: Option<Vec<u8>>,
}

/// Report for files too large to diff: where they first differ, in diff form.
pub(crate) fn first_only(
    first: &FirstDiff,
    why: &str,
    terminators: bool,
    opts: &DiffOptions<'_>,
) -> String {
    let mut out = headers(opts);
    out.push_str(&format!(
        "{why}: showing the first difference only, at line {}\n",
        first.line
    ));
    // Saturating: pieces of an over-long line count as context without being lines.
    let start = (first.line as usize).saturating_sub(1 + first.context.len());
    let lb = first.context.len() + usize::from(first.blessed.is_some());
    let la = first.context.len() + usize::from(first.new.is_some());
    let mut em = Emitter::new(opts.max_lines, terminators);
    em.raw(|| format!("@@ -{} +{} @@", range(start, lb), range(start, la)));
    for c in &first.context {
        em.line(' ', c);
    }
    if let Some(b) = &first.blessed {
        em.line('-', b);
    }
    if let Some(n) = &first.new {
        em.line('+', n);
    }
    em.finish(opts, out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn opts(max: usize) -> DiffOptions<'static> {
        DiffOptions {
            name: "out.txt",
            header_note: "",
            max_lines: max,
            more: "ptest diff t1",
        }
    }

    #[test]
    fn first_only_rendering() {
        let f = FirstDiff {
            line: 7,
            context: vec![b"four\n".to_vec(), b"five\n".to_vec(), b"six\n".to_vec()],
            blessed: Some(b"seven\n".to_vec()),
            new: None,
        };
        insta::assert_snapshot!(first_only(
            &f,
            "files too large for a full diff (3221225472 and 3221225472 bytes, about 6 GiB to diff; limit 1 GiB)",
            true,
            &opts(200)
        ));
    }

    #[test]
    fn first_only_is_cut_with_the_note() {
        let f = FirstDiff {
            line: 7,
            context: vec![b"four\n".to_vec(), b"five\n".to_vec(), b"six\n".to_vec()],
            blessed: Some(b"seven\n".to_vec()),
            new: Some(b"7\n".to_vec()),
        };
        let d = first_only(&f, "too large", true, &opts(2));
        assert!(
            d.ends_with("@@ -4,4 +4,4 @@\n four\n… 4 more diff lines cut (see ptest diff t1)\n"),
            "{d}"
        );
    }
}
