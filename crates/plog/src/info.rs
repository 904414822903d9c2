//! Summarising a pandalog: layout, counts, instruction range, sizes, and what looks
//! inconsistent. Returns values; it neither formats nor prints them (the binary does).

use std::fmt;
use std::path::Path;
use std::sync::Arc;

use crate::blocks::{BlockStream, EntryBlock};
use crate::error::PlogError;
use crate::reader::{ReadOptions, max_raw_chunk, open_layout, worker_threads};
use crate::wire::pc_instr;

/// What [`info`] found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogInfo {
    /// Chunks were found by scanning (`--recover`); header and directory were ignored,
    /// so `version` and `chunk_size` mean nothing.
    pub recovered: bool,
    pub version: u32,
    pub chunk_size: u32,
    pub chunks: usize,
    pub entries: u64,
    /// Lowest and highest `instr` over all entries (the bogus first entry's
    /// `u64::MAX` excluded); `None` when no entry has one.
    pub instructions: Option<(u64, u64)>,
    /// Bytes of zlib streams.
    pub compressed: u64,
    /// Bytes after decompression.
    pub raw: u64,
    pub file_len: u64,
    pub warnings: Vec<Warning>,
}

/// Something inconsistent that did not stop reading the log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Warning {
    /// The directory's entry count for a chunk differs from what the chunk holds.
    EntryCount {
        chunk: usize,
        directory: u64,
        found: u64,
    },
}

impl fmt::Display for Warning {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Warning::EntryCount {
                chunk,
                directory,
                found,
            } => write!(
                f,
                "chunk {chunk}: the directory says {directory} entries, the chunk holds {found}"
            ),
        }
    }
}

/// Per-block statistics gathered on the worker threads.
struct BlockStats {
    chunk: usize,
    last: bool,
    entries: u64,
    raw: u64,
    instr: Option<(u64, u64)>,
}

/// Reads every chunk of `file` (entries are split, not decoded) and summarises it.
pub fn info(file: &Path, opts: &ReadOptions) -> Result<LogInfo, PlogError> {
    let layout = open_layout(file, opts)?;
    let stats = |block: &mut EntryBlock| {
        let mut range: Option<(u64, u64)> = None;
        for i in 0..block.len() {
            if let (_, Some(n)) = pc_instr(block.entry(i))
                && n != u64::MAX
            {
                range = Some(range.map_or((n, n), |(lo, hi)| (lo.min(n), hi.max(n))));
            }
        }
        Ok(BlockStats {
            chunk: block.chunk_index(),
            last: block.is_last(),
            entries: block.len() as u64,
            raw: block.byte_len() as u64,
            instr: range,
        })
    };
    let max_raw = max_raw_chunk(&layout, opts);
    let threads = worker_threads(opts);
    let stream = BlockStream::start(file, &layout, threads, max_raw, Arc::new(stats));
    let (mut entries, mut raw, mut range) = (0u64, 0u64, None::<(u64, u64)>);
    let mut warnings = Vec::new();
    // Entries of the chunk being summed, checked against the directory at its last block.
    let mut in_chunk = 0u64;
    for s in stream {
        let s = s?;
        entries += s.entries;
        raw += s.raw;
        in_chunk += s.entries;
        if let Some((lo, hi)) = s.instr {
            range = Some(range.map_or((lo, hi), |(a, b)| (a.min(lo), b.max(hi))));
        }
        if s.last {
            let directory = layout.chunks.get(s.chunk).map_or(0, |c| c.n_entries);
            if !layout.recovered && directory != in_chunk {
                warnings.push(Warning::EntryCount {
                    chunk: s.chunk,
                    directory,
                    found: in_chunk,
                });
            }
            in_chunk = 0;
        }
    }
    Ok(LogInfo {
        recovered: layout.recovered,
        version: layout.header.version,
        chunk_size: layout.header.chunk_size,
        chunks: layout.chunks.len(),
        entries,
        instructions: range,
        compressed: layout.chunks.iter().map(|c| c.len).sum(),
        raw,
        file_len: layout.file_len,
        warnings,
    })
}
