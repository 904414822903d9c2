//! Compare modes and the per-file comparison.
//!
//! - `exact`: byte for byte after filters (the default). Without an applicable filter the
//!   files are streamed in 1 MiB chunks, so any size costs bounded memory; with filters
//!   they are streamed line by line. Files that look binary (a NUL byte near the start)
//!   are compared byte for byte, unfiltered: line-wise regexes mean nothing there.
//! - `text`: like `exact`, but CRLF vs LF, trailing whitespace and a missing final
//!   newline are ignored.
//! - `sorted`: line order ignored (outputs built from hash maps or threads); each line is
//!   compared without its terminator. Loads both files.
//! - `plog`: pandalogs compared entry by entry by `ptest_plog`, with the filters applied to
//!   each entry's text. Files that look like pandalogs get this mode unless a glob in
//!   `[compare] modes` says otherwise.
//!
//! Whatever the mode, byte-identical files are equal: that check streams first, so the
//! common case (nothing changed) never loads a file.

use std::collections::VecDeque;
use std::fs::File;
use std::io::{self, BufRead, BufReader, Read, Seek};
use std::path::Path;

use super::FileOutcome;
use super::binary::{self, Side};
use super::diff::{self, DiffOptions, FirstDiff, Lines};
use super::filter::Filters;

/// The memory a full diff (or a `sorted` comparison) may take, estimated from both files'
/// sizes and line counts by [`load_cost`]. Beyond it, `exact` and `text` report the first
/// difference (streamed, a few MiB whatever the size) and `sorted` compares an
/// order-independent digest of the lines. The report is cut to a few hundred lines
/// anyway; what it costs must stay within what GNU `diff` needs for the same files
/// (BENCHMARKS.md, "Memory").
pub(crate) const MAX_DIFF_MEMORY: u64 = 512 << 20;

/// What a loaded line costs besides its text: its span (8 bytes), its interned token (4),
/// the interner's slot for it (16 + table), the histogram diff's bookkeeping and the
/// change flags. Measured, rounded up (BENCHMARKS.md).
const LINE_COST: u64 = 48;

/// Estimated peak memory of loading and diffing files of these sizes and line counts.
fn load_cost(sizes: (u64, u64), lines: (u64, u64)) -> u64 {
    (sizes.0 + sizes.1).saturating_add(LINE_COST.saturating_mul(lines.0 + lines.1))
}

/// Newlines in a file (streamed), for [`load_cost`].
fn count_lines(f: &mut File) -> io::Result<u64> {
    f.rewind()?;
    let mut reader = BufReader::with_capacity(1 << 20, f);
    let mut n = 1;
    loop {
        let buf = match reader.fill_buf() {
            Ok(b) => b,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        if buf.is_empty() {
            return Ok(n);
        }
        n += memchr::memchr_iter(b'\n', buf).count() as u64;
        let len = buf.len();
        reader.consume(len);
    }
}

/// Why two files are not loaded, when [`load_cost`] is over [`MAX_DIFF_MEMORY`].
fn too_large(
    fa: &mut File,
    fb: &mut File,
    sizes: (u64, u64),
    limit: u64,
) -> Result<Option<String>, (Side, io::Error)> {
    // Sizes alone can already rule a full diff out, without reading anything.
    let lines = if sizes.0 + sizes.1 > limit {
        (0, 0)
    } else {
        (
            count_lines(fa).map_err(|e| (Side::Blessed, e))?,
            count_lines(fb).map_err(|e| (Side::New, e))?,
        )
    };
    let cost = load_cost(sizes, lines);
    Ok((cost > limit).then(|| {
        format!(
            "files too large to load ({} and {} bytes, about {} MiB to compare in full; limit {} MiB)",
            sizes.0,
            sizes.1,
            cost >> 20,
            limit >> 20
        )
    }))
}

/// How a file's contents are compared.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    Exact,
    Text,
    Sorted,
    Plog,
}

impl Mode {
    pub const ALL: [Mode; 4] = [Mode::Exact, Mode::Text, Mode::Sorted, Mode::Plog];

    pub fn as_str(self) -> &'static str {
        match self {
            Mode::Exact => "exact",
            Mode::Text => "text",
            Mode::Sorted => "sorted",
            Mode::Plog => "plog",
        }
    }

    pub fn parse(s: &str) -> Option<Mode> {
        Mode::ALL.into_iter().find(|m| m.as_str() == s)
    }
}

/// Everything needed to compare one pair of files.
pub(crate) struct FileJob<'a> {
    pub name: &'a str,
    pub blessed: &'a Path,
    pub new: &'a Path,
    pub mode: Mode,
    pub filters: Filters<'a>,
    pub max_lines: usize,
    /// Where to see a cut diff in full (`ptest diff TEST`).
    pub more: &'a str,
    pub plog_schema: Option<&'a Path>,
    /// [`MAX_DIFF_MEMORY`], smaller in tests.
    pub max_memory: u64,
}

/// Open a file for reading without following a symlink and without blocking on a FIFO
/// that replaced it after the tree walk; anything but a regular file is refused.
pub(crate) fn open_regular(path: &Path) -> io::Result<(File, u64)> {
    use std::os::unix::fs::OpenOptionsExt;
    let flags = rustix::fs::OFlags::NOFOLLOW | rustix::fs::OFlags::NONBLOCK;
    let f = std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(flags.bits() as i32)
        .open(path)?;
    let meta = f.metadata()?;
    if !meta.is_file() {
        return Err(io::Error::other("not a regular file"));
    }
    Ok((f, meta.len()))
}

/// How each line is turned into what is compared.
#[derive(Clone, Copy)]
struct Transform<'a> {
    mode: Mode,
    filters: Filters<'a>,
}

fn trim_end_ws(s: &[u8]) -> &[u8] {
    let n = s
        .iter()
        .rposition(|b| !matches!(b, b' ' | b'\t' | b'\r' | b'\x0b' | b'\x0c'))
        .map_or(0, |i| i + 1);
    &s[..n]
}

impl Transform<'_> {
    /// Whether compared lines keep their `\n` (only `exact` cares about line endings).
    fn terminators(&self) -> bool {
        self.mode == Mode::Exact
    }

    /// The compared form of `raw` (one line, with its `\n` if it has one) into `out`;
    /// `scratch` is working space.
    fn apply(&self, raw: &[u8], out: &mut Vec<u8>, scratch: &mut Vec<u8>) {
        let (body, nl) = match raw.strip_suffix(b"\n") {
            Some(b) => (b, true),
            None => (raw, false),
        };
        match self.mode {
            Mode::Text => {
                self.filters.apply_into(trim_end_ws(body), out, scratch);
                let keep = trim_end_ws(out).len();
                out.truncate(keep);
            }
            Mode::Exact => {
                self.filters.apply_into(body, out, scratch);
                if nl {
                    out.push(b'\n');
                }
            }
            Mode::Sorted | Mode::Plog => self.filters.apply_into(body, out, scratch),
        }
    }

    /// Load a whole file in compared form; `None` if it is too large to hold (filters
    /// may make lines longer than they were).
    fn load(&self, f: &mut File, size: u64) -> io::Result<Option<Lines>> {
        f.rewind()?;
        let mut lines = if self.filters.is_empty() {
            let mut buf = Vec::with_capacity(size as usize);
            f.read_to_end(&mut buf)?;
            let Some(mut lines) = Lines::from_bytes(buf) else {
                return Ok(None);
            };
            match self.mode {
                Mode::Exact => {}
                Mode::Text => {
                    lines.map_spans(|l| trim_end_ws(l.strip_suffix(b"\n").unwrap_or(l)).len())
                }
                Mode::Sorted | Mode::Plog => {
                    lines.map_spans(|l| l.strip_suffix(b"\n").unwrap_or(l).len())
                }
            }
            lines
        } else {
            let mut lines = Lines::with_terminators(true, size as usize);
            let mut reader = BufReader::with_capacity(1 << 20, f);
            let (mut raw, mut out, mut scratch) = (Vec::new(), Vec::new(), Vec::new());
            loop {
                raw.clear();
                if reader.read_until(b'\n', &mut raw)? == 0 {
                    break;
                }
                self.apply(&raw, &mut out, &mut scratch);
                if !lines.push(&out) {
                    return Ok(None);
                }
            }
            lines
        };
        lines.set_terminators(self.terminators());
        if self.mode == Mode::Sorted {
            lines.sort();
        }
        Ok(Some(lines))
    }

    /// An order-independent digest of a file's lines in compared form: the line count
    /// and wrapping sums of two independently keyed 64-bit hashes of each line. Equal
    /// multisets of lines give equal digests; different ones collide with probability
    /// about 2^-128. Streams in bounded memory, for `sorted` files too large to load.
    fn line_digest(&self, f: &mut File, keys: &LineKeys) -> io::Result<(u64, u64, u64)> {
        use std::hash::BuildHasher;
        f.rewind()?;
        let mut reader = BufReader::with_capacity(1 << 20, f);
        let (mut raw, mut out, mut scratch) = (Vec::new(), Vec::new(), Vec::new());
        let (mut count, mut h1, mut h2) = (0u64, 0u64, 0u64);
        loop {
            raw.clear();
            if read_piece(&mut reader, &mut raw, LINE_PIECE)? == 0 {
                return Ok((count, h1, h2));
            }
            self.apply(&raw, &mut out, &mut scratch);
            count += 1;
            h1 = h1.wrapping_add(keys.0.hash_one(&out));
            h2 = h2.wrapping_add(keys.1.hash_one(&out));
        }
    }
}

/// Two independently keyed hashers for [`Transform::line_digest`], shared by both sides.
struct LineKeys(std::hash::RandomState, std::hash::RandomState);

impl LineKeys {
    fn new() -> LineKeys {
        LineKeys(std::hash::RandomState::new(), std::hash::RandomState::new())
    }
}

/// Streaming reads stop a line after this many bytes and treat the rest as the next piece,
/// so a file without newlines still streams in bounded memory. (Filters then see pieces of
/// such monster lines; nothing sane has them.)
const LINE_PIECE: usize = 16 << 20;

/// Read one line (with its `\n`) or the next `cap` bytes of it into `out`, appending;
/// returns the number of bytes read (0 at EOF).
fn read_piece(r: &mut impl BufRead, out: &mut Vec<u8>, cap: usize) -> io::Result<usize> {
    let mut n = 0;
    while n < cap {
        let buf = match r.fill_buf() {
            Ok(b) => b,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        if buf.is_empty() {
            break;
        }
        let window = &buf[..buf.len().min(cap - n)];
        let (take, done) = match memchr::memchr(b'\n', window) {
            Some(i) => (i + 1, true),
            None => (window.len(), false),
        };
        out.extend_from_slice(&window[..take]);
        r.consume(take);
        n += take;
        if done {
            break;
        }
    }
    Ok(n)
}

/// Stream both files line by line in compared form; `None` when they are equal.
fn first_line_difference(
    a: &mut File,
    b: &mut File,
    tf: Transform<'_>,
) -> Result<Option<FirstDiff>, (Side, io::Error)> {
    a.rewind().map_err(|e| (Side::Blessed, e))?;
    b.rewind().map_err(|e| (Side::New, e))?;
    first_line_difference_in(
        BufReader::with_capacity(1 << 20, a),
        BufReader::with_capacity(1 << 20, b),
        tf,
        LINE_PIECE,
    )
}

fn first_line_difference_in(
    mut ra: impl BufRead,
    mut rb: impl BufRead,
    tf: Transform<'_>,
    cap: usize,
) -> Result<Option<FirstDiff>, (Side, io::Error)> {
    let (mut raw_a, mut raw_b) = (Vec::new(), Vec::new());
    let (mut la, mut lb, mut scratch) = (Vec::new(), Vec::new(), Vec::new());
    let mut context: VecDeque<Vec<u8>> = VecDeque::new();
    let mut line = 1u64;
    loop {
        raw_a.clear();
        raw_b.clear();
        let na = read_piece(&mut ra, &mut raw_a, cap).map_err(|e| (Side::Blessed, e))?;
        let nb = read_piece(&mut rb, &mut raw_b, cap).map_err(|e| (Side::New, e))?;
        if na == 0 && nb == 0 {
            return Ok(None);
        }
        // Equal raw lines are equal after any filter: only differing lines pay for regexes.
        if raw_a != raw_b {
            tf.apply(&raw_a, &mut la, &mut scratch);
            tf.apply(&raw_b, &mut lb, &mut scratch);
            if na == 0 || nb == 0 || la != lb {
                let context = context
                    .iter()
                    .map(|raw| {
                        let mut out = Vec::new();
                        tf.apply(raw, &mut out, &mut scratch);
                        out
                    })
                    .collect();
                return Ok(Some(FirstDiff {
                    line,
                    context,
                    blessed: (na > 0).then_some(la),
                    new: (nb > 0).then_some(lb),
                }));
            }
        }
        // Raw lines, transformed only if a difference is reported.
        let mut kept = if context.len() == 3 {
            context.pop_front().unwrap_or_default()
        } else {
            Vec::new()
        };
        kept.clear();
        kept.extend_from_slice(&raw_a);
        context.push_back(kept);
        if raw_a.ends_with(b"\n") {
            line += 1;
        }
    }
}

fn io_invalid(job: &FileJob<'_>, (side, e): (Side, io::Error)) -> FileOutcome {
    let side = match side {
        Side::Blessed => "blessed",
        Side::New => "new",
    };
    FileOutcome::Invalid {
        reason: format!("cannot read {side}/{}: {e}", job.name),
    }
}

/// Compare one pair of regular files.
pub(crate) fn compare_file(job: &FileJob<'_>) -> FileOutcome {
    match compare_inner(job) {
        Ok(o) => o,
        Err(e) => io_invalid(job, e),
    }
}

fn compare_inner(job: &FileJob<'_>) -> Result<FileOutcome, (Side, io::Error)> {
    let (mut fa, sa) = open_regular(job.blessed).map_err(|e| (Side::Blessed, e))?;
    let (mut fb, sb) = open_regular(job.new).map_err(|e| (Side::New, e))?;
    let Some(offset) = binary::first_difference(&mut fa, &mut fb)? else {
        return Ok(FileOutcome::Same);
    };
    let opts = DiffOptions {
        name: job.name,
        header_note: if job.mode == Mode::Sorted {
            " (lines sorted)"
        } else {
            ""
        },
        max_lines: job.max_lines,
        more: job.more,
    };
    let tf = Transform {
        mode: job.mode,
        filters: job.filters,
    };
    match job.mode {
        Mode::Plog => {
            let filter = |s: &str| job.filters.apply_text(s);
            let popts = ptest_plog::CompareOptions {
                schema: job.plog_schema,
                filter: &filter,
                max_report_lines: job.max_lines,
            };
            match ptest_plog::compare_files(job.blessed, job.new, &popts) {
                Ok(r) if r.equal => Ok(FileOutcome::Same),
                // Name the file as the other diffs do; the report itself is per entry.
                Ok(r) => Ok(FileOutcome::Differs {
                    diff: format!(
                        "--- blessed/{name} (pandalog entries)\n+++ new/{name} (pandalog entries)\n{}",
                        r.report,
                        name = job.name
                    ),
                }),
                Err(e) => {
                    let report = binary::report(job.name, &mut fa, &mut fb, (sa, sb), offset)?;
                    Ok(FileOutcome::Differs {
                        diff: format!(
                            "cannot compare blessed/{name} and new/{name} as pandalogs ({e}); they differ byte-wise:\n{report}",
                            name = job.name
                        ),
                    })
                }
            }
        }
        Mode::Exact => {
            let binary =
                binary::looks_binary(&binary::head(&mut fa).map_err(|e| (Side::Blessed, e))?)
                    || binary::looks_binary(&binary::head(&mut fb).map_err(|e| (Side::New, e))?);
            if binary {
                let diff = binary::report(job.name, &mut fa, &mut fb, (sa, sb), offset)?;
                return Ok(FileOutcome::Differs { diff });
            }
            line_diff(&mut fa, &mut fb, (sa, sb), tf, &opts, job.max_memory)
        }
        Mode::Text => line_diff(&mut fa, &mut fb, (sa, sb), tf, &opts, job.max_memory),
        Mode::Sorted => {
            if let Some(why) = too_large(&mut fa, &mut fb, (sa, sb), job.max_memory)? {
                return sorted_digests(&mut fa, &mut fb, tf, &why, &opts);
            }
            let la = tf.load(&mut fa, sa).map_err(|e| (Side::Blessed, e))?;
            let lb = tf.load(&mut fb, sb).map_err(|e| (Side::New, e))?;
            let (Some(la), Some(lb)) = (la, lb) else {
                let why = "files too large to load after filters";
                return sorted_digests(&mut fa, &mut fb, tf, why, &opts);
            };
            if la.same_as(&lb) {
                return Ok(FileOutcome::Same);
            }
            Ok(FileOutcome::Differs {
                diff: diff::unified(&la, &lb, &opts),
            })
        }
    }
}

/// `sorted` comparison of files too large to load: equal line digests are equal files;
/// otherwise the report says they differ and how to see where.
fn sorted_digests(
    fa: &mut File,
    fb: &mut File,
    tf: Transform<'_>,
    why: &str,
    opts: &DiffOptions<'_>,
) -> Result<FileOutcome, (Side, io::Error)> {
    let keys = LineKeys::new();
    let da = tf.line_digest(fa, &keys).map_err(|e| (Side::Blessed, e))?;
    let db = tf.line_digest(fb, &keys).map_err(|e| (Side::New, e))?;
    if da == db {
        return Ok(FileOutcome::Same);
    }
    Ok(FileOutcome::Differs {
        diff: format!(
            "--- blessed/{name}{note}\n+++ new/{name}{note}\n{why}: the files hold different lines ({} and {} lines); to see which: diff <(sort blessed/{name}) <(sort new/{name})\n",
            da.0,
            db.0,
            name = opts.name,
            note = opts.header_note,
        ),
    })
}

/// Stream to the first differing line; equal → `Same`; else a full diff when both files
/// are small enough to load, or just that first difference.
fn line_diff(
    fa: &mut File,
    fb: &mut File,
    sizes: (u64, u64),
    tf: Transform<'_>,
    opts: &DiffOptions<'_>,
    max_memory: u64,
) -> Result<FileOutcome, (Side, io::Error)> {
    let Some(first) = first_line_difference(fa, fb, tf)? else {
        return Ok(FileOutcome::Same);
    };
    let first_only = |why: &str| {
        Ok(FileOutcome::Differs {
            diff: diff::first_only(&first, why, tf.terminators(), opts),
        })
    };
    if let Some(why) = too_large(fa, fb, sizes, max_memory)? {
        return first_only(&why);
    }
    let la = tf.load(fa, sizes.0).map_err(|e| (Side::Blessed, e))?;
    let lb = tf.load(fb, sizes.1).map_err(|e| (Side::New, e))?;
    match (la, lb) {
        (Some(la), Some(lb)) => Ok(FileOutcome::Differs {
            diff: diff::unified(&la, &lb, opts),
        }),
        _ => first_only("files too large to load after filters"),
    }
}

#[cfg(test)]
mod tests {
    use super::super::FilterSpec;
    use super::super::filter::{Filter, compile};
    use super::*;

    struct Pair {
        dir: tempfile::TempDir,
        max_memory: u64,
    }

    impl Pair {
        fn new(a: &[u8], b: &[u8]) -> Pair {
            let dir = tempfile::tempdir().unwrap();
            std::fs::write(dir.path().join("a"), a).unwrap();
            std::fs::write(dir.path().join("b"), b).unwrap();
            Pair {
                dir,
                max_memory: MAX_DIFF_MEMORY,
            }
        }

        fn compare(&self, mode: Mode, filters: &[&Filter], max_lines: usize) -> FileOutcome {
            let (a, b) = (self.dir.path().join("a"), self.dir.path().join("b"));
            compare_file(&FileJob {
                name: "out.txt",
                blessed: &a,
                new: &b,
                mode,
                filters: Filters::new(filters),
                max_lines,
                more: "ptest diff t",
                plog_schema: None,
                max_memory: self.max_memory,
            })
        }
    }

    fn outcome(a: &str, b: &str, mode: Mode) -> FileOutcome {
        Pair::new(a.as_bytes(), b.as_bytes()).compare(mode, &[], 200)
    }

    fn diff_text(o: FileOutcome) -> String {
        match o {
            FileOutcome::Differs { diff } => diff,
            other => panic!("expected a diff, got {other:?}"),
        }
    }

    fn regex_filter(regex: &str, replace: &str) -> Vec<Filter> {
        compile(
            "t.toml",
            1,
            &FilterSpec {
                preset: None,
                regex: Some(regex.into()),
                replace: replace.into(),
                files: None,
            },
        )
        .unwrap()
    }

    #[test]
    fn mode_names_round_trip() {
        for m in Mode::ALL {
            assert_eq!(Mode::parse(m.as_str()), Some(m));
        }
        assert_eq!(Mode::parse("fuzzy"), None);
    }

    #[test]
    fn exact_mode() {
        assert_eq!(outcome("a\nb\n", "a\nb\n", Mode::Exact), FileOutcome::Same);
        assert_eq!(outcome("", "", Mode::Exact), FileOutcome::Same);
        let d = diff_text(outcome("a\nb\n", "a\r\nb\n", Mode::Exact));
        assert!(d.contains("-a\n+a\r\n"), "{d:?}");
        let d = diff_text(outcome("a\nb\n", "a\nb", Mode::Exact));
        assert!(d.contains("+b\n\\ No newline at end of file"), "{d:?}");
        diff_text(outcome("a \n", "a\n", Mode::Exact));
    }

    #[test]
    fn text_mode_ignores_line_endings_and_trailing_space() {
        assert_eq!(
            outcome("a\nb  \nc\n", "a\r\nb\t\r\nc", Mode::Text),
            FileOutcome::Same
        );
        let d = diff_text(outcome("a\nb\n", "a\nB\r\n", Mode::Text));
        assert!(d.ends_with("@@ -1,2 +1,2 @@\n a\n-b\n+B\n"), "{d:?}");
        // Leading whitespace and blank lines still count.
        diff_text(outcome("a\n", " a\n", Mode::Text));
        diff_text(outcome("a\n", "a\n\n", Mode::Text));
    }

    #[test]
    fn sorted_mode_ignores_order_only() {
        assert_eq!(
            outcome("b\na\nc\n", "c\nb\na", Mode::Sorted),
            FileOutcome::Same
        );
        let d = diff_text(outcome("b\na\nc\n", "c\nb\nd\n", Mode::Sorted));
        insta::assert_snapshot!(d);
        // Duplicates count.
        diff_text(outcome("a\na\nb\n", "a\nb\nb\n", Mode::Sorted));
    }

    #[test]
    fn filters_apply_to_both_sides_in_every_mode() {
        let f = regex_filter(r"0x[0-9a-f]+", "ADDR");
        let refs: Vec<&Filter> = f.iter().collect();
        let p = Pair::new(b"p=0x1234\nq\n", b"p=0xbeef\nq\n");
        for m in [Mode::Exact, Mode::Text, Mode::Sorted] {
            assert_eq!(p.compare(m, &refs, 200), FileOutcome::Same, "{m:?}");
            assert!(matches!(
                p.compare(m, &[], 200),
                FileOutcome::Differs { .. }
            ));
        }
        // The diff shows the filtered lines.
        let p = Pair::new(b"p=0x1234\nq\n", b"p=0xbeef\nr\n");
        let d = diff_text(p.compare(Mode::Exact, &refs, 200));
        assert!(d.contains(" p=ADDR\n-q\n+r\n"), "{d}");
    }

    #[test]
    fn binary_files_get_a_hex_report() {
        let p = Pair::new(b"\x00\x01\x02abc", b"\x00\x01\x03abc");
        let d = diff_text(p.compare(Mode::Exact, &[], 200));
        assert!(
            d.starts_with("Binary files blessed/out.txt and new/out.txt differ\n"),
            "{d}"
        );
        assert!(d.contains("first difference at byte offset 2 (0x2)"), "{d}");
    }

    #[test]
    fn plog_that_cannot_be_decoded_falls_back_to_bytes() {
        let p = Pair::new(b"\x00one", b"\x00two");
        let d = diff_text(p.compare(Mode::Plog, &[], 200));
        assert!(
            d.starts_with("cannot compare blessed/out.txt and new/out.txt as pandalogs ("),
            "{d}"
        );
        assert!(d.contains("first difference at byte offset 1 (0x1)"), "{d}");
        // Identical files never reach the decoder.
        let p = Pair::new(b"\x00same", b"\x00same");
        assert_eq!(p.compare(Mode::Plog, &[], 200), FileOutcome::Same);
    }

    #[test]
    fn diff_is_cut() {
        let a: String = (0..50).map(|i| format!("{i}\n")).collect();
        let b: String = (0..50).map(|i| format!("x{i}\n")).collect();
        let d = diff_text(Pair::new(a.as_bytes(), b.as_bytes()).compare(Mode::Exact, &[], 5));
        assert!(
            d.ends_with("… 96 more diff lines cut (see ptest diff t)\n"),
            "{d}"
        );
    }

    #[test]
    fn beyond_the_memory_limit_text_reports_the_first_difference() {
        let a: String = (0..1000).map(|i| format!("line {i}\n")).collect();
        let b = a.replace("line 500\n", "changed\n");
        let mut pair = Pair::new(a.as_bytes(), b.as_bytes());
        pair.max_memory = 4096;
        for mode in [Mode::Exact, Mode::Text] {
            let d = diff_text(pair.compare(mode, &[], 200));
            assert!(
                d.contains("files too large to load")
                    && d.contains("first difference only, at line 501")
                    && d.contains("-line 500\n+changed"),
                "{d}"
            );
        }
    }

    #[test]
    fn beyond_the_memory_limit_sorted_compares_line_digests() {
        let a: String = (0..1000).map(|i| format!("line {i}\n")).collect();
        let shuffled: String = (0..1000).rev().map(|i| format!("line {i}\n")).collect();
        let mut pair = Pair::new(a.as_bytes(), shuffled.as_bytes());
        pair.max_memory = 4096;
        assert_eq!(pair.compare(Mode::Sorted, &[], 200), FileOutcome::Same);
        let other = shuffled.replace("line 7\n", "line 7\nline 7\n");
        let mut pair = Pair::new(a.as_bytes(), other.as_bytes());
        pair.max_memory = 4096;
        let d = diff_text(pair.compare(Mode::Sorted, &[], 200));
        assert!(
            d.contains("different lines (1000 and 1001 lines)") && d.contains("diff <(sort"),
            "{d}"
        );
    }

    #[test]
    fn unreadable_side_is_invalid() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("a"), b"x").unwrap();
        let missing = dir.path().join("nope");
        let o = compare_file(&FileJob {
            name: "f",
            blessed: &dir.path().join("a"),
            new: &missing,
            mode: Mode::Exact,
            filters: Filters::default(),
            max_lines: 10,
            more: "",
            plog_schema: None,
            max_memory: MAX_DIFF_MEMORY,
        });
        match o {
            FileOutcome::Invalid { reason } => {
                assert!(reason.starts_with("cannot read new/f: "), "{reason}")
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn pieces_bound_line_reads() {
        let mut r = &b"abcdefghij\nxy\n"[..];
        let mut out = Vec::new();
        let mut pieces = Vec::new();
        while read_piece(&mut r, &mut out, 4).unwrap() > 0 {
            pieces.push(String::from_utf8(std::mem::take(&mut out)).unwrap());
        }
        assert_eq!(pieces, ["abcd", "efgh", "ij\n", "xy\n"]);
        // Long lines compare piece by piece and keep their line numbers.
        let tf = Transform {
            mode: Mode::Exact,
            filters: Filters::default(),
        };
        let f = first_line_difference_in(
            &b"1\nabcdefghij\nlast\n"[..],
            &b"1\nabcdefghiJ\nlast\n"[..],
            tf,
            4,
        )
        .unwrap()
        .unwrap();
        assert_eq!(f.line, 2);
        assert_eq!(f.blessed.as_deref(), Some(&b"ij\n"[..]));
        assert!(
            first_line_difference_in(&b"abcdefghij"[..], &b"abcdefghij"[..], tf, 4)
                .unwrap()
                .is_none()
        );
    }

    #[test]
    fn first_line_difference_streams() {
        let p = Pair::new(b"1\n2\n3\n4\n5\n6\n", b"1\n2\n3\n4\n5\nsix\n");
        let mut fa = File::open(p.dir.path().join("a")).unwrap();
        let mut fb = File::open(p.dir.path().join("b")).unwrap();
        let tf = Transform {
            mode: Mode::Exact,
            filters: Filters::default(),
        };
        let f = first_line_difference(&mut fa, &mut fb, tf)
            .unwrap()
            .unwrap();
        assert_eq!(f.line, 6);
        assert_eq!(
            f.context,
            vec![b"3\n".to_vec(), b"4\n".to_vec(), b"5\n".to_vec()]
        );
        assert_eq!(f.blessed.as_deref(), Some(&b"6\n"[..]));
        assert_eq!(f.new.as_deref(), Some(&b"six\n"[..]));
        // Context and lines are shown in compared form.
        let p = Pair::new(b"a \nb \nc\n", b"a\nb\t\nd\n");
        let mut fa = File::open(p.dir.path().join("a")).unwrap();
        let mut fb = File::open(p.dir.path().join("b")).unwrap();
        let tf = Transform {
            mode: Mode::Text,
            filters: Filters::default(),
        };
        let f = first_line_difference(&mut fa, &mut fb, tf)
            .unwrap()
            .unwrap();
        assert_eq!(f.line, 3);
        assert_eq!(f.context, vec![b"a".to_vec(), b"b".to_vec()]);
        assert_eq!(f.blessed.as_deref(), Some(&b"c"[..]));
        assert_eq!(f.new.as_deref(), Some(&b"d"[..]));
    }
}
