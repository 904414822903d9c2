//! Entry fuzzing: the input is one `LogEntry` message, decoded generically and with
//! PANDA's schema and rendered in every format.
#![no_main]

use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use ptest_plog::fuzzing::{EntryDecoder, decode_entry};

fn decoders() -> &'static [EntryDecoder] {
    static D: OnceLock<Vec<EntryDecoder>> = OnceLock::new();
    D.get_or_init(|| {
        let desc = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/data/panda-plog.desc");
        let mut d = vec![EntryDecoder::generic()];
        d.extend(EntryDecoder::with_schema(&desc).ok());
        d
    })
}

fuzz_target!(|data: &[u8]| {
    for d in decoders() {
        let _ = decode_entry(d, data);
    }
});
