//! Byte-level comparison: a streaming equality check with bounded memory (any file size),
//! and the difference of binary files: sizes, first differing offset and a short window
//! of bytes around it on both sides.
//!
//! Bytes only: it must not interpret lines or modes (that is `file`), and it is a leaf in
//! `compare` (apart from `crate::human` for sizes).

use std::fs::File;
use std::io::{self, Read, Seek, SeekFrom};

use super::ahead::page_aligned;
use super::difference::{BinaryDiff, HEX_ROW};

/// Read size for streaming comparisons: two of them fit in a core's L2 cache, so the
/// kernel's copy and the comparison stay in cache (1 MiB reads ran at half the speed on
/// the project's machines: BENCHMARKS.md, issue 10).
const CHUNK: usize = 128 << 10;

/// Hex rows shown before/after the one holding the first difference.
const ROWS_AROUND: u64 = 1;

/// Fill `buf` as far as the file allows; returns how many bytes were read (short only at EOF).
fn fill(f: &mut impl Read, buf: &mut [u8]) -> io::Result<usize> {
    let mut n = 0;
    while n < buf.len() {
        match f.read(&mut buf[n..]) {
            Ok(0) => break,
            Ok(k) => n += k,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(n)
}

/// Which side an I/O error came from, so the caller can name the right file.
#[derive(Debug)]
pub(crate) enum Side {
    Blessed,
    New,
}

/// Compare two open files byte for byte; `None` when identical, else the offset of the
/// first difference (or the length of the shorter file when one is a prefix of the other).
pub(crate) fn first_difference(
    a: &mut impl Read,
    b: &mut impl Read,
) -> Result<Option<u64>, (Side, io::Error)> {
    // Page-aligned, as the read-ahead's: the kernel copies into them at full speed.
    let ((mut sa, oa), (mut sb, ob)) = (page_aligned(CHUNK), page_aligned(CHUNK));
    let (ba, bb) = (&mut sa[oa..oa + CHUNK], &mut sb[ob..ob + CHUNK]);
    let mut offset = 0u64;
    loop {
        let na = fill(a, ba).map_err(|e| (Side::Blessed, e))?;
        let nb = fill(b, bb).map_err(|e| (Side::New, e))?;
        let n = na.min(nb);
        if ba[..n] != bb[..n] {
            let i = ba[..n]
                .iter()
                .zip(&bb[..n])
                .position(|(x, y)| x != y)
                .unwrap_or(n);
            return Ok(Some(offset + i as u64));
        }
        if na != nb {
            return Ok(Some(offset + n as u64));
        }
        if na == 0 {
            return Ok(None);
        }
        offset += n as u64;
    }
}

/// True when the start of the data looks binary (a NUL byte in the first 8000 bytes,
/// git's heuristic): such files get a hex report instead of a line diff.
pub(crate) fn looks_binary(head: &[u8]) -> bool {
    memchr::memchr(0, &head[..head.len().min(8000)]).is_some()
}

/// Read the first 8000 bytes of a file, for [`looks_binary`].
pub(crate) fn head(f: &mut File) -> io::Result<Vec<u8>> {
    window(f, 0, 8000)
}

fn window(f: &mut File, start: u64, len: u64) -> io::Result<Vec<u8>> {
    f.seek(SeekFrom::Start(start))?;
    let mut buf = vec![0u8; len as usize];
    let n = fill(f, &mut buf)?;
    buf.truncate(n);
    Ok(buf)
}

/// The difference of two files that differ at byte `offset`: sizes, the offset, and the
/// bytes of both around it (rendered as hex rows by `difference::render`).
pub(crate) fn report(
    name: &str,
    blessed: &mut File,
    new: &mut File,
    sizes: (u64, u64),
    offset: u64,
) -> Result<BinaryDiff, (Side, io::Error)> {
    let start = (offset / HEX_ROW).saturating_sub(ROWS_AROUND) * HEX_ROW;
    let len = (2 * ROWS_AROUND + 1) * HEX_ROW;
    let blessed_window = window(blessed, start, len).map_err(|e| (Side::Blessed, e))?;
    let new_window = window(new, start, len).map_err(|e| (Side::New, e))?;
    Ok(BinaryDiff {
        name: name.to_string(),
        blessed_size: sizes.0,
        new_size: sizes.1,
        offset,
        window_start: start,
        blessed_window,
        new_window,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn render(d: BinaryDiff) -> String {
        super::super::difference::render(&super::super::difference::Difference::Binary(d))
    }

    fn diff_of(a: &[u8], b: &[u8]) -> Option<u64> {
        first_difference(&mut &a[..], &mut &b[..]).unwrap()
    }

    #[test]
    fn first_difference_finds_offsets() {
        assert_eq!(diff_of(b"", b""), None);
        assert_eq!(diff_of(b"abc", b"abc"), None);
        assert_eq!(diff_of(b"abc", b"abd"), Some(2));
        assert_eq!(diff_of(b"abc", b"abcd"), Some(3));
        assert_eq!(diff_of(b"abcd", b"ab"), Some(2));
        // Across chunk boundaries.
        let a = vec![7u8; CHUNK * 2 + 10];
        let mut b = a.clone();
        b[CHUNK + 5] = 8;
        assert_eq!(diff_of(&a, &b), Some(CHUNK as u64 + 5));
        assert_eq!(diff_of(&a, &a.clone()), None);
        assert_eq!(diff_of(&a, &a[..CHUNK]), Some(CHUNK as u64));
    }

    #[test]
    fn binary_heuristic() {
        assert!(looks_binary(b"ab\0c"));
        assert!(!looks_binary(b"plain text\n"));
        let mut late = vec![b'a'; 9000];
        late[8500] = 0;
        assert!(!looks_binary(&late));
    }

    #[test]
    fn report_shows_sizes_offset_and_window() {
        let dir = tempfile::tempdir().unwrap();
        let a: Vec<u8> = (0u8..64).collect();
        let mut b = a.clone();
        b[35] = 0xff;
        b.extend_from_slice(b"tail");
        std::fs::write(dir.path().join("a"), &a).unwrap();
        std::fs::write(dir.path().join("b"), &b).unwrap();
        let mut fa = File::open(dir.path().join("a")).unwrap();
        let mut fb = File::open(dir.path().join("b")).unwrap();
        let r = render(report("x.bin", &mut fa, &mut fb, (64, 68), 35).unwrap());
        insta::assert_snapshot!(r);
    }

    #[test]
    fn report_when_one_is_a_prefix() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("a"), b"\x00\x01\x02").unwrap();
        std::fs::write(dir.path().join("b"), b"\x00\x01\x02\x03").unwrap();
        let mut fa = File::open(dir.path().join("a")).unwrap();
        let mut fb = File::open(dir.path().join("b")).unwrap();
        let r = render(report("p", &mut fa, &mut fb, (3, 4), 3).unwrap());
        assert!(
            r.contains(
                "first difference at byte offset 3 (0x3) (blessed ends there; new continues)"
            ),
            "{r}"
        );
        assert!(r.contains("-00000000  00 01 02"), "{r}");
        assert!(r.contains("+00000000  00 01 02 03"), "{r}");
    }
}
