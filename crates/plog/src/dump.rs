//! Dumping a pandalog: every entry, decoded and rendered, written in order to a caller's
//! writer. Owns the output formats; does not open the output, buffer it or decide what a
//! closed pipe means (the caller does).

use std::io::Write;
use std::path::Path;
use std::sync::{Arc, Mutex};

use crate::blocks::{BlockStream, EntryBlock};
use crate::decode::Decoder;
use crate::direct::{self, Plan};
use crate::error::PlogError;
use crate::reader::{ReadOptions, max_raw_chunk, open_layout, worker_threads};
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
    // Output buffers go back to the workers once written: fresh multi-MiB buffers are
    // fresh pages from the kernel (faulting them in cost ~15 % of a dump). At most
    // `keep` wait here, so memory stays bounded.
    let pool: Arc<Mutex<Vec<Vec<u8>>>> = Arc::default();
    let keep = 2 * worker_threads(&opts.read) + 2;
    let free = Arc::clone(&pool);
    // Blocks of entries are rendered on the workers and come back in entry order.
    let render = move |block: &mut EntryBlock| {
        // The rare entry the fast path declines is rendered here, then copied.
        let mut slow = String::new();
        let mut s = free
            .lock()
            .ok()
            .and_then(|mut p| p.pop())
            .unwrap_or_default();
        s.clear();
        let n = block.len();
        for i in 0..n {
            let entry = block.entry(i);
            if format == Format::Json && !s.is_empty() {
                s.extend_from_slice(b",\n");
            }
            let style = match format {
                Format::Json => JsonStyle::Pretty,
                _ => JsonStyle::Compact,
            };
            let fast = plan
                .as_deref()
                .is_some_and(|plan| direct::json(&mut s, d.schema(), plan, entry, style).is_ok());
            if !fast {
                let m = d.decode(entry).map_err(|e| block.entry_error(&p, i, e))?;
                slow.clear();
                match format {
                    Format::Text => render::text(&mut slow, d.schema(), &m),
                    _ => render::json(&mut slow, d.schema(), &m, style),
                }
                s.extend_from_slice(slow.as_bytes());
            }
            if format != Format::Json {
                s.push(b'\n');
            }
        }
        Ok((n, s))
    };
    let stream = BlockStream::start(
        file,
        &layout,
        worker_threads(&opts.read),
        max_raw_chunk(&layout, &opts.read),
        Arc::new(render),
    );
    let wr = PlogError::Output;
    if format == Format::Json {
        out.write_all(b"[\n").map_err(wr)?;
    }
    let mut total = 0usize;
    for block in stream {
        let (n, s) = block?;
        if format == Format::Json && total > 0 && n > 0 {
            out.write_all(b",\n").map_err(wr)?;
        }
        out.write_all(&s).map_err(wr)?;
        total += n;
        if let Ok(mut p) = pool.lock()
            && p.len() < keep
        {
            p.push(s);
        }
    }
    if format == Format::Json {
        out.write_all(b"\n]\n").map_err(wr)?;
    }
    Ok(total as u64)
}
