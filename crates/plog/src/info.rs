//! Summarising a pandalog: layout, counts, instruction range, sizes, and what looks
//! inconsistent. Returns values; it neither formats nor prints them (the binary does).

use std::fmt;
use std::path::Path;

use crate::error::PlogError;
use crate::reader::{ReadOptions, map_chunks, open_layout};
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

/// Per-chunk statistics gathered on the worker threads.
struct ChunkStats {
    entries: u64,
    raw: u64,
    instr: Option<(u64, u64)>,
    dir_entries: u64,
}

/// Reads every chunk of `file` (entries are split, not decoded) and summarises it.
pub fn info(file: &Path, opts: &ReadOptions) -> Result<LogInfo, PlogError> {
    let layout = open_layout(file, opts)?;
    let stream = map_chunks(file, &layout, opts, |chunk| {
        let mut range: Option<(u64, u64)> = None;
        for i in 0..chunk.entries.len() {
            if let (_, Some(n)) = pc_instr(chunk.entry(i))
                && n != u64::MAX
            {
                range = Some(range.map_or((n, n), |(lo, hi)| (lo.min(n), hi.max(n))));
            }
        }
        Ok(ChunkStats {
            entries: chunk.entries.len() as u64,
            raw: chunk.data.len() as u64,
            instr: range,
            dir_entries: chunk.span.n_entries,
        })
    });
    let (mut entries, mut raw, mut range) = (0u64, 0u64, None::<(u64, u64)>);
    let mut warnings = Vec::new();
    for (i, s) in stream.enumerate() {
        let s = s?;
        entries += s.entries;
        raw += s.raw;
        if let Some((lo, hi)) = s.instr {
            range = Some(range.map_or((lo, hi), |(a, b)| (a.min(lo), b.max(hi))));
        }
        if !layout.recovered && s.dir_entries != s.entries {
            warnings.push(Warning::EntryCount {
                chunk: i,
                directory: s.dir_entries,
                found: s.entries,
            });
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
