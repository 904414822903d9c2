//! Unified diffs of two line lists, cut to a number of lines.
//!
//! Lines are shown as they were compared: after filters (and, in `text` mode, without
//! trailing whitespace), so what the diff shows is exactly what made the test fail.
//! The common prefix and suffix are skipped before interning, so two 100 MB files that
//! differ in a few places cost little more than reading them; the rest goes through
//! imara-diff's histogram algorithm, which is never quadratic.

use imara_diff::{Algorithm, Diff, InternedInput, Interner};

/// Lines of context around each change, as `diff -u`.
const CONTEXT: usize = 3;

/// Longer lines are shown cut, so one huge line cannot bloat reports and the run state.
const MAX_SHOWN_LINE_BYTES: usize = 2000;

/// One side of a diff: lines as byte ranges of a buffer. Offsets are `u32` (8 bytes a
/// line instead of 16): loaded files are at most [`MAX_LOADED_BYTES`].
#[derive(Debug, Default)]
pub(crate) struct Lines {
    buf: Vec<u8>,
    spans: Vec<(u32, u32)>,
    /// Lines keep their `\n` (exact mode): a missing final newline is a difference,
    /// which the diff shows as `\ No newline at end of file`.
    terminators: bool,
}

/// The most text one side of a diff may hold (after filters), so that offsets fit in `u32`.
pub(crate) const MAX_LOADED_BYTES: usize = u32::MAX as usize;

impl Lines {
    /// Lines of `buf` as they are (each keeping its `\n`); `None` if `buf` is larger than
    /// [`MAX_LOADED_BYTES`]. The span table is sized exactly (a count first), so it never
    /// holds twice its size while growing.
    pub(crate) fn from_bytes(buf: Vec<u8>) -> Option<Lines> {
        if buf.len() > MAX_LOADED_BYTES {
            return None;
        }
        let count = memchr::memchr_iter(b'\n', &buf).count() + 1;
        let mut spans = Vec::with_capacity(count);
        let mut start = 0;
        for end in memchr::memchr_iter(b'\n', &buf) {
            spans.push((start as u32, end as u32 + 1));
            start = end + 1;
        }
        if start < buf.len() {
            spans.push((start as u32, buf.len() as u32));
        }
        Some(Lines {
            buf,
            spans,
            terminators: true,
        })
    }

    /// An empty list to fill with [`Self::push`]; `terminators` says whether pushed lines
    /// carry their `\n`.
    pub(crate) fn with_terminators(terminators: bool, capacity: usize) -> Lines {
        Lines {
            buf: Vec::with_capacity(capacity.min(MAX_LOADED_BYTES)),
            spans: Vec::new(),
            terminators,
        }
    }

    /// Append a line; false (and nothing appended) once the buffer would pass
    /// [`MAX_LOADED_BYTES`].
    #[must_use]
    pub(crate) fn push(&mut self, line: &[u8]) -> bool {
        let start = self.buf.len();
        if start + line.len() > MAX_LOADED_BYTES {
            return false;
        }
        self.buf.extend_from_slice(line);
        self.spans.push((start as u32, self.buf.len() as u32));
        true
    }

    /// Shorten each line to the length `trim` returns for it, without copying the buffer.
    pub(crate) fn map_spans(&mut self, trim: impl Fn(&[u8]) -> usize) {
        for span in &mut self.spans {
            let len = trim(&self.buf[span.0 as usize..span.1 as usize]);
            span.1 = span.0 + len as u32;
        }
    }

    pub(crate) fn set_terminators(&mut self, terminators: bool) {
        self.terminators = terminators;
    }

    /// Sort the lines (for `sorted` mode): a diff of sorted lists shows the lines only one
    /// side has.
    pub(crate) fn sort(&mut self) {
        let buf = &self.buf;
        self.spans.sort_unstable_by(|a, b| {
            buf[a.0 as usize..a.1 as usize].cmp(&buf[b.0 as usize..b.1 as usize])
        });
    }

    pub(crate) fn len(&self) -> usize {
        self.spans.len()
    }

    pub(crate) fn line(&self, i: usize) -> &[u8] {
        let (s, e) = self.spans[i];
        &self.buf[s as usize..e as usize]
    }

    pub(crate) fn same_as(&self, other: &Lines) -> bool {
        self.len() == other.len() && (0..self.len()).all(|i| self.line(i) == other.line(i))
    }
}

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

/// Collects diff lines up to the budget and counts the rest.
struct Emitter {
    out: String,
    shown: usize,
    cut: usize,
    max: usize,
    terminators: bool,
}

impl Emitter {
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
}

/// `-a,b` as GNU diff writes it: `b` omitted when 1; an empty range names the line before.
fn range(start: usize, len: usize) -> String {
    match len {
        0 => format!("{start},0"),
        1 => format!("{}", start + 1),
        _ => format!("{},{len}", start + 1),
    }
}

/// A unified diff of `before` (blessed) and `after` (new); empty when they are equal.
pub(crate) fn unified(before: &Lines, after: &Lines, opts: &DiffOptions<'_>) -> String {
    let (nb, na) = (before.len(), after.len());
    // Skip what both sides share at the start and the end, keeping room for context.
    let mut prefix = 0;
    while prefix < nb && prefix < na && before.line(prefix) == after.line(prefix) {
        prefix += 1;
    }
    let mut suffix = 0;
    while suffix < nb - prefix
        && suffix < na - prefix
        && before.line(nb - 1 - suffix) == after.line(na - 1 - suffix)
    {
        suffix += 1;
    }
    if prefix == nb && prefix == na {
        return String::new();
    }
    let base = prefix.saturating_sub(CONTEXT);
    let tail = suffix.saturating_sub(CONTEXT);
    let (end_b, end_a) = (nb - tail, na - tail);

    let middle = (end_b - base) + (end_a - base);
    let mut input: InternedInput<&[u8]> = InternedInput {
        before: Vec::with_capacity(end_b - base),
        after: Vec::with_capacity(end_a - base),
        interner: Interner::new(middle),
    };
    input.update_before((base..end_b).map(|i| before.line(i)));
    input.update_after((base..end_a).map(|i| after.line(i)));
    let mut diff = Diff::compute(Algorithm::Histogram, &input);
    diff.postprocess_lines(&input);
    drop(input);

    // Hunks in whole-file line numbers, grouped when their contexts would touch.
    let mut groups: Vec<Vec<imara_diff::Hunk>> = Vec::new();
    for mut h in diff.hunks() {
        h.before = h.before.start + base as u32..h.before.end + base as u32;
        h.after = h.after.start + base as u32..h.after.end + base as u32;
        match groups.last_mut() {
            Some(g)
                if g.last()
                    .is_some_and(|l| (h.before.start - l.before.end) as usize <= 2 * CONTEXT) =>
            {
                g.push(h)
            }
            _ => groups.push(vec![h]),
        }
    }

    let mut em = Emitter {
        out: String::new(),
        shown: 0,
        cut: 0,
        max: opts.max_lines,
        terminators: before.terminators,
    };
    for g in &groups {
        let (Some(first), Some(last)) = (g.first(), g.last()) else {
            continue;
        };
        let lead = CONTEXT.min(first.before.start as usize);
        let trail = CONTEXT.min(nb - last.before.end as usize);
        let sb = first.before.start as usize - lead;
        let sa = first.after.start as usize - lead;
        let lb = last.before.end as usize + trail - sb;
        let la = last.after.end as usize + trail - sa;
        em.raw(|| format!("@@ -{} +{} @@", range(sb, lb), range(sa, la)));
        let mut cursor = sb;
        for h in g {
            for i in cursor..h.before.start as usize {
                em.line(' ', before.line(i));
            }
            for i in h.before.clone() {
                em.line('-', before.line(i as usize));
            }
            for i in h.after.clone() {
                em.line('+', after.line(i as usize));
            }
            cursor = h.before.end as usize;
        }
        for i in cursor..cursor + trail {
            em.line(' ', before.line(i));
        }
    }
    let mut out = headers(opts);
    out.push_str(&em.out);
    if em.cut > 0 {
        out.push_str(&cut_note(em.cut, opts.more));
    }
    out
}

fn headers(opts: &DiffOptions<'_>) -> String {
    format!(
        "--- blessed/{name}{note}\n+++ new/{name}{note}\n",
        name = opts.name,
        note = opts.header_note
    )
}

fn cut_note(n: usize, more: &str) -> String {
    format!("… {n} more diff lines cut (see {more})\n")
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
    let mut em = Emitter {
        out: String::new(),
        shown: 0,
        cut: 0,
        max: opts.max_lines,
        terminators,
    };
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
    out.push_str(&em.out);
    if em.cut > 0 {
        out.push_str(&cut_note(em.cut, opts.more));
    }
    out
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

    fn lines(s: &str) -> Lines {
        Lines::from_bytes(s.as_bytes().to_vec()).unwrap_or_default()
    }

    fn diff(a: &str, b: &str, max: usize) -> String {
        unified(&lines(a), &lines(b), &opts(max))
    }

    fn numbered(n: usize) -> String {
        (1..=n).map(|i| format!("line {i}\n")).collect()
    }

    #[test]
    fn equal_is_empty() {
        assert_eq!(diff("a\nb\n", "a\nb\n", 200), "");
        assert_eq!(diff("", "", 200), "");
    }

    #[test]
    fn one_change_with_context() {
        let a = numbered(20);
        let b = a.replace("line 10\n", "line ten\n");
        insta::assert_snapshot!(diff(&a, &b, 200));
    }

    #[test]
    fn close_changes_share_a_hunk_far_ones_do_not() {
        let a = numbered(40);
        let b = a
            .replace("line 5\n", "line five\n")
            .replace("line 10\n", "line ten\n")
            .replace("line 30\n", "")
            .replace("line 40\n", "line 40\nline 41\n");
        insta::assert_snapshot!(diff(&a, &b, 200));
    }

    #[test]
    fn missing_final_newline_is_shown() {
        insta::assert_snapshot!(diff("a\nb\n", "a\nb", 200));
    }

    #[test]
    fn insert_into_empty_and_delete_all() {
        assert_eq!(
            diff("", "x\ny\n", 200),
            "--- blessed/out.txt\n+++ new/out.txt\n@@ -0,0 +1,2 @@\n+x\n+y\n"
        );
        assert_eq!(
            diff("x\n", "", 200),
            "--- blessed/out.txt\n+++ new/out.txt\n@@ -1 +0,0 @@\n-x\n"
        );
    }

    #[test]
    fn cut_with_note() {
        let a = numbered(100);
        let b: String = (1..=100).map(|i| format!("LINE {i}\n")).collect();
        let d = diff(&a, &b, 10);
        let lines: Vec<&str> = d.lines().collect();
        // 2 headers + 10 lines + the note; the full diff is 1 @@ + 200 lines.
        assert_eq!(lines.len(), 13, "{d}");
        assert_eq!(lines[12], "… 191 more diff lines cut (see ptest diff t1)");
        assert_eq!(lines[2], "@@ -1,100 +1,100 @@");
    }

    #[test]
    fn no_cut_note_when_it_fits() {
        let a = numbered(5);
        let b = a.replace("line 3\n", "x\n");
        let d = diff(&a, &b, 7);
        assert!(!d.contains("cut"), "{d}");
        assert_eq!(d.lines().count(), 2 + 1 + 6, "{d}");
        let d = diff(&a, &b, 6);
        assert!(
            d.ends_with("… 1 more diff lines cut (see ptest diff t1)\n"),
            "{d}"
        );
    }

    #[test]
    fn large_equal_prefix_and_suffix_keep_line_numbers() {
        let a = numbered(100_000);
        let b = a.replace("line 50000\n", "changed\n");
        let d = diff(&a, &b, 200);
        assert!(d.contains("@@ -49997,7 +49997,7 @@\n line 49997\n"), "{d}");
        assert!(d.contains("-line 50000\n+changed\n line 50001\n"), "{d}");
    }

    #[test]
    fn huge_lines_are_shown_cut() {
        let long = "y".repeat(MAX_SHOWN_LINE_BYTES + 5);
        let d = diff("x\n", &format!("{long}\n"), 200);
        let want = format!(
            "+{}… [line cut: 5 more bytes]\n",
            &long[..MAX_SHOWN_LINE_BYTES]
        );
        assert!(d.ends_with(&want), "{d}");
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
}
