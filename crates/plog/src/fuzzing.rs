//! The entry-level hook of the fuzz targets (`fuzz/fuzz_targets/decode_entry.rs`): one
//! `LogEntry` through the decoder, every rendering and the field diff, without a log
//! file around it. Not used by the binary; it exists so the decoder and renderers can
//! stay private to the crate.

use std::path::Path;

use crate::decode::Decoder;
use crate::direct::{self, Plan};
use crate::error::PlogError;
use crate::render::{self, JsonStyle};
use crate::schema::Schema;

/// A decoder for single entries: generic, or with a schema loaded once up front.
pub struct EntryDecoder(Decoder, Plan);

impl EntryDecoder {
    /// Generic decoding (field numbers and wire types).
    pub fn generic() -> EntryDecoder {
        let d = Decoder::new(None);
        let plan = Plan::new(d.schema());
        EntryDecoder(d, plan)
    }

    /// Decoding with the schema in `path` (`.proto` or descriptor set).
    pub fn with_schema(path: &Path) -> Result<EntryDecoder, PlogError> {
        let d = Decoder::new(Some(Schema::load(path)?));
        let plan = Plan::new(d.schema());
        Ok(EntryDecoder(d, plan))
    }
}

/// Decodes `entry`; when it decodes, renders it as pretty and compact JSON and as text,
/// and diffs that text against a fixed line. Returns the renderings (`None` when the
/// entry does not decode). A panic anywhere in here is the bug a fuzzer looks for,
/// including the fast path ([`crate::direct`]) disagreeing with the decoder: its
/// decode check must match, and its JSON, when it renders one, must be the same bytes.
pub fn decode_entry(d: &EntryDecoder, entry: &[u8]) -> Option<String> {
    let schema = d.0.schema();
    let decoded = d.0.decode(entry);
    assert_eq!(
        direct::decodes(schema, Some(schema.root), entry, 0),
        decoded.is_ok(),
        "decode check disagrees with the decoder"
    );
    let m = decoded.ok()?;
    let mut s = String::new();
    for style in [JsonStyle::Pretty, JsonStyle::Compact] {
        let start = s.len();
        render::json(&mut s, schema, &m, style);
        if !d.0.is_generic() {
            let mut fast = Vec::new();
            if direct::json(&mut fast, schema, &d.1, entry, style).is_ok() {
                assert_eq!(
                    fast,
                    &s.as_bytes()[start..],
                    "fast JSON differs from the decoder's"
                );
            } else {
                assert!(fast.is_empty(), "a declined entry left output behind");
            }
        }
    }
    render::text(&mut s, d.0.schema(), &m);
    let _ = crate::diff::field_changes_of(&s, "instr=1 pc=0x2");
    Some(s)
}
