//! The entry-level hook of the fuzz targets (`fuzz/fuzz_targets/decode_entry.rs`): one
//! `LogEntry` through the decoder, every rendering and the field diff, without a log
//! file around it. Not used by the binary; it exists so the decoder and renderers can
//! stay private to the crate.

use std::path::Path;

use crate::decode::Decoder;
use crate::error::PlogError;
use crate::render::{self, JsonStyle};
use crate::schema::Schema;

/// A decoder for single entries: generic, or with a schema loaded once up front.
pub struct EntryDecoder(Decoder);

impl EntryDecoder {
    /// Generic decoding (field numbers and wire types).
    pub fn generic() -> EntryDecoder {
        EntryDecoder(Decoder::new(None))
    }

    /// Decoding with the schema in `path` (`.proto` or descriptor set).
    pub fn with_schema(path: &Path) -> Result<EntryDecoder, PlogError> {
        Ok(EntryDecoder(Decoder::new(Some(Schema::load(path)?))))
    }
}

/// Decodes `entry`; when it decodes, renders it as pretty and compact JSON and as text,
/// and diffs that text against a fixed line. Returns the renderings (`None` when the
/// entry does not decode). A panic anywhere in here is the bug a fuzzer looks for.
pub fn decode_entry(d: &EntryDecoder, entry: &[u8]) -> Option<String> {
    let m = d.0.decode(entry).ok()?;
    let mut s = String::new();
    render::json(&mut s, d.0.schema(), &m, JsonStyle::Pretty);
    render::json(&mut s, d.0.schema(), &m, JsonStyle::Compact);
    render::text(&mut s, d.0.schema(), &m);
    let _ = crate::diff::field_changes(&s, "instr=1 pc=0x2");
    Some(s)
}
