//! Streaming reader: the chunk layout (from the directory, or scanned with
//! `--recover`), the split of a decompressed chunk into length-prefixed entries, and
//! the per-chunk map over the parallel pipeline. Does not decode entries.

use std::ops::Range;
use std::path::Path;
use std::sync::Arc;

use crate::error::PlogError;
use crate::layout::{ChunkSpan, Layout, read_layout};
use crate::pipeline::{ChunkStream, chunk_limit, default_threads};
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

/// A decompressed chunk and the byte ranges of its entries' messages. The bytes are
/// shared so that a diff can keep entries of a chunk without copying them.
pub struct RawChunk {
    pub span: ChunkSpan,
    pub data: Arc<Vec<u8>>,
    pub entries: Vec<Range<usize>>,
}

impl RawChunk {
    pub fn entry(&self, i: usize) -> &[u8] {
        &self.data[self.entries[i].clone()]
    }
}

/// Splits a decompressed chunk into `u32` length-prefixed entries. A recovered chunk
/// whose stream was cut short loses only its incomplete last entry.
pub fn split_entries(
    path: &Path,
    span: &ChunkSpan,
    data: &[u8],
) -> Result<Vec<Range<usize>>, PlogError> {
    let mut out = Vec::new();
    let used = whole_entries(data, &mut out);
    if used < data.len() && !span.truncated {
        return Err(leftover_error(
            path,
            span,
            out.len() as u64,
            used as u64,
            &data[used..],
        ));
    }
    Ok(out)
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

/// Runs `f` on every chunk (decompressed and split) on worker threads; results come
/// back in chunk order.
pub fn map_chunks<T, F>(path: &Path, layout: &Layout, opts: &ReadOptions, f: F) -> ChunkStream<T>
where
    T: Send + 'static,
    F: Fn(&RawChunk) -> Result<T, PlogError> + Send + Sync + 'static,
{
    let threads = worker_threads(opts);
    let p = path.to_path_buf();
    let work = Arc::new(move |span: &ChunkSpan, data: Vec<u8>| {
        let entries = split_entries(&p, span, &data)?;
        f(&RawChunk {
            span: span.clone(),
            data: Arc::new(data),
            entries,
        })
    });
    ChunkStream::start(path, layout, threads, max_raw_chunk(layout, opts), work)
}
