//! Entries as ordered streams of decoded, rendered items, numbered across chunks.
//! Decoding and rendering run on the pipeline's worker threads. Produces items; writes
//! nothing.

use std::collections::VecDeque;
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

/// Flattens per-chunk vectors into one ordered stream, numbering entries globally.
pub struct Flatten<T> {
    stream: ChunkStream<Vec<T>>,
    buf: VecDeque<T>,
}

impl<T> Iterator for Flatten<T> {
    type Item = Result<T, PlogError>;
    fn next(&mut self) -> Option<Self::Item> {
        loop {
            if let Some(x) = self.buf.pop_front() {
                return Some(Ok(x));
            }
            match self.stream.next()? {
                Ok(v) => self.buf = v.into(),
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
) -> Result<Numbered<Flatten<EntryLine>>, PlogError> {
    let layout = open_layout(path, opts)?;
    // A diff reads two logs at once: split the cores between them.
    let mut opts = *opts;
    if opts.threads == 0 {
        opts.threads = (crate::pipeline::default_threads() / 2).max(1);
    }
    Ok(Numbered {
        inner: lines_of(path, &layout, decoder, &opts, eager),
        next: 0,
    })
}

fn lines_of(
    path: &Path,
    layout: &Layout,
    decoder: &Arc<Decoder>,
    opts: &ReadOptions,
    eager: bool,
) -> Flatten<EntryLine> {
    let d = Arc::clone(decoder);
    let p = path.to_path_buf();
    let parts = opts.threads;
    let stream = map_chunks(path, layout, opts, move |chunk| {
        let parts = in_parts(chunk, parts, |range| {
            let mut out = Vec::with_capacity(range.len());
            let schema = d.schema();
            for i in range {
                let bytes = chunk.entry(i);
                // A corrupt entry is an error even when only bytes are compared: check
                // that it decodes (fast walk; the decoder names the error).
                let text = if eager {
                    let m = d.decode(bytes).map_err(|e| entry_error(&p, chunk, i, e))?;
                    let mut text = String::new();
                    render::text(&mut text, schema, &m);
                    Some(text)
                } else {
                    if !direct::decodes(schema, Some(schema.root), bytes, 0) {
                        d.decode(bytes).map_err(|e| entry_error(&p, chunk, i, e))?;
                    }
                    None
                };
                let (pc, instr) = pc_instr(bytes);
                out.push(EntryLine {
                    index: 0,
                    instr: instr.unwrap_or(0),
                    pc: pc.unwrap_or(0),
                    text,
                    raw: Some(RawEntry::new(
                        Arc::clone(&chunk.data),
                        chunk.entries[i].clone(),
                    )),
                });
            }
            Ok(out)
        })?;
        Ok(parts.into_iter().flatten().collect())
    });
    Flatten {
        stream,
        buf: VecDeque::new(),
    }
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

/// Assigns global entry indices.
pub struct Numbered<I> {
    inner: I,
    next: u64,
}

impl<I: Iterator<Item = Result<EntryLine, PlogError>>> Iterator for Numbered<I> {
    type Item = Result<EntryLine, PlogError>;
    fn next(&mut self) -> Option<Self::Item> {
        let r = self.inner.next()?;
        Some(r.map(|mut e| {
            e.index = self.next;
            self.next += 1;
            e
        }))
    }
}
