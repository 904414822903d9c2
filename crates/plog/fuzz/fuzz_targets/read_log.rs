//! Whole-file fuzzing: the input is a pandalog file. Header, directory, chunk, entry
//! and protobuf errors must all come back as `PlogError`s, never as panics, and
//! `--recover` must cope with anything after the header.
#![no_main]

use std::io::Write;

use libfuzzer_sys::fuzz_target;
use ptest_plog::{DumpOptions, Format, ReadOptions, dump};

fuzz_target!(|data: &[u8]| {
    let dir = std::env::temp_dir().join(format!("plog-fuzz-{}", std::process::id()));
    let _ = std::fs::create_dir_all(&dir);
    let path = dir.join("input.plog");
    if std::fs::File::create(&path).and_then(|mut f| f.write_all(data)).is_err() {
        return;
    }
    let _ = ptest_plog::looks_like_pandalog(&path);
    for recover in [false, true] {
        let read = ReadOptions {
            recover,
            threads: 2,
            max_raw_chunk: 0,
        };
        let mut out = std::io::sink();
        for format in [Format::Json, Format::Text] {
            let opts = DumpOptions {
                schema: None,
                read,
                format,
            };
            let _ = dump(&path, &opts, &mut out);
        }
    }
});
