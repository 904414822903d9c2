//! Arguments of `ptest plog dump|info|diff`: parsing only. The behaviour is in
//! `commands::plog`, the pandalog work in the `ptest-plog` crate.

use std::path::PathBuf;

use clap::{Args, Subcommand, ValueEnum};

/// Output format of `plog dump`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// A JSON list, exactly as `python -m pandare.plog_reader FILE` prints it.
    Json,
    /// One compact JSON object per line.
    Jsonl,
    /// One `instr=… pc=0x… field=…` line per entry.
    Text,
}

/// Options shared by the subcommands.
#[derive(Debug, Clone, Args)]
pub struct Common {
    /// Schema: a `.proto` file or a serialized FileDescriptorSet (default:
    /// `$PANDA_BUILD/<arch>-softmmu/plog.proto`, else generic decoding).
    #[arg(long, value_name = "FILE")]
    pub schema: Option<PathBuf>,
    /// Ignore header and directory; find chunks by scanning for zlib streams (for logs
    /// of a crashed replay).
    #[arg(long)]
    pub recover: bool,
    /// Worker threads that read, inflate and render (default: one per core).
    #[arg(long, default_value_t = 0)]
    pub threads: usize,
    /// Accept decompressed chunks up to this many MiB (default: the header's chunk size
    /// plus 1/16, at least 1 MiB more), for a log PANDA really wrote with one huge instruction.
    #[arg(long, value_name = "MIB", value_parser = clap::value_parser!(u32).range(1..=512))]
    pub max_chunk: Option<u32>,
}

#[derive(Debug, Subcommand)]
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
