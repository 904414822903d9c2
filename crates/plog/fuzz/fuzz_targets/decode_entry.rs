//! Entry fuzzing: the input is one `LogEntry` message, decoded generically and with
//! PANDA's schema and rendered in every format.
#![no_main]

use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use ptest_plog::render::{self, JsonStyle};
use ptest_plog::{Decoder, Schema};

fn decoders() -> &'static [Decoder; 2] {
    static D: OnceLock<[Decoder; 2]> = OnceLock::new();
    D.get_or_init(|| {
        let desc = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/data/panda-plog.desc");
        let schema = Schema::load(&desc).ok();
        [Decoder::new(None), Decoder::new(schema)]
    })
}

fuzz_target!(|data: &[u8]| {
    for d in decoders() {
        if let Ok(m) = d.decode(data) {
            let mut s = String::new();
            render::json(&mut s, d.schema(), &m, JsonStyle::Pretty);
            render::json(&mut s, d.schema(), &m, JsonStyle::Compact);
            render::text(&mut s, d.schema(), &m);
            let _ = ptest_plog::diff::field_changes(&s, "instr=1 pc=0x2");
        }
    }
});
