//! Building a diff's shown lines, cut to a number of lines: the `@@` hunks of a unified
//! diff and the report of a first difference found by streaming, as a typed
//! [`TextDiff`] with what was cut. Lines are kept as they were compared, over-long lines
//! cut.
//!
//! It must not compute diffs (that is `diff`) nor read files, nor write text (that is
//! `difference::render`): it only picks what is shown.

use std::ops::Range;

use super::difference::{
    DiffLine, FirstOnly, Hunk as DiffHunk, LineKind, LineRange, TextDiff, Truncation,
};
use super::lines::Lines;

/// Lines of context around each change, as `diff -u`.
pub(in crate::compare) const CONTEXT: usize = 3;

/// Longer lines are shown cut, so one huge line cannot bloat reports and the run state.
pub(in crate::compare) const MAX_SHOWN_LINE_BYTES: usize = 2000;

/// What to call the files and how much to show.
pub(crate) struct DiffOptions<'a> {
    /// The file's name relative to the output folders.
    pub name: &'a str,
    /// Lines were sorted before comparing (the headers say so).
    pub sorted: bool,
    /// Cut the diff after this many lines (headers not counted).
    pub max_lines: usize,
    /// Where to see the rest (`ptest diff NAME`).
    pub more: &'a str,
}

/// One change in whole-file line numbers (0-based): `before` lines replaced by `after` lines.
pub(in crate::compare) struct Hunk {
    pub before: Range<usize>,
    pub after: Range<usize>,
}

/// Collects diff lines into hunks up to the budget and counts the rest; the hunk
/// header and a "no newline" note each count as a line, as they do on screen.
struct Emitter {
    hunks: Vec<DiffHunk>,
    shown: usize,
    cut: usize,
    max: usize,
    terminators: bool,
}

impl Emitter {
    fn new(max: usize, terminators: bool) -> Emitter {
        Emitter {
            hunks: Vec::new(),
            shown: 0,
            cut: 0,
            max,
            terminators,
        }
    }

    /// Whether one more line fits; counts it as cut when not.
    fn fits(&mut self) -> bool {
        if self.shown < self.max {
            self.shown += 1;
            true
        } else {
            self.cut += 1;
            false
        }
    }

    fn hunk(&mut self, old: LineRange, new: LineRange) {
        if self.fits() {
            self.hunks.push(DiffHunk {
                old,
                new,
                lines: Vec::new(),
            });
        }
    }

    fn line(&mut self, kind: LineKind, text: &[u8]) {
        let body = text.strip_suffix(b"\n");
        let no_newline = self.terminators && body.is_none();
        let body = body.unwrap_or(text);
        let shown = self.fits();
        // A shown line belongs to the last hunk shown (its header came first, in budget).
        let note = no_newline && self.fits();
        if !shown {
            return;
        }
        let (text, cut_bytes) = if body.len() > MAX_SHOWN_LINE_BYTES {
            (
                &body[..MAX_SHOWN_LINE_BYTES],
                Some(body.len() - MAX_SHOWN_LINE_BYTES),
            )
        } else {
            (body, None)
        };
        if let Some(h) = self.hunks.last_mut() {
            h.lines.push(DiffLine {
                kind,
                text: String::from_utf8_lossy(text).into_owned(),
                cut_bytes,
                no_newline: note,
            });
        }
    }

    /// The hunks shown and what was cut.
    fn finish(self, opts: &DiffOptions<'_>, first_only: Option<FirstOnly>) -> TextDiff {
        TextDiff {
            name: opts.name.to_string(),
            sorted: opts.sorted,
            first_only,
            hunks: self.hunks,
            truncated: (self.cut > 0).then(|| Truncation {
                lines: self.cut,
                see: opts.more.to_string(),
            }),
        }
    }
}

fn span(start: usize, len: usize) -> LineRange {
    LineRange { start, len }
}

/// A unified diff of `before` (blessed) and `after` (new) from their changes, grouped into
/// hunks that share context (each group non-empty, in order).
pub(in crate::compare) fn unified(
    before: &Lines,
    after: &Lines,
    groups: &[Vec<Hunk>],
    opts: &DiffOptions<'_>,
) -> TextDiff {
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
        em.hunk(span(sb, lb), span(sa, la));
        let mut cursor = sb;
        for h in g {
            for i in cursor..h.before.start {
                em.line(LineKind::Context, before.line(i));
            }
            for i in h.before.clone() {
                em.line(LineKind::Removed, before.line(i));
            }
            for i in h.after.clone() {
                em.line(LineKind::Added, after.line(i));
            }
            cursor = h.before.end;
        }
        for i in cursor..cursor + trail {
            em.line(LineKind::Context, before.line(i));
        }
    }
    em.finish(opts, None)
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
) -> TextDiff {
    // Saturating: pieces of an over-long line count as context without being lines.
    let start = (first.line as usize).saturating_sub(1 + first.context.len());
    let lb = first.context.len() + usize::from(first.blessed.is_some());
    let la = first.context.len() + usize::from(first.new.is_some());
    let mut em = Emitter::new(opts.max_lines, terminators);
    em.hunk(span(start, lb), span(start, la));
    for c in &first.context {
        em.line(LineKind::Context, c);
    }
    if let Some(b) = &first.blessed {
        em.line(LineKind::Removed, b);
    }
    if let Some(n) = &first.new {
        em.line(LineKind::Added, n);
    }
    let why = FirstOnly {
        why: why.to_string(),
        line: first.line,
    };
    em.finish(opts, Some(why))
}

#[cfg(test)]
pub(super) mod tests {
    use super::*;

    fn text(d: TextDiff) -> String {
        super::super::difference::render(&super::super::difference::Difference::Text(d))
    }

    /// The options both this module's and `diff.rs`'s tests use: `out.txt` of test t1.
    pub(in crate::compare::text) fn opts(max: usize) -> DiffOptions<'static> {
        DiffOptions {
            name: "out.txt",
            sorted: false,
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
        insta::assert_snapshot!(text(first_only(
            &f,
            "files too large for a full diff (3221225472 and 3221225472 bytes, about 6 GiB to diff; limit 1 GiB)",
            true,
            &opts(200)
        )));
    }

    #[test]
    fn first_only_is_cut_with_the_note() {
        let f = FirstDiff {
            line: 7,
            context: vec![b"four\n".to_vec(), b"five\n".to_vec(), b"six\n".to_vec()],
            blessed: Some(b"seven\n".to_vec()),
            new: Some(b"7\n".to_vec()),
        };
        let d = text(first_only(&f, "too large", true, &opts(2)));
        assert!(
            d.ends_with("@@ -4,4 +4,4 @@\n four\n… 4 more diff lines cut (see ptest diff t1)\n"),
            "{d}"
        );
    }
}
