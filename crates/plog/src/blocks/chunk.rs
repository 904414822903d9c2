//! One chunk's compressed bytes, read a piece at a time, inflated a block at a time into
//! whole entries.

use std::fs::File;
use std::os::unix::fs::FileExt;
use std::path::Path;

use super::{BLOCK, EntryBlock};
use crate::error::PlogError;
use crate::inflate::{Inflater, Input, chunk_err};
use crate::layout::ChunkSpan;
use crate::reader::{leftover_error, whole_entries};

/// What inflating the rest of a chunk needs; a worker takes it out of [`Active`] while it
/// inflates the next block, so the others never touch it.
pub(super) struct ChunkStream {
    /// Compressed bytes read and not yet inflated: `input[used..]`.
    pub(super) input: Vec<u8>,
    pub(super) used: usize,
    /// Compressed bytes of the chunk read so far.
    pub(super) read: u64,
    pub(super) inflater: Inflater,
    /// The start of an entry cut by the end of the last block.
    pub(super) carry: Vec<u8>,
}

/// Largest compressed chunk accepted: PANDA's are a few MiB; larger is damage.
pub const MAX_COMPRESSED_CHUNK: u64 = 512 << 20;

/// Compressed bytes read at a time.
const PIECE: usize = 128 << 10;

/// Inflates the next block of a chunk into `block`: whole entries only, the start of an
/// entry cut by the block's end kept for the next one. True for the chunk's last block.
pub(super) fn next_block(
    path: &Path,
    file: &File,
    span: &ChunkSpan,
    s: &mut ChunkStream,
    block: &mut EntryBlock,
) -> Result<bool, PlogError> {
    let (data, entries) = (&mut block.data, &mut block.entries);
    data.clear();
    entries.clear();
    data.extend_from_slice(&s.carry);
    s.carry.clear();
    let mut target = data.len() + BLOCK;
    loop {
        if s.used == s.input.len() && s.read < span.len {
            read_piece(path, file, span, s)?;
        }
        let input = Input {
            bytes: &s.input[s.used..],
            last: s.read == span.len,
        };
        let want = target - data.len();
        let (ended, used) = s.inflater.fill(path, span, input, data, want)?;
        s.used += used;
        if !ended && data.len() < target {
            continue; // the piece is used up: read the next
        }
        let cut = whole_entries(data, entries);
        if ended {
            if cut < data.len() && !span.truncated {
                let entry = block.first + entries.len() as u64;
                let at = block.offset + cut as u64;
                return Err(leftover_error(path, span, entry, at, &data[cut..]));
            }
            data.truncate(cut);
            return Ok(true);
        }
        if !entries.is_empty() {
            s.carry.extend_from_slice(&data[cut..]);
            data.truncate(cut);
            return Ok(false);
        }
        // One entry larger than a block so far: inflate another block's worth.
        entries.clear();
        target = data.len() + BLOCK;
    }
}

/// Reads the chunk's next piece of compressed bytes into `s.input`.
fn read_piece(
    path: &Path,
    file: &File,
    span: &ChunkSpan,
    s: &mut ChunkStream,
) -> Result<(), PlogError> {
    let want = (span.len - s.read).min(PIECE as u64) as usize;
    s.input.clear();
    s.input.resize(want, 0);
    s.used = 0;
    let mut got = 0;
    while got < want {
        match file.read_at(&mut s.input[got..], span.pos + s.read + got as u64) {
            Ok(0) => {
                let msg = format!(
                    "file ends after {} of the chunk's {} bytes",
                    s.read + got as u64,
                    span.len
                );
                return Err(chunk_err(path, span, msg));
            }
            Ok(n) => got += n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(PlogError::io(path, e)),
        }
    }
    s.read += want as u64;
    Ok(())
}
