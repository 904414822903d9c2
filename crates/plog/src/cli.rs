//! `ptest plog …` subcommands: `dump`, `info`, `diff`.

use std::io::{BufWriter, ErrorKind, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::decode::{Decoder, pc_instr};
use crate::diff::{DiffReport, diff};
use crate::lines::{entry_lines, for_each_decoded};
use crate::reader::{ReadOptions, map_chunks, open_layout};
use crate::render::{self, JsonStyle};
use crate::{PlogError, Schema};

/// Output format of `plog dump`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// A JSON list, exactly as `python -m pandare.plog_reader FILE` prints it.
    Json,
    /// One compact JSON object per line.
    Jsonl,
    /// One `instr=… pc=0x… field=…` line per entry.
    Text,
}

/// Options shared by the subcommands.
#[derive(Debug, Clone, clap::Args)]
pub struct Common {
    /// Schema: a `.proto` file or a serialized FileDescriptorSet (default:
    /// `$PANDA_BUILD/<arch>-softmmu/plog.proto`, else generic decoding).
    #[arg(long, value_name = "FILE")]
    pub schema: Option<PathBuf>,
    /// Ignore header and directory; find chunks by scanning for zlib streams (for logs
    /// of a crashed replay).
    #[arg(long)]
    pub recover: bool,
    /// Decompression threads (default: one per core).
    #[arg(long, default_value_t = 0)]
    pub threads: usize,
    /// Accept decompressed chunks up to this many MiB (default: the header's chunk size
    /// plus 1/16, at least 1 MiB more), for a log PANDA really wrote with one huge instruction.
    #[arg(long, value_name = "MIB", value_parser = clap::value_parser!(u32).range(1..=512))]
    pub max_chunk: Option<u32>,
}

#[derive(Debug, clap::Subcommand)]
pub enum PlogCommand {
    /// Print every entry of a pandalog.
    Dump {
        /// The pandalog.
        file: PathBuf,
        /// Output format.
        #[arg(long, value_enum, default_value_t = Format::Json)]
        format: Format,
        #[command(flatten)]
        common: Common,
    },
    /// Summarise a pandalog: version, chunks, entries, instruction range, sizes.
    Info {
        /// The pandalog.
        file: PathBuf,
        #[command(flatten)]
        common: Common,
    },
    /// Entry-level diff of two pandalogs; exit 0 identical, 1 different.
    Diff {
        /// The reference log (e.g. the blessed one).
        a: PathBuf,
        /// The log to compare with it.
        b: PathBuf,
        /// Report at most this many differing entries.
        #[arg(long, default_value_t = 50)]
        max_lines: usize,
        #[command(flatten)]
        common: Common,
    },
}

/// Runs one `ptest plog` subcommand, writing to `out`. Returns the process exit code
/// (0 = success/identical, 1 = `diff` found differences). A closed output pipe ends
/// the command quietly with 0.
pub fn run(cmd: PlogCommand, out: &mut dyn Write) -> Result<i32, PlogError> {
    let mut w = BufWriter::with_capacity(1 << 16, out);
    let r = match cmd {
        PlogCommand::Dump {
            file,
            format,
            common,
        } => dump(&file, format, &common, &mut w),
        PlogCommand::Info { file, common } => info(&file, &common, &mut w),
        PlogCommand::Diff {
            a,
            b,
            max_lines,
            common,
        } => diff_cmd(&a, &b, max_lines, &common, &mut w),
    };
    let r = r.and_then(|code| w.flush().map(|_| code).map_err(PlogError::Output));
    match r {
        Err(PlogError::Output(e)) if e.kind() == ErrorKind::BrokenPipe => Ok(0),
        r => r,
    }
}

fn read_opts(c: &Common) -> ReadOptions {
    ReadOptions {
        recover: c.recover,
        threads: c.threads,
        max_raw_chunk: c.max_chunk.map_or(0, |m| (m as usize) << 20),
    }
}

fn decoder(c: &Common) -> Result<Arc<Decoder>, PlogError> {
    Ok(Arc::new(Decoder::new(Schema::resolve(
        c.schema.as_deref(),
    )?)))
}

/// Renders every entry on the worker threads; this thread only writes.
pub fn dump(file: &Path, format: Format, c: &Common, w: &mut dyn Write) -> Result<i32, PlogError> {
    let d = decoder(c)?;
    let opts = read_opts(c);
    let layout = open_layout(file, &opts)?;
    let p = file.to_path_buf();
    let stream = map_chunks(file, &layout, &opts, move |chunk| {
        let mut s = String::with_capacity(chunk.data.len() * 3);
        let mut n = 0usize;
        for_each_decoded(&p, &d, chunk, |_, m| {
            match format {
                Format::Json => {
                    if n > 0 {
                        s.push_str(",\n");
                    }
                    render::json(&mut s, d.schema(), m, JsonStyle::Pretty);
                }
                Format::Jsonl => {
                    render::json(&mut s, d.schema(), m, JsonStyle::Compact);
                    s.push('\n');
                }
                Format::Text => {
                    render::text(&mut s, d.schema(), m);
                    s.push('\n');
                }
            }
            n += 1;
        })?;
        Ok((n, s))
    });
    let wr = |e| PlogError::Output(e);
    if format == Format::Json {
        w.write_all(b"[\n").map_err(wr)?;
    }
    let mut total = 0usize;
    for chunk in stream {
        let (n, s) = chunk?;
        if format == Format::Json && total > 0 && n > 0 {
            w.write_all(b",\n").map_err(wr)?;
        }
        w.write_all(s.as_bytes()).map_err(wr)?;
        total += n;
    }
    if format == Format::Json {
        w.write_all(b"\n]\n").map_err(wr)?;
    }
    Ok(0)
}

/// Per-chunk statistics gathered by `info`.
struct ChunkStats {
    entries: u64,
    raw: u64,
    instr: Option<(u64, u64)>,
    dir_entries: u64,
}

fn info(file: &Path, c: &Common, w: &mut dyn Write) -> Result<i32, PlogError> {
    let opts = read_opts(c);
    let layout = open_layout(file, &opts)?;
    let stream = map_chunks(file, &layout, &opts, |chunk| {
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
            warnings.push(format!(
                "warning: chunk {i}: the directory says {} entries, the chunk holds {}",
                s.dir_entries, s.entries
            ));
        }
    }
    let compressed: u64 = layout.chunks.iter().map(|c| c.len).sum();
    let h = layout.header;
    let mut o = String::new();
    use std::fmt::Write as _;
    let _ = writeln!(o, "file:         {}", file.display());
    if layout.recovered {
        let _ = writeln!(
            o,
            "recovered:    yes (chunks found by scanning; header and directory ignored)"
        );
    } else {
        let _ = writeln!(o, "version:      {}", h.version);
        let _ = writeln!(o, "chunk size:   {}", h.chunk_size);
    }
    let _ = writeln!(o, "chunks:       {}", layout.chunks.len());
    let _ = writeln!(o, "entries:      {entries}");
    match range {
        Some((lo, hi)) => {
            let _ = writeln!(o, "instructions: {lo}..{hi}");
        }
        None => {
            let _ = writeln!(o, "instructions: none");
        }
    }
    let _ = writeln!(o, "compressed:   {compressed} bytes");
    let ratio = if compressed > 0 {
        raw as f64 / compressed as f64
    } else {
        0.0
    };
    let _ = writeln!(o, "raw:          {raw} bytes ({ratio:.1}x)");
    let _ = writeln!(o, "file size:    {} bytes", layout.file_len);
    for wline in warnings {
        o.push_str(&wline);
        o.push('\n');
    }
    w.write_all(o.as_bytes()).map_err(PlogError::Output)?;
    Ok(0)
}

fn diff_cmd(
    a: &Path,
    b: &Path,
    max_lines: usize,
    c: &Common,
    w: &mut dyn Write,
) -> Result<i32, PlogError> {
    let d = decoder(c)?;
    let opts = read_opts(c);
    let la = entry_lines(a, &d, &opts)?;
    let lb = entry_lines(b, &d, &opts)?;
    let mut report = DiffReport::new(max_lines, "A", "B");
    diff(la, lb, &mut report)?;
    if report.equal() {
        writeln!(w, "identical: {} entries", report.entries_a).map_err(PlogError::Output)?;
        return Ok(0);
    }
    writeln!(w, "--- A: {}\n+++ B: {}", a.display(), b.display()).map_err(PlogError::Output)?;
    w.write_all(report.render().as_bytes())
        .map_err(PlogError::Output)?;
    Ok(1)
}
