//! `ptest plog dump|info|diff`: turns the parsed arguments into calls on `ptest_plog`,
//! prints what they return and picks the exit code from [`crate::exit_code`]. Reading,
//! decoding and comparing logs belong to the crate, not here.

use std::fmt::Write as _;
use std::io::{BufWriter, ErrorKind, Write};
use std::path::Path;

use ptest_plog::{DiffOptions, DumpOptions, LogInfo, PlogError, ReadOptions};

use super::CommandError;
use crate::cli::plog::{Common, Format, PlogCommand};
use crate::exit_code;

/// Runs one `ptest plog` subcommand with its output on stdout. A closed output pipe
/// (`ptest plog dump … | head`) ends the command quietly with [`exit_code::OK`].
pub fn run(cmd: PlogCommand) -> Result<i32, CommandError> {
    let stdout = std::io::stdout();
    let mut w = BufWriter::with_capacity(1 << 16, stdout.lock());
    let r = execute(cmd, &mut w).and_then(|code| match w.flush() {
        Ok(()) => Ok(code),
        Err(e) => Err(PlogError::Output(e)),
    });
    match r {
        Err(PlogError::Output(e)) if e.kind() == ErrorKind::BrokenPipe => Ok(exit_code::OK),
        r => Ok(r?),
    }
}

fn execute(cmd: PlogCommand, w: &mut dyn Write) -> Result<i32, PlogError> {
    match cmd {
        PlogCommand::Dump {
            file,
            format,
            common,
        } => {
            let opts = DumpOptions {
                schema: common.schema.as_deref(),
                read: read_options(&common),
                format: match format {
                    Format::Json => ptest_plog::Format::Json,
                    Format::Jsonl => ptest_plog::Format::Jsonl,
                    Format::Text => ptest_plog::Format::Text,
                },
            };
            ptest_plog::dump(&file, &opts, w)?;
            Ok(exit_code::OK)
        }
        PlogCommand::Info { file, common } => {
            let info = ptest_plog::info(&file, &read_options(&common))?;
            w.write_all(render_info(&file, &info).as_bytes())
                .map_err(PlogError::Output)?;
            Ok(exit_code::OK)
        }
        PlogCommand::Diff {
            a,
            b,
            max_lines,
            common,
        } => {
            let opts = DiffOptions {
                schema: common.schema.as_deref(),
                read: read_options(&common),
                max_lines,
            };
            let d = ptest_plog::diff_files(&a, &b, &opts)?;
            let out = if d.equal {
                format!("identical: {} entries\n", d.entries_a)
            } else {
                format!(
                    "--- A: {}\n+++ B: {}\n{}",
                    a.display(),
                    b.display(),
                    d.report
                )
            };
            w.write_all(out.as_bytes()).map_err(PlogError::Output)?;
            Ok(if d.equal {
                exit_code::OK
            } else {
                exit_code::DIFFERENT
            })
        }
    }
}

fn read_options(c: &Common) -> ReadOptions {
    ReadOptions {
        recover: c.recover,
        threads: c.threads,
        max_raw_chunk: c.max_chunk.map_or(0, |m| (m as usize) << 20),
    }
}

/// `plog info`'s text: one `name: value` line per fact, warnings last.
fn render_info(file: &Path, i: &LogInfo) -> String {
    let mut o = String::new();
    let _ = writeln!(o, "file:         {}", file.display());
    if i.recovered {
        let _ = writeln!(
            o,
            "recovered:    yes (chunks found by scanning; header and directory ignored)"
        );
    } else {
        let _ = writeln!(o, "version:      {}", i.version);
        let _ = writeln!(o, "chunk size:   {}", i.chunk_size);
    }
    let _ = writeln!(o, "chunks:       {}", i.chunks);
    let _ = writeln!(o, "entries:      {}", i.entries);
    match i.instructions {
        Some((lo, hi)) => {
            let _ = writeln!(o, "instructions: {lo}..{hi}");
        }
        None => {
            let _ = writeln!(o, "instructions: none");
        }
    }
    let _ = writeln!(o, "compressed:   {} bytes", i.compressed);
    let ratio = if i.compressed > 0 {
        i.raw as f64 / i.compressed as f64
    } else {
        0.0
    };
    let _ = writeln!(o, "raw:          {} bytes ({ratio:.1}x)", i.raw);
    let _ = writeln!(o, "file size:    {} bytes", i.file_len);
    for warning in &i.warnings {
        let _ = writeln!(o, "warning: {warning}");
    }
    o
}
