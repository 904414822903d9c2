//! Decompressing one chunk's zlib stream a block at a time, never past the log's chunk
//! limit. Knows bytes only: entries are the caller's work.

use std::path::Path;

use flate2::{Decompress, FlushDecompress, Status};

use crate::error::PlogError;
use crate::layout::{ChunkSpan, DEFAULT_CHUNK_SIZE};

/// Largest decompressed chunk accepted whatever the header says. PANDA's chunks are
/// ~16 MiB (a little more when one instruction's entries straddle the limit).
pub const MAX_RAW_CHUNK: usize = 512 << 20;

/// Largest decompressed chunk accepted for a log whose header gives `chunk_size` (0:
/// unknown, as in a log never closed; PANDA's default is assumed). PANDA closes a chunk
/// once it is full and the next entry starts a new instruction, so a chunk exceeds the
/// chunk size only by the entries of one instruction: 1/16 of the chunk size, at least
/// 1 MiB, covers that. Anything larger is damage or a zlib bomb, and would make each
/// worker hold (and render) far more than the header promised.
pub fn chunk_limit(chunk_size: u32) -> usize {
    let size = if chunk_size == 0 {
        DEFAULT_CHUNK_SIZE
    } else {
        chunk_size
    } as usize;
    size.saturating_add((size / 16).max(1 << 20))
        .min(MAX_RAW_CHUNK)
}

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

pub(crate) fn chunk_err(path: &Path, span: &ChunkSpan, msg: String) -> PlogError {
    PlogError::Chunk {
        path: path.display().to_string(),
        chunk: span.index,
        offset: span.pos,
        msg,
    }
}
