//! Reading the N runs' copies of one text file in lockstep, through the test's filters,
//! keeping only the line positions where the runs disagree. Bounded: a line is kept to
//! [`MAX_LINE`] bytes and at most [`MAX_DIFFERING`] positions are kept, so a 100 MB output
//! costs a few MiB whatever varies in it.
//!
//! It reads files and nothing else: sorting what it kept into spots is `spots`.

use std::fs::File;
use std::io::{self, BufRead, BufReader, Read};
use std::path::Path;

use crate::compare::LineFilter;

/// Bytes of a line kept (the rest is read past): enough to see what varies on it.
pub(super) const MAX_LINE: u64 = 64 << 10;
/// Differing positions kept per file; beyond, the analysis says it stopped.
pub(super) const MAX_DIFFERING: usize = 10_000;
/// Bytes of differing lines kept per file (all runs together), the other bound.
pub(super) const MAX_HELD: usize = 64 << 20;

/// A line position where the runs disagree: each run's line there (filtered), `None` for a
/// run whose file had already ended.
#[derive(Debug)]
pub(super) struct Differing {
    /// 1-based.
    pub line: u64,
    pub texts: Vec<Option<Vec<u8>>>,
}

/// The positions where the runs disagree, in order.
#[derive(Debug, Default)]
pub(super) struct Collected {
    pub differing: Vec<Differing>,
    /// Reading stopped at this line: [`MAX_DIFFERING`] positions or [`MAX_HELD`] bytes.
    pub stopped_at: Option<u64>,
}

/// One run's file, read a line at a time.
struct Reader {
    inner: BufReader<File>,
    done: bool,
}

impl Reader {
    /// The next line without its terminator, at most [`MAX_LINE`] bytes; `None` at the end.
    fn next(&mut self, buf: &mut Vec<u8>) -> io::Result<Option<()>> {
        buf.clear();
        if self.done {
            return Ok(None);
        }
        let n = (&mut self.inner).take(MAX_LINE).read_until(b'\n', buf)?;
        if n == 0 {
            self.done = true;
            return Ok(None);
        }
        if buf.last() == Some(&b'\n') {
            buf.pop();
        } else if n as u64 == MAX_LINE {
            // Cut: skip to the end of the line, so the runs stay in step.
            self.inner.skip_until(b'\n')?;
        }
        Ok(Some(()))
    }
}

/// Read `paths` (one per run) in step, filtered by `filter`.
pub(super) fn collect(
    paths: &[&Path],
    filter: &LineFilter<'_>,
) -> Result<Collected, (usize, io::Error)> {
    let mut readers = Vec::with_capacity(paths.len());
    for (i, p) in paths.iter().enumerate() {
        let f = File::open(p).map_err(|e| (i, e))?;
        readers.push(Reader {
            inner: BufReader::with_capacity(1 << 20, f),
            done: false,
        });
    }
    let mut raw = vec![Vec::new(); paths.len()];
    let mut filtered: Vec<Option<Vec<u8>>> = vec![None; paths.len()];
    let mut scratch = Vec::new();
    let mut out = Collected::default();
    let mut line = 0u64;
    let mut held = 0usize;
    loop {
        line += 1;
        let mut any = false;
        for (i, r) in readers.iter_mut().enumerate() {
            match r.next(&mut raw[i]).map_err(|e| (i, e))? {
                Some(()) => {
                    any = true;
                    let slot = filtered[i].get_or_insert_with(Vec::new);
                    filter.apply(&raw[i], slot, &mut scratch);
                }
                None => filtered[i] = None,
            }
        }
        if !any {
            return Ok(out);
        }
        if filtered.iter().all(|t| *t == filtered[0]) {
            continue;
        }
        if out.differing.len() >= MAX_DIFFERING || held >= MAX_HELD {
            out.stopped_at = Some(line);
            return Ok(out);
        }
        held += filtered.iter().flatten().map(Vec::len).sum::<usize>();
        out.differing.push(Differing {
            line,
            texts: filtered.clone(),
        });
    }
}

/// Whether a byte belongs to a token (the unit that varies: `0x7ffd…`, `12:03:44.5`, `42`).
pub(super) fn is_token_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b':')
}

/// A line cut into maximal runs of token bytes and of other bytes, alternating.
pub(super) fn pieces(line: &[u8]) -> Vec<&[u8]> {
    let mut out = Vec::new();
    let mut start = 0;
    for i in 1..=line.len() {
        if i == line.len() || is_token_byte(line[i]) != is_token_byte(line[i - 1]) {
            out.push(&line[start..i]);
            start = i;
        }
    }
    out
}

/// The pieces at which lines cut the same way differ; `None` when they are not cut the
/// same way (another number of pieces, or token and other bytes in other places).
pub(super) fn varying_pieces(lines: &[&[u8]]) -> Option<Vec<usize>> {
    let cut: Vec<Vec<&[u8]>> = lines.iter().map(|l| pieces(l)).collect();
    let first = cut.first()?;
    let shape_of = |p: &[&[u8]]| -> Vec<bool> { p.iter().map(|x| is_token_byte(x[0])).collect() };
    let shape = shape_of(first);
    if cut
        .iter()
        .any(|c| c.len() != first.len() || shape_of(c) != shape)
    {
        return None;
    }
    Some(
        (0..first.len())
            .filter(|&i| cut.iter().any(|c| c[i] != first[i]))
            .collect(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pieces_alternate_tokens_and_the_rest() {
        let p: Vec<&[u8]> = pieces(b"ptr = 0x55d0, at 12:03:44.");
        let want: Vec<&[u8]> = vec![b"ptr", b" = ", b"0x55d0", b", ", b"at", b" ", b"12:03:44."];
        assert_eq!(p, want);
        assert!(pieces(b"").is_empty());
    }

    #[test]
    fn varying_pieces_names_the_tokens_that_differ() {
        let a: &[u8] = b"ptr 0x1 at 10:00";
        let b: &[u8] = b"ptr 0x2 at 10:01";
        assert_eq!(varying_pieces(&[a, b]), Some(vec![2, 6]));
        assert_eq!(varying_pieces(&[a, b"ptr 0x1 at"]), None);
    }
}
