//! Opening a log for reading: the chunk layout (from the directory, or scanned with
//! `--recover`), the options of a read, and the split of decompressed bytes into
//! length-prefixed entries. Does not decode entries.

use std::ops::Range;
use std::path::Path;

use crate::error::PlogError;
use crate::inflate::chunk_limit;
use crate::layout::{ChunkSpan, Layout, read_layout};
use crate::recover::scan_layout;

/// How to open a log.
#[derive(Debug, Clone, Copy, Default)]
pub struct ReadOptions {
    /// Ignore header and directory; find chunks by scanning for zlib streams.
    pub recover: bool,
    /// Worker threads that read, inflate and render (0 = one per core).
    pub threads: usize,
    /// Largest decompressed chunk accepted in bytes (0 = the header's chunk size plus
    /// 1/16, at least 1 MiB more, capped at 512 MiB).
    pub max_raw_chunk: usize,
}

/// Chunk layout of `path`, from its directory or by scanning.
pub fn open_layout(path: &Path, opts: &ReadOptions) -> Result<Layout, PlogError> {
    if opts.recover {
        scan_layout(path)
    } else {
        read_layout(path)
    }
}

/// Appends the ranges of the whole length-prefixed entries at the start of `data` to
/// `out`; returns the bytes they take (up to the first incomplete entry).
pub fn whole_entries(data: &[u8], out: &mut Vec<Range<usize>>) -> usize {
    let mut pos = 0usize;
    while let Some(prefix) = data.get(pos..pos + 4) {
        let len = u32::from_le_bytes([prefix[0], prefix[1], prefix[2], prefix[3]]) as usize;
        let end = pos + 4 + len;
        if end > data.len() {
            break;
        }
        out.push(pos + 4..end);
        pos = end;
    }
    pos
}

/// The error for `left`, the bytes after a chunk's last whole entry (entry number
/// `entry`, at byte `offset` of the decompressed chunk).
pub fn leftover_error(
    path: &Path,
    span: &ChunkSpan,
    entry: u64,
    offset: u64,
    left: &[u8],
) -> PlogError {
    let msg = match left {
        [a, b, c, d, rest @ ..] => format!(
            "entry length {} exceeds the {} bytes left in the chunk",
            u32::from_le_bytes([*a, *b, *c, *d]),
            rest.len()
        ),
        _ => format!("{} bytes left, too few for a length prefix", left.len()),
    };
    PlogError::Entry {
        path: path.display().to_string(),
        chunk: span.index,
        entry,
        offset,
        msg,
    }
}

/// The available cores.
pub fn default_threads() -> usize {
    std::thread::available_parallelism().map_or(2, |n| n.get())
}

/// Worker threads `opts` asks for (0 = one per core).
pub fn worker_threads(opts: &ReadOptions) -> usize {
    if opts.threads == 0 {
        default_threads()
    } else {
        opts.threads
    }
}

/// Largest decompressed chunk accepted: the caller's limit, else the header's.
pub fn max_raw_chunk(layout: &Layout, opts: &ReadOptions) -> usize {
    if opts.max_raw_chunk == 0 {
        chunk_limit(layout.header.chunk_size)
    } else {
        opts.max_raw_chunk
    }
}
