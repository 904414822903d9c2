//! Entries as ordered streams of decoded, rendered items, numbered across chunks.
//! Decoding and rendering run on the pipeline's worker threads. Produces items; writes
//! nothing.

use std::collections::VecDeque;
use std::ops::Range;
use std::path::Path;
use std::sync::Arc;

use crate::decode::Decoder;
use crate::diff::{EntryLine, RawEntry};
use crate::direct;
use crate::error::PlogError;
use crate::layout::Layout;
use crate::pipeline::ChunkStream;
use crate::reader::{RawChunk, ReadOptions, in_parts, map_chunks, open_layout};
use crate::render;
use crate::wire::{DecodeError, pc_instr};

/// Turns a decode error into a one-line error naming chunk, entry and byte.
pub fn entry_error(path: &Path, chunk: &RawChunk, i: usize, e: DecodeError) -> PlogError {
    PlogError::Entry {
        path: path.display().to_string(),
        chunk: chunk.span.index,
        entry: i as u64,
        offset: (chunk.entries[i].start + e.offset) as u64,
        msg: format!("bad protobuf: {}", e.msg),
    }
}

/// What a worker hands over for one part of a chunk: a compact record per entry (a
/// 72-byte `EntryLine` with its own reference to the chunk, built on the worker, cost a
/// diff ~10 % in allocation, page faults and contended reference counts).
pub struct Part {
    data: Arc<Vec<u8>>,
    items: Vec<Item>,
    /// `eager` only: the text line of each item.
    texts: Vec<String>,
}

struct Item {
    instr: u64,
    pc: u64,
    range: Range<usize>,
}

/// The entries of a log in order, numbered globally, expanded from [`Part`]s one at a
/// time on the reading (diff) thread.
pub struct Entries {
    stream: ChunkStream<Vec<Part>>,
    parts: VecDeque<Part>,
    /// Next item of the front part.
    at: usize,
    next: u64,
}

impl Iterator for Entries {
    type Item = Result<EntryLine, PlogError>;
    fn next(&mut self) -> Option<Self::Item> {
        loop {
            if let Some(p) = self.parts.front_mut() {
                if let Some(it) = p.items.get(self.at) {
                    let text = p.texts.get_mut(self.at).map(std::mem::take);
                    let e = EntryLine {
                        index: self.next,
                        instr: it.instr,
                        pc: it.pc,
                        text,
                        raw: Some(RawEntry::new(Arc::clone(&p.data), it.range.clone())),
                    };
                    self.at += 1;
                    self.next += 1;
                    return Some(Ok(e));
                }
                self.parts.pop_front();
                self.at = 0;
                continue;
            }
            match self.stream.next()? {
                Ok(v) => self.parts = v.into(),
                Err(e) => return Some(Err(e)),
            }
        }
    }
}

/// The entries of `path` (with `instr`/`pc` and raw bytes), for diffing. With `eager`
/// the text lines are rendered on the worker threads (a filtered compare needs every
/// one); without, entries are only checked to decode and [`render_line`] renders the
/// few a diff needs. With `threads == 0` it uses half the cores, as a diff runs two of
/// these.
pub fn entry_lines(
    path: &Path,
    decoder: &Arc<Decoder>,
    opts: &ReadOptions,
    eager: bool,
) -> Result<Entries, PlogError> {
    let layout = open_layout(path, opts)?;
    // A diff reads two logs at once: split the cores between them.
    let mut opts = *opts;
    if opts.threads == 0 {
        opts.threads = (crate::pipeline::default_threads() / 2).max(1);
    }
    Ok(Entries {
        stream: parts_of(path, &layout, decoder, &opts, eager),
        parts: VecDeque::new(),
        at: 0,
        next: 0,
    })
}

fn parts_of(
    path: &Path,
    layout: &Layout,
    decoder: &Arc<Decoder>,
    opts: &ReadOptions,
    eager: bool,
) -> ChunkStream<Vec<Part>> {
    let d = Arc::clone(decoder);
    let p = path.to_path_buf();
    let parts = opts.threads;
    map_chunks(path, layout, opts, move |chunk| {
        in_parts(chunk, parts, |range| {
            let mut items = Vec::with_capacity(range.len());
            let mut texts = Vec::with_capacity(if eager { range.len() } else { 0 });
            let schema = d.schema();
            for i in range {
                let bytes = chunk.entry(i);
                // A corrupt entry is an error even when only bytes are compared: check
                // that it decodes (fast walk; the decoder names the error).
                if eager {
                    let m = d.decode(bytes).map_err(|e| entry_error(&p, chunk, i, e))?;
                    let mut text = String::new();
                    render::text(&mut text, schema, &m);
                    texts.push(text);
                } else if !direct::decodes(schema, Some(schema.root), bytes, 0) {
                    d.decode(bytes).map_err(|e| entry_error(&p, chunk, i, e))?;
                }
                let (pc, instr) = pc_instr(bytes);
                items.push(Item {
                    instr: instr.unwrap_or(0),
                    pc: pc.unwrap_or(0),
                    range: chunk.entries[i].clone(),
                });
            }
            Ok(Part {
                data: Arc::clone(&chunk.data),
                items,
                texts,
            })
        })
    })
}

/// The text line of an entry from [`entry_lines`] without `eager`: decoded again
/// (it decoded on the worker, so an error here would be an internal one).
pub fn render_line(path: &Path, decoder: &Decoder, e: &EntryLine) -> Result<String, PlogError> {
    if let Some(t) = &e.text {
        return Ok(t.clone());
    }
    let bytes = e.raw.as_ref().map_or(&[][..], |r| r.bytes());
    let m = decoder.decode(bytes).map_err(|err| PlogError::Entry {
        path: path.display().to_string(),
        chunk: 0,
        entry: e.index,
        offset: err.offset as u64,
        msg: format!("bad protobuf: {}", err.msg),
    })?;
    let mut text = String::new();
    render::text(&mut text, decoder.schema(), &m);
    Ok(text)
}
