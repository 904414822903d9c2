//! `ptest.toml` and `test.toml`: any text must load or give one error line naming the
//! file (and line), never panic — including the value checks run at suite load.
#![no_main]

use std::path::Path;

use libfuzzer_sys::fuzz_target;
use ptest::suite::config::{Scope, from_text};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    for (name, scope) in [("ptest.toml", Scope::Suite), ("t/test.toml", Scope::Test)] {
        if let Err(e) = from_text(Path::new(name), text, scope) {
            let msg = e.to_string();
            assert!(msg.starts_with(name) && !msg.contains('\n'), "{msg}");
        }
    }
});
