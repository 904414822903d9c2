//! The bounded line streamer: reads two files side by side, a line (or a bounded piece of
//! one) at a time, to find the first line that differs in compared form
//! ([`first_line_difference`]), and digests a file's lines without loading it
//! ([`line_digest`], for `sorted` files beyond the memory budget). Memory stays bounded
//! whatever the file and line sizes.
//!
//! It must not render reports (that is `render`) nor choose what to do with the result
//! (that is `file`).

use std::collections::VecDeque;
use std::fs::File;
use std::io::{self, BufRead, BufReader, Seek, SeekFrom};

use super::binary::Side;
use super::block::skip_equal_blocks;
use super::mode::Mode;
use super::render::FirstDiff;
use super::transform::Transform;

/// Two independently keyed hashers for [`line_digest`], shared by both sides.
pub(in crate::compare) struct LineKeys(std::hash::RandomState, std::hash::RandomState);

impl LineKeys {
    pub(in crate::compare) fn new() -> LineKeys {
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

/// An order-independent digest of a file's lines in compared form: the line count
/// and wrapping sums of two independently keyed 64-bit hashes of each line. Equal
/// multisets of lines give equal digests; different ones collide with probability
/// about 2^-128. Streams in bounded memory, for `sorted` files too large to load.
pub(in crate::compare) fn line_digest(
    f: &mut File,
    tf: Transform<'_>,
    keys: &LineKeys,
) -> io::Result<(u64, u64, u64)> {
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
        tf.apply(&raw, &mut out, &mut scratch);
        count += 1;
        h1 = h1.wrapping_add(keys.0.hash_one(&out));
        h2 = h2.wrapping_add(keys.1.hash_one(&out));
    }
}

/// Stream both files line by line in compared form; `None` when they are equal.
pub(in crate::compare) fn first_line_difference(
    a: &mut File,
    b: &mut File,
    tf: Transform<'_>,
) -> Result<Option<FirstDiff>, (Side, io::Error)> {
    a.rewind().map_err(|e| (Side::Blessed, e))?;
    b.rewind().map_err(|e| (Side::New, e))?;
    let mut from = (1, VecDeque::new());
    if tf.mode == Mode::Exact && tf.filters.keep_line_breaks() {
        let Some(resume) = skip_equal_blocks(&mut *a, &mut *b, tf.filters)? else {
            return Ok(None);
        };
        a.seek(SeekFrom::Start(resume.offsets.0))
            .map_err(|e| (Side::Blessed, e))?;
        b.seek(SeekFrom::Start(resume.offsets.1))
            .map_err(|e| (Side::New, e))?;
        from = (resume.line, resume.context);
    }
    first_line_difference_in(
        BufReader::with_capacity(1 << 20, a),
        BufReader::with_capacity(1 << 20, b),
        tf,
        LINE_PIECE,
        from,
    )
}

fn first_line_difference_in(
    mut ra: impl BufRead,
    mut rb: impl BufRead,
    tf: Transform<'_>,
    cap: usize,
    (mut line, mut context): (u64, VecDeque<Vec<u8>>),
) -> Result<Option<FirstDiff>, (Side, io::Error)> {
    let (mut raw_a, mut raw_b) = (Vec::new(), Vec::new());
    let (mut la, mut lb, mut scratch) = (Vec::new(), Vec::new(), Vec::new());
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

#[cfg(test)]
mod tests {
    use super::super::apply::Filters;
    use super::*;

    fn transform(mode: Mode) -> Transform<'static> {
        Transform {
            mode,
            filters: Filters::default(),
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
        let tf = transform(Mode::Exact);
        let f = first_line_difference_in(
            &b"1\nabcdefghij\nlast\n"[..],
            &b"1\nabcdefghiJ\nlast\n"[..],
            tf,
            4,
            (1, VecDeque::new()),
        )
        .unwrap()
        .unwrap();
        assert_eq!(f.line, 2);
        assert_eq!(f.blessed.as_deref(), Some(&b"ij\n"[..]));
        assert!(
            first_line_difference_in(
                &b"abcdefghij"[..],
                &b"abcdefghij"[..],
                tf,
                4,
                (1, VecDeque::new())
            )
            .unwrap()
            .is_none()
        );
    }

    /// Two files with these contents, opened.
    fn files(a: &[u8], b: &[u8]) -> (tempfile::TempDir, File, File) {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("a"), a).unwrap();
        std::fs::write(dir.path().join("b"), b).unwrap();
        let fa = File::open(dir.path().join("a")).unwrap();
        let fb = File::open(dir.path().join("b")).unwrap();
        (dir, fa, fb)
    }

    #[test]
    fn first_line_difference_streams() {
        let (_d, mut fa, mut fb) = files(b"1\n2\n3\n4\n5\n6\n", b"1\n2\n3\n4\n5\nsix\n");
        let f = first_line_difference(&mut fa, &mut fb, transform(Mode::Exact))
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
        let (_d, mut fa, mut fb) = files(b"a \nb \nc\n", b"a\nb\t\nd\n");
        let f = first_line_difference(&mut fa, &mut fb, transform(Mode::Text))
            .unwrap()
            .unwrap();
        assert_eq!(f.line, 3);
        assert_eq!(f.context, vec![b"a".to_vec(), b"b".to_vec()]);
        assert_eq!(f.blessed.as_deref(), Some(&b"c"[..]));
        assert_eq!(f.new.as_deref(), Some(&b"d"[..]));
    }

    #[test]
    fn line_digests_ignore_order_only() {
        let (_d, mut fa, mut fb) = files(b"x\ny\ny\n", b"y\nx\ny");
        let keys = LineKeys::new();
        let tf = transform(Mode::Sorted);
        let da = line_digest(&mut fa, tf, &keys).unwrap();
        assert_eq!(da, line_digest(&mut fb, tf, &keys).unwrap());
        assert_eq!(da.0, 3);
        let (_d, mut fa, mut fb) = files(b"x\ny\ny\n", b"x\nx\ny\n");
        let da = line_digest(&mut fa, tf, &keys).unwrap();
        assert_ne!(da, line_digest(&mut fb, tf, &keys).unwrap());
    }
}

#[cfg(test)]
mod block_tests {
    use super::super::apply::Filters;
    use super::super::filter::{Filter, compile};
    use super::super::spec::FilterSpec;
    use super::*;

    fn host_pointers() -> Vec<Filter> {
        let spec = FilterSpec {
            preset: Some("host-pointers".into()),
            regex: None,
            replace: String::new(),
            files: None,
        };
        compile("x", 1, &spec).unwrap()
    }

    /// Lines with a host pointer salted by `salt`; line `changed` (if any) altered. Line
    /// 200 000, if there is one, is longer than the read-ahead's room (`ahead::HEAD`).
    fn text(lines: usize, salt: u32, changed: Option<usize>, non_ascii: bool) -> Vec<u8> {
        let mut out = Vec::new();
        for i in 0..lines {
            if i == 200_000 {
                out.extend_from_slice(&[b'y'; 100_000]);
            }
            let mark = if non_ascii && i % 1000 == 7 { "é" } else { "" };
            let tail = if Some(i) == changed { "X" } else { "" };
            let ptr = (i as u32).wrapping_mul(2_654_435_761) ^ salt;
            out.extend_from_slice(
                format!("{i:07} pc=0x{i:08x} buf=0x7ffd{ptr:08x}{mark} ok{tail}\n").as_bytes(),
            );
        }
        out
    }

    /// The block path (several 1 MiB blocks; read ahead on threads for the 19 MB files)
    /// reports what the line-by-line streamer reports from the start: same line, context
    /// and lines; equal files stay equal.
    #[test]
    fn block_path_matches_line_by_line() {
        let filters = host_pointers();
        let refs: Vec<&Filter> = filters.iter().collect();
        let tf = Transform {
            mode: Mode::Exact,
            filters: Filters::new(&refs),
        };
        let dir = tempfile::tempdir().unwrap();
        for (lines, changed, non_ascii, trailing) in [
            (80_000, None, false, true),
            (80_000, Some(70_001), false, true),
            (80_000, Some(3), true, true),
            (80_000, Some(45_000), true, false),
            (80_000, None, false, false),
            (400_000, None, false, true),
            (400_000, Some(390_017), false, true),
            (400_000, Some(200_000), true, false),
        ] {
            let a = text(lines, 0, None, non_ascii);
            let mut b = text(lines, 0x5a5a, changed, non_ascii);
            if !trailing {
                b.pop();
            }
            std::fs::write(dir.path().join("a"), &a).unwrap();
            std::fs::write(dir.path().join("b"), &b).unwrap();
            let mut fa = File::open(dir.path().join("a")).unwrap();
            let mut fb = File::open(dir.path().join("b")).unwrap();
            let fast = first_line_difference(&mut fa, &mut fb, tf).unwrap();
            let slow =
                first_line_difference_in(&a[..], &b[..], tf, LINE_PIECE, (1, VecDeque::new()))
                    .unwrap();
            let show = |f: &Option<FirstDiff>| {
                f.as_ref()
                    .map(|f| (f.line, f.context.clone(), f.blessed.clone(), f.new.clone()))
            };
            assert_eq!(
                show(&fast),
                show(&slow),
                "{lines} {changed:?} {non_ascii} {trailing}"
            );
            assert_eq!(fast.is_some(), changed.is_some() || !trailing);
        }
    }
}
