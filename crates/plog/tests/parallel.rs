//! A chunk whose blocks are rendered on several threads (dump, diff) gives exactly the
//! serial result: the same bytes in the same order, the same first error, the same diff
//! report.
use ptest_plog::{
    CompareOptions, DiffOptions, DumpOptions, Format, ReadOptions, compare_files, diff_files, synth,
};
use ptest_testkit::plog::*;

/// 16 MiB chunks: these logs are one chunk, the case the split is for.
const ONE_CHUNK: u32 = 16 << 20;

fn dump_with(file: &std::path::Path, format: Format, threads: usize) -> Result<String, String> {
    let opts = DumpOptions {
        schema: Some(&schema_desc()),
        read: ReadOptions {
            threads,
            ..Default::default()
        },
        format,
    };
    let mut out = Vec::new();
    ptest_plog::dump(file, &opts, &mut out).map_err(|e| e.to_string())?;
    Ok(String::from_utf8(out).unwrap())
}

#[test]
fn split_chunk_dumps_exactly_as_serial() {
    let dir = tempfile::tempdir().unwrap();
    let one = write_log(dir.path(), "one.plog", ONE_CHUNK, synth::entries(7, 20_000));
    let many = synth_log(dir.path(), "many.plog", 7, 20_000);
    for format in [Format::Jsonl, Format::Json, Format::Text] {
        let serial = dump_with(&many, format, 1).unwrap();
        assert!(serial.lines().count() >= 20_000);
        for threads in [1, 2, 3, 8] {
            let split = dump_with(&one, format, threads).unwrap();
            assert!(split == serial, "{format:?} with {threads} threads differs");
        }
    }
}

#[test]
fn split_chunk_reports_the_first_bad_entry() {
    let dir = tempfile::tempdir().unwrap();
    // Two truncated varints; the earlier one must be the error whatever the split.
    let entries: Vec<Vec<u8>> = synth::entries(3, 20_000)
        .enumerate()
        .map(|(i, e)| {
            if i == 6_000 || i == 17_000 {
                vec![0x08, 0xff]
            } else {
                e
            }
        })
        .collect();
    let log = write_log(dir.path(), "bad.plog", ONE_CHUNK, entries);
    let serial = dump_with(&log, Format::Jsonl, 1).unwrap_err();
    assert!(serial.contains("entry 6000"), "{serial}");
    for threads in [2, 4] {
        assert_eq!(dump_with(&log, Format::Jsonl, threads).unwrap_err(), serial);
    }
}

#[test]
fn diff_by_raw_bytes_reports_as_the_rendered_compare() {
    let dir = tempfile::tempdir().unwrap();
    let a = write_log(dir.path(), "a.plog", ONE_CHUNK, synth::entries(1, 20_000));
    let b = write_log(
        dir.path(),
        "b.plog",
        ONE_CHUNK,
        synth::entries_with_changes(1, 20_000, 5),
    );
    let schema = schema_desc();
    let diff = |threads| {
        let opts = DiffOptions {
            schema: Some(&schema),
            read: ReadOptions {
                threads,
                ..Default::default()
            },
            max_lines: 50,
        };
        diff_files(&a, &b, &opts).unwrap()
    };
    let d = diff(1);
    assert!(!d.equal && d.entries_a == 20_000, "{d:?}");
    assert_eq!(diff(4), d);
    // The filtered compare renders every entry on the workers: same entries reported.
    let same = |s: &str| s.to_string();
    let c = compare_files(
        &a,
        &b,
        &CompareOptions {
            schema: Some(&schema),
            filter: &same,
            max_report_lines: 50,
        },
    )
    .unwrap();
    let body = |r: &str| r.lines().filter(|l| l.starts_with("entry ")).count();
    assert_eq!(body(&d.report), 5, "{}", d.report);
    let lines = |r: &str| -> Vec<String> {
        r.lines()
            .filter(|l| l.starts_with("entry "))
            .map(String::from)
            .collect()
    };
    assert_eq!(lines(&c.report), lines(&d.report));
    assert!(
        diff_files(
            &a,
            &a,
            &DiffOptions {
                schema: Some(&schema),
                read: ReadOptions::default(),
                max_lines: 50,
            }
        )
        .unwrap()
        .equal
    );
}
