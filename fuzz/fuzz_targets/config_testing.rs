//! `config.testing`: any bytes must parse or give one error line naming the file and line,
//! never panic; what parses must hold only valid, unique enabled names.
#![no_main]

use std::path::Path;

use libfuzzer_sys::fuzz_target;
use ptest::suite::config_testing::{parse, validate_name};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    match parse(Path::new("config.testing"), text) {
        Ok(parsed) => {
            let mut enabled = std::collections::HashSet::new();
            for e in &parsed.entries {
                assert!(validate_name(&e.name).is_ok(), "{:?}", e.name);
                if e.enabled {
                    assert!(enabled.insert(e.name.clone()), "duplicate {:?}", e.name);
                }
            }
        }
        Err(e) => {
            let msg = e.to_string();
            assert!(msg.starts_with("config.testing:") && !msg.contains('\n'), "{msg}");
        }
    }
});
