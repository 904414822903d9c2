//! Entries as ordered streams of decoded, rendered items, numbered across chunks.
//! Decoding and rendering run on the pipeline's worker threads. Produces items; writes
//! nothing.

use std::ops::Range;
use std::path::Path;
use std::sync::Arc;

use crate::blocks::{BlockStream, EntryBlock};
use crate::decode::Decoder;
use crate::diff::{EntryLine, RawEntry};
use crate::direct;
use crate::error::PlogError;
use crate::reader::{ReadOptions, max_raw_chunk, open_layout};
use crate::render;
use crate::wire::pc_instr;

/// What a worker hands over for one block of a chunk: a compact record per entry (a
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
    stream: BlockStream<Part>,
    part: Option<Part>,
    /// Next item of `part`.
    at: usize,
    next: u64,
}

impl Iterator for Entries {
    type Item = Result<EntryLine, PlogError>;
    fn next(&mut self) -> Option<Self::Item> {
        loop {
            if let Some(p) = self.part.as_mut() {
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
                self.part = None;
                self.at = 0;
            }
            match self.stream.next()? {
                Ok(p) => self.part = Some(p),
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
    let threads = match opts.threads {
        0 => (crate::reader::default_threads() / 2).max(1),
        n => n,
    };
    let d = Arc::clone(decoder);
    let p = path.to_path_buf();
    let part = move |block: &mut EntryBlock| {
        let n = block.len();
        let mut items = Vec::with_capacity(n);
        let mut texts = Vec::with_capacity(if eager { n } else { 0 });
        let schema = d.schema();
        for i in 0..n {
            let bytes = block.entry(i);
            // A corrupt entry is an error even when only bytes are compared: check that
            // it decodes (fast walk, noting pc and instr; the decoder names the error).
            let peek = if eager {
                let m = d.decode(bytes).map_err(|e| block.entry_error(&p, i, e))?;
                let mut text = String::new();
                render::text(&mut text, schema, &m);
                texts.push(text);
                None
            } else {
                direct::decodes_with_pc_instr(schema, bytes)
            };
            let peek = match peek {
                Some(peek) => peek,
                None => {
                    if !eager {
                        d.decode(bytes).map_err(|e| block.entry_error(&p, i, e))?;
                    }
                    let (pc, instr) = pc_instr(bytes);
                    direct::PcInstr { pc, instr }
                }
            };
            items.push(Item {
                instr: peek.instr.unwrap_or(0),
                pc: peek.pc.unwrap_or(0),
                range: block.range(i),
            });
        }
        Ok(Part {
            data: Arc::new(block.take_data()),
            items,
            texts,
        })
    };
    let max_raw = max_raw_chunk(&layout, opts);
    Ok(Entries {
        stream: BlockStream::start(path, &layout, threads, max_raw, Arc::new(part)),
        part: None,
        at: 0,
        next: 0,
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
