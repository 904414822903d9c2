//! Dumping a pandalog: every entry, decoded and rendered, written in order to a caller's
//! writer. Owns the output formats; does not open the output, buffer it or decide what a
//! closed pipe means (the caller does).

use std::io::Write;
use std::path::Path;
use std::sync::{Arc, Mutex};

use crate::decode::Decoder;
use crate::direct::{self, Plan};
use crate::error::PlogError;
use crate::lines::entry_error;
use crate::reader::{ReadOptions, in_parts, map_chunks, open_layout, worker_threads};
use crate::render::{self, JsonStyle};
use crate::schema::Schema;

/// How [`dump`] renders entries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// A JSON list, exactly as `python -m pandare.plog_reader FILE` prints it.
    Json,
    /// One compact JSON object per line.
    Jsonl,
    /// One `instr=… pc=0x… field=…` line per entry.
    Text,
}

/// What [`dump`] reads and how it writes.
#[derive(Debug, Clone, Copy)]
pub struct DumpOptions<'a> {
    /// Explicit schema (`.proto` or descriptor set); `None` = discover under
    /// `$PANDA_BUILD`, else generic decoding.
    pub schema: Option<&'a Path>,
    pub read: ReadOptions,
    pub format: Format,
}

/// Writes every entry of `file` to `out`; returns the number of entries written.
/// Entries are rendered on the worker threads; this thread only writes. A failed write
/// is [`PlogError::Output`] (a closed pipe included: the caller decides it is no error).
pub fn dump(file: &Path, opts: &DumpOptions<'_>, out: &mut dyn Write) -> Result<u64, PlogError> {
    let d = Arc::new(Decoder::new(Schema::resolve(opts.schema)?));
    // The fast path renders JSON from the wire bytes; generic decoding (unknown fields
    // shown) and the text form go through the decoded tree.
    let format = opts.format;
    let plan = (!d.is_generic() && format != Format::Text).then(|| Arc::new(Plan::new(d.schema())));
    let layout = open_layout(file, &opts.read)?;
    let p = file.to_path_buf();
    let parts = worker_threads(&opts.read);
    // Output buffers go back to the workers once written: a fresh multi-MiB buffer per
    // chunk part is fresh pages from the kernel, and faulting them in cost ~10 % of a
    // dump. At most `keep` wait here, so memory stays bounded.
    let pool: Arc<Mutex<Vec<String>>> = Arc::default();
    let keep = 2 * parts + 2;
    let free = Arc::clone(&pool);
    // Each chunk is rendered in parts on `parts` threads; the parts come back in entry
    // order and are written one after another, like chunks.
    let stream = map_chunks(file, &layout, &opts.read, move |chunk| {
        in_parts(chunk, parts, |range| {
            let bytes = if range.is_empty() {
                0
            } else {
                chunk.entries[range.end - 1].end - chunk.entries[range.start].start
            };
            let mut s = free
                .lock()
                .ok()
                .and_then(|mut p| p.pop())
                .unwrap_or_default();
            s.clear();
            s.reserve(bytes * 3);
            let n = range.len();
            for i in range {
                let entry = chunk.entry(i);
                if format == Format::Json && !s.is_empty() {
                    s.push_str(",\n");
                }
                let style = match format {
                    Format::Json => JsonStyle::Pretty,
                    _ => JsonStyle::Compact,
                };
                let fast = plan.as_deref().is_some_and(|plan| {
                    direct::json(&mut s, d.schema(), plan, entry, style).is_ok()
                });
                if !fast {
                    let m = d.decode(entry).map_err(|e| entry_error(&p, chunk, i, e))?;
                    match format {
                        Format::Text => render::text(&mut s, d.schema(), &m),
                        _ => render::json(&mut s, d.schema(), &m, style),
                    }
                }
                if format != Format::Json {
                    s.push('\n');
                }
            }
            Ok((n, s))
        })
    });
    let wr = PlogError::Output;
    if format == Format::Json {
        out.write_all(b"[\n").map_err(wr)?;
    }
    let mut total = 0usize;
    for chunk in stream {
        for (n, s) in chunk? {
            if format == Format::Json && total > 0 && n > 0 {
                out.write_all(b",\n").map_err(wr)?;
            }
            out.write_all(s.as_bytes()).map_err(wr)?;
            total += n;
            if let Ok(mut p) = pool.lock()
                && p.len() < keep
            {
                p.push(s);
            }
        }
    }
    if format == Format::Json {
        out.write_all(b"\n]\n").map_err(wr)?;
    }
    Ok(total as u64)
}
