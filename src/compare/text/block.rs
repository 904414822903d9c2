//! The block streamer: the fast path of `stream`'s first-difference search for `exact`
//! files. Both files are read in blocks of whole lines, cut to the same number of lines;
//! a block pair with equal bytes is equal, otherwise both blocks are filtered whole
//! ([`Filters::apply_block`]) and compared as one buffer each. Since no filtered line
//! gains a `\n`, equal buffers mean equal lines, so only line splitting (one `memchr`
//! pass), never a per-line call, is paid on the way to the first difference.
//!
//! At the first block pair that differs (or a line longer than a block) it stops and
//! says where: the line-by-line streamer takes over from there, so reports are its own.
//! Memory: two blocks and two filtered blocks.

use std::collections::VecDeque;
use std::fs::File;
use std::io::{self, Read};

use super::ahead::{self, Ahead, HEAD};
use super::apply::Filters;
use super::binary::Side;

/// Bytes read per side per block: two blocks fit in a core's L2 cache (1 MiB blocks ran
/// at half the speed: the kernel's copy and the comparison then miss the cache).
const BLOCK: usize = 128 << 10;

/// Where the line-by-line streamer must take over: both files' offsets at the start of
/// the same line, its number, and up to three raw lines of the blessed file before it.
pub(in crate::compare) struct Resume {
    pub offsets: (u64, u64),
    pub line: u64,
    pub context: VecDeque<Vec<u8>>,
}

/// Files at least this big on both sides are read ahead on threads ([`super::ahead`]):
/// below it, two thread starts cost more than the overlap saves.
const READ_AHEAD_FROM: u64 = 16 << 20;

/// Where a [`Reader`]'s bytes come from.
enum Source<R> {
    Direct(R),
    Ahead(Ahead),
}

/// One file read in blocks: `buf[start..end]` is not consumed yet; `pos` is its offset.
struct Reader<R> {
    r: Source<R>,
    buf: Vec<u8>,
    start: usize,
    end: usize,
    pos: u64,
    eof: bool,
}

impl<R: Read> Reader<R> {
    fn new(r: Source<R>) -> Self {
        Reader {
            r,
            buf: vec![0; BLOCK],
            start: 0,
            end: 0,
            pos: 0,
            eof: false,
        }
    }

    /// Make at least a block's worth unread, unless the file ends first.
    fn fill(&mut self) -> io::Result<()> {
        let Source::Direct(r) = &mut self.r else {
            return self.fill_ahead();
        };
        // Move what is left to the front and read until the buffer is full or at EOF.
        self.buf.copy_within(self.start..self.end, 0);
        self.end -= self.start;
        self.start = 0;
        while !self.eof && self.end < self.buf.len() {
            match r.read(&mut self.buf[self.end..]) {
                Ok(0) => self.eof = true,
                Ok(n) => self.end += n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
        Ok(())
    }

    /// [`Self::fill`] from the read-ahead thread: the next block, with what is left of
    /// this one put in the room before it.
    fn fill_ahead(&mut self) -> io::Result<()> {
        let Source::Ahead(ahead) = &self.r else {
            return Ok(());
        };
        if self.eof || self.end - self.start >= BLOCK {
            return Ok(());
        }
        let Ok(block) = ahead.blocks.recv() else {
            self.eof = true;
            return Ok(());
        };
        let (mut next, at, len) = block?;
        self.eof = len < BLOCK;
        let left = self.end - self.start;
        let pooled = |buf: &Vec<u8>| buf.len() == ahead::buffer_len(BLOCK);
        if left <= HEAD {
            next[at - left..at].copy_from_slice(&self.buf[self.start..self.end]);
            let used = std::mem::replace(&mut self.buf, next);
            (self.start, self.end) = (at - left, at + len);
            // Only the thread's own buffers go back (not the first or a joined one).
            if pooled(&used) {
                let _ = ahead.spare.try_send(used);
            }
        } else {
            // A line longer than the room (rare): join into a buffer of its own.
            let mut joined = Vec::with_capacity(left + len);
            joined.extend_from_slice(&self.buf[self.start..self.end]);
            joined.extend_from_slice(&next[at..at + len]);
            (self.start, self.end) = (0, joined.len());
            let used = std::mem::replace(&mut self.buf, joined);
            for buf in [used, next] {
                if pooled(&buf) {
                    let _ = ahead.spare.try_send(buf);
                }
            }
        }
        Ok(())
    }

    fn unread(&self) -> &[u8] {
        &self.buf[self.start..self.end]
    }

    fn consume(&mut self, n: usize) {
        self.start += n;
        self.pos += n as u64;
    }
}

/// Length of the first `n` lines of `hay` (or of all of it, if it has fewer).
fn lines_len(hay: &[u8], n: usize) -> usize {
    if n == 0 {
        return 0;
    }
    memchr::memchr_iter(b'\n', hay)
        .nth(n - 1)
        .map_or(hay.len(), |i| i + 1)
}

/// Complete lines in `hay` (a last line without `\n` counts at EOF).
fn complete_lines(hay: &[u8], eof: bool) -> usize {
    let n = memchr::memchr_iter(b'\n', hay).count();
    n + usize::from(eof && !hay.is_empty() && !hay.ends_with(b"\n"))
}

/// The length of the longest run of whole lines that ends at the same offset in both
/// `a` and `b` as far as `a`'s last line break (or all of both, when both end at EOF
/// with the same length); `None` when `b` has no line break there.
fn same_length_lines(a: &[u8], a_eof: bool, b: &[u8], b_eof: bool) -> Option<usize> {
    if a_eof && b_eof && a.len() == b.len() {
        return Some(a.len());
    }
    let len = memchr::memrchr(b'\n', a)? + 1;
    (b.get(len - 1) == Some(&b'\n')).then_some(len)
}

/// Skip the leading block pairs that are equal in `exact`'s compared form: `None` when
/// the files are equal, else where the line-by-line streamer must resume.
pub(in crate::compare) fn skip_equal_blocks(
    a: &mut File,
    b: &mut File,
    filters: Filters<'_>,
) -> Result<Option<Resume>, (Side, io::Error)> {
    let big = |f: &File| f.metadata().is_ok_and(|m| m.len() >= READ_AHEAD_FROM);
    if !(big(a) && big(b)) {
        let (ra, rb) = (
            Reader::new(Source::Direct(a)),
            Reader::new(Source::Direct(b)),
        );
        return skip_in(ra, rb, filters);
    }
    std::thread::scope(|scope| {
        let ra = Reader::<&mut File>::new(Source::Ahead(ahead::spawn(scope, &mut *a, BLOCK)));
        let rb = Reader::<&mut File>::new(Source::Ahead(ahead::spawn(scope, &mut *b, BLOCK)));
        // The readers (and so the channels) drop when `skip_in` returns: a thread blocked
        // on sending then stops, and the scope can end.
        skip_in(ra, rb, filters)
    })
}

fn skip_in<R: Read>(
    mut ra: Reader<R>,
    mut rb: Reader<R>,
    filters: Filters<'_>,
) -> Result<Option<Resume>, (Side, io::Error)> {
    let mut work: [Vec<u8>; 3] = Default::default();
    let mut context: VecDeque<Vec<u8>> = VecDeque::new();
    let mut line = 1u64;
    loop {
        ra.fill().map_err(|e| (Side::Blessed, e))?;
        rb.fill().map_err(|e| (Side::New, e))?;
        let (ha, hb) = (ra.unread(), rb.unread());
        if ha.is_empty() && hb.is_empty() {
            return Ok(None);
        }
        // Fast cut: the same bytes' worth of whole lines on both sides, which is where
        // files that are equal, or differ only in same-length replacements, keep their
        // line breaks. Nothing is counted or split to decide it.
        let n = same_length_lines(ha, ra.eof, hb, rb.eof)
            .filter(|&len| filters.blocks_equal(&ha[..len], &hb[..len], &mut work))
            .map(|len| (len, len))
            .or_else(|| {
                // Else the same number of lines on both sides, as many as both hold.
                let n = complete_lines(ha, ra.eof).min(complete_lines(hb, rb.eof));
                let (la, lb) = (lines_len(ha, n), lines_len(hb, n));
                (n > 0 && filters.blocks_equal(&ha[..la], &hb[..lb], &mut work)).then_some((la, lb))
            });
        let Some((la, lb)) = n else {
            return Ok(Some(Resume {
                offsets: (ra.pos, rb.pos),
                line,
                context,
            }));
        };
        let ba = &ha[..la];
        // The last three lines, in case the next block pair is where they differ.
        let last: Vec<&[u8]> = ba.split_inclusive(|&b| b == b'\n').rev().take(3).collect();
        for l in last.into_iter().rev() {
            let mut kept = if context.len() == 3 {
                context.pop_front().unwrap_or_default()
            } else {
                Vec::new()
            };
            kept.clear();
            kept.extend_from_slice(l);
            context.push_back(kept);
        }
        line += memchr::memchr_iter(b'\n', ba).count() as u64;
        ra.consume(la);
        rb.consume(lb);
    }
}
