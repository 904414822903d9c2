//! PANDA pandalogs (`.plog`): a streaming reader, a writer, schema-driven or generic
//! protobuf decoding, JSON/text rendering and an entry-level diff.
//!
//! The crate returns values and errors; it prints nothing, parses no command line and
//! chooses no exit code (the `ptest` binary does all three: `src/cli/plog.rs`,
//! `src/commands/plog.rs`).
//!
//! The public surface, and who uses it:
//! - `ptest plog dump|info|diff`: [`dump`] with [`DumpOptions`] and [`Format`],
//!   [`info`] returning [`LogInfo`] (with [`Warning`]s), [`diff_files`] with
//!   [`DiffOptions`] returning [`DiffSummary`]; [`ReadOptions`] for all three;
//! - the `plog` compare mode of test outputs: [`looks_like_pandalog`], [`compare_files`]
//!   with [`CompareOptions`] returning [`CompareOutcome`], whose differences are data
//!   ([`DiffReport`] of [`EntryChange`]s) that the binary stores and renders;
//! - [`PlogError`], the one error type of every operation;
//! - [`PlogWriter`] and [`synth`] (synthetic entries): tests, benches, examples, fuzz seeds;
//! - [`fuzzing`]: the entry-level hook of the `decode_entry` fuzz target only (the
//!   `read_log` target uses [`dump`]).
//!
//! Private modules by concern, each using only modules named before it (no cycles;
//! `error` is used by all): `layout` (header, directory, content sniffing), `recover`
//! (scanning for zlib streams), `wire` (protobuf wire primitives), `inflate` (a chunk's
//! zlib stream a block at a time, within the chunk limit), `reader` (read options,
//! layout, entry splitting), `blocks` (the one pipeline every reading goes through:
//! chunks read and inflated a block at a time, blocks handled on every worker, results
//! in file order), `json` (Python-compatible JSON scalars), `schema` (`.proto` /
//! descriptor set / `$PANDA_BUILD` discovery), `decode` (schema-driven and generic
//! decoding), `render` (JSON and text renderings of an entry), `direct` (JSON straight
//! from the wire bytes and a decode check, the fast path of `render` over `decode`),
//! `changes` (a diff's result as data, and its text), `diff` (entry-level comparison),
//! `lines` (decoded entry streams), `writer`; then the operations `dump`,
//! `info` and `compare`.

use std::path::Path;

mod blocks;
mod changes;
mod compare;
mod decode;
mod diff;
mod direct;
mod dump;
mod error;
pub mod fuzzing;
mod inflate;
mod info;
mod json;
mod layout;
mod lines;
mod reader;
mod recover;
mod render;
mod schema;
pub mod synth;
mod wire;
mod writer;

pub use changes::{DiffReport, EntryAt, EntryChange, FieldChange, LogSide};
pub use compare::{
    CompareOptions, CompareOutcome, DiffOptions, DiffSummary, compare_files, diff_files,
};
pub use dump::{DumpOptions, Format, dump};
pub use error::PlogError;
pub use info::{LogInfo, Warning, info};
pub use reader::ReadOptions;
pub use writer::PlogWriter;

/// True when the file looks like a pandalog by content: a plausible header (version,
/// directory position inside the file, non-zero chunk size) and a zlib stream at byte
/// 128, or an all-zero header (a log never closed) followed by a zlib stream.
pub fn looks_like_pandalog(path: &Path) -> std::io::Result<bool> {
    layout::looks_like_pandalog(path)
}
