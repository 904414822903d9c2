//! Decompressing one chunk's zlib stream, whole or a block at a time, never past the
//! log's chunk limit. Knows bytes only: entries are the caller's work.

use std::path::Path;

use flate2::{Decompress, FlushDecompress, Status};

use crate::error::PlogError;
use crate::layout::ChunkSpan;

/// The inflation state of one chunk: its zlib stream may be decompressed in pieces, each
/// appended to a caller's buffer, so a dump can start rendering the first entries of a
/// chunk while the rest is still compressed.
pub struct Inflater {
    d: Decompress,
    /// Decompressed bytes produced so far.
    out: usize,
    max_raw: usize,
    ended: bool,
}

impl Inflater {
    /// A fresh stream that refuses to produce more than `max_raw` bytes.
    pub fn new(max_raw: usize) -> Inflater {
        Inflater {
            d: Decompress::new(true),
            out: 0,
            max_raw,
            ended: false,
        }
    }

    /// Appends decompressed bytes to `out` until it has grown by `want`, the stream has
    /// ended, or the input is used up. Returns whether the
    /// stream ended, and how many bytes of `z` were used. Bytes after the end of the
    /// zlib stream are ignored (as zlib and the Python reader do). A recovered stream cut
    /// short (`span.truncated`) ends where its bytes end.
    pub fn fill(
        &mut self,
        path: &Path,
        span: &ChunkSpan,
        input: Input<'_>,
        out: &mut Vec<u8>,
        want: usize,
    ) -> Result<(bool, usize), PlogError> {
        let z = input.bytes;
        let base = self.d.total_in() as usize;
        let target = out.len().saturating_add(want);
        while !self.ended && out.len() < target {
            let room = (target - out.len()).min(self.max_raw - self.out);
            if out.capacity() - out.len() < room {
                out.reserve_exact(room);
            }
            let spare = out.capacity() - out.len();
            let (in0, out0) = (self.d.total_in() as usize, self.d.total_out());
            let rest = &z[(in0 - base).min(z.len())..];
            let status = if room == 0 {
                // At the limit: only the end of the stream may follow.
                self.d.decompress(rest, &mut [], FlushDecompress::None)
            } else {
                self.d.decompress_vec(rest, out, FlushDecompress::None)
            };
            let made = (self.d.total_out() - out0) as usize;
            self.out += made;
            let over =
                self.out > self.max_raw || room == 0 && !matches!(status, Ok(Status::StreamEnd));
            match status {
                Ok(_) if over => {
                    return Err(chunk_err(
                        path,
                        span,
                        format!(
                            "decompresses to more than {} bytes, the limit for this log's chunks (the header's chunk size plus 1/16, or --max-chunk): a damaged log or a zlib bomb",
                            self.max_raw
                        ),
                    ));
                }
                Ok(Status::StreamEnd) => self.ended = true,
                Ok(_) => {
                    // Input used up, or no progress, while there was room for output.
                    let consumed = self.d.total_in() as usize;
                    let stuck = consumed == in0 && made == 0;
                    if made < spare && (consumed - base >= z.len() || stuck) {
                        if !input.last {
                            // More of the chunk to read first.
                            return Ok((false, consumed - base));
                        }
                        if span.truncated {
                            self.ended = true;
                        } else {
                            return Err(chunk_err(
                                path,
                                span,
                                format!(
                                    "zlib stream ends early after {consumed} of {} compressed bytes (truncated file?)",
                                    base + z.len()
                                ),
                            ));
                        }
                    }
                }
                Err(e) => {
                    return Err(chunk_err(
                        path,
                        span,
                        format!(
                            "corrupt zlib stream at compressed byte {}: {e}",
                            self.d.total_in()
                        ),
                    ));
                }
            }
        }
        let used = (self.d.total_in() as usize - base).min(z.len());
        Ok((self.ended, used))
    }
}

/// A piece of a chunk's compressed bytes, handed to [`Inflater::fill`].
#[derive(Debug, Clone, Copy)]
pub struct Input<'a> {
    /// The compressed bytes from where the last call stopped using them.
    pub bytes: &'a [u8],
    /// `bytes` runs to the end of the chunk.
    pub last: bool,
}

/// Decompresses one whole chunk, refusing to grow past `max_raw` bytes.
pub fn inflate(
    path: &Path,
    span: &ChunkSpan,
    z: &[u8],
    max_raw: usize,
) -> Result<Vec<u8>, PlogError> {
    let mut out: Vec<u8> = Vec::with_capacity(
        (z.len().saturating_mul(4))
            .clamp(1 << 12, 64 << 20)
            .min(max_raw),
    );
    let mut inf = Inflater::new(max_raw);
    // Ask for what the buffer holds, then double it, as a growing Vec would.
    let mut want = out.capacity();
    let mut used = 0;
    loop {
        let input = Input {
            bytes: &z[used..],
            last: true,
        };
        let (ended, n) = inf.fill(path, span, input, &mut out, want)?;
        if ended {
            return Ok(out);
        }
        used += n;
        want = out.len().max(1 << 12);
    }
}

pub(crate) fn chunk_err(path: &Path, span: &ChunkSpan, msg: String) -> PlogError {
    PlogError::Chunk {
        path: path.display().to_string(),
        chunk: span.index,
        offset: span.pos,
        msg,
    }
}
