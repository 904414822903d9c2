//! The library's operations as the binary and the compare mode call them: values
//! returned, not printed. The command line (`ptest plog …`) is tested at the top, in
//! tests/plog_commands.rs and tests/plog_bad_input.rs.
use ptest_plog::{
    CompareOptions, DiffOptions, DiffSummary, DumpOptions, Format, LogInfo, PlogError, PlogWriter,
    ReadOptions, Warning, compare_files, looks_like_pandalog, synth,
};
use ptest_testkit::plog::*;

/// A: bogus, instr 10 (pid 42), 20, 30. B: bogus, instr 10 (pid 43), 30, 40.
fn pair(dir: &std::path::Path) -> (std::path::PathBuf, std::path::PathBuf) {
    let a = write_log(
        dir,
        "a.plog",
        64,
        [
            synth::bogus(),
            entry_pid(10, 42),
            entry_pid(20, 1),
            entry_pid(30, 1),
        ],
    );
    let b = write_log(
        dir,
        "b.plog",
        64,
        [
            synth::bogus(),
            entry_pid(10, 43),
            entry_pid(30, 1),
            entry_pid(40, 1),
        ],
    );
    (a, b)
}

#[test]
fn compare_files_applies_filters_and_reports() {
    let dir = tempfile::tempdir().unwrap();
    let (a, b) = pair(dir.path());
    let none = |l: &str| l.to_string();
    let d = schema_desc();
    let o = compare_files(
        &a,
        &b,
        &CompareOptions {
            schema: Some(&d),
            filter: &none,
            max_report_lines: 1,
        },
    )
    .unwrap();
    assert!(!o.equal);
    assert_eq!(
        o.report,
        "entry 1 (instr 10, pc 0xc12c3586): asid_info.pid 42 → 43\n1 entries differ, 1 only in blessed, 1 only in new (4 vs 4 entries) (2 not shown)\n"
    );
    // Filtering the pid away leaves only the one-sided entries.
    let redact = |l: &str| {
        l.replace("asid_info.pid=42", "asid_info.pid=X")
            .replace("asid_info.pid=43", "asid_info.pid=X")
    };
    let o = compare_files(
        &a,
        &b,
        &CompareOptions {
            schema: Some(&d),
            filter: &redact,
            max_report_lines: 10,
        },
    )
    .unwrap();
    assert!(o.report.starts_with("entry 2 of blessed"), "{}", o.report);
    let o = compare_files(
        &a,
        &a,
        &CompareOptions {
            schema: None,
            filter: &none,
            max_report_lines: 10,
        },
    )
    .unwrap();
    assert!(o.equal && o.report.is_empty());
}

#[test]
fn looks_like_pandalog_by_content() {
    let dir = tempfile::tempdir().unwrap();
    let log = synth_log(dir.path(), "renamed.txt", 1, 10);
    assert!(looks_like_pandalog(&log).unwrap());
    let text = dir.path().join("x.plog");
    std::fs::write(&text, "hello world\n".repeat(20)).unwrap();
    assert!(!looks_like_pandalog(&text).unwrap());
    let crashed = dir.path().join("c.plog");
    let mut w = PlogWriter::with_chunk_size(&crashed, 64).unwrap();
    for e in synth::entries(1, 50) {
        w.write_entry(&e).unwrap();
    }
    w.abandon().unwrap();
    assert!(looks_like_pandalog(&crashed).unwrap());
}

#[test]
fn diff_files_returns_a_summary_not_an_exit_code() {
    let dir = tempfile::tempdir().unwrap();
    let (a, b) = pair(dir.path());
    let d = schema_desc();
    let opts = DiffOptions {
        schema: Some(&d),
        read: ReadOptions::default(),
        max_lines: 1,
    };
    let s = ptest_plog::diff_files(&a, &b, &opts).unwrap();
    assert_eq!(
        s,
        DiffSummary {
            equal: false,
            entries_a: 4,
            entries_b: 4,
            report: "entry 1 (instr 10, pc 0xc12c3586): asid_info.pid 42 → 43\n\
                     1 entries differ, 1 only in A, 1 only in B (4 vs 4 entries) (2 not shown)\n"
                .into(),
        }
    );
    let s = ptest_plog::diff_files(&a, &a, &opts).unwrap();
    assert!(s.equal && s.report.is_empty() && s.entries_a == 4, "{s:?}");
}

#[test]
fn info_returns_counts_and_directory_mismatches_as_warnings() {
    let dir = tempfile::tempdir().unwrap();
    // The raw builder's directory says one entry per chunk; the chunks hold 2 and 1.
    let c0 = synth::chunk_of(&[synth::bogus(), entry_pid(10, 1)]);
    let c1 = synth::chunk_of(&[entry_pid(30, 3)]);
    let (bytes, _) = synth::raw_log(&[c0.clone(), c1.clone()]);
    let p = dir.path().join("w.plog");
    std::fs::write(&p, &bytes).unwrap();
    let i = ptest_plog::info(&p, &ReadOptions::default()).unwrap();
    assert_eq!(
        i.warnings,
        vec![Warning::EntryCount {
            chunk: 0,
            directory: 1,
            found: 2
        }]
    );
    assert_eq!(
        i.warnings[0].to_string(),
        "chunk 0: the directory says 1 entries, the chunk holds 2"
    );
    let LogInfo {
        recovered,
        version,
        chunk_size,
        chunks,
        entries,
        instructions,
        raw,
        file_len,
        ..
    } = i;
    assert_eq!(
        (recovered, version, chunk_size, chunks, entries),
        (false, 2, 16 << 20, 2, 3)
    );
    assert_eq!(instructions, Some((10, 30)));
    assert_eq!(raw, (c0.len() + c1.len()) as u64);
    assert_eq!(file_len, bytes.len() as u64);
    // Recovered chunks have no directory to disagree with.
    let i = ptest_plog::info(
        &p,
        &ReadOptions {
            recover: true,
            ..Default::default()
        },
    )
    .unwrap();
    assert!(
        i.recovered && i.warnings.is_empty() && i.entries == 3,
        "{i:?}"
    );
}

#[test]
fn dump_counts_entries_and_reports_a_failing_writer_as_output_error() {
    let dir = tempfile::tempdir().unwrap();
    let log = synth_log(dir.path(), "a.plog", 3, 500);
    let opts = DumpOptions {
        schema: None,
        read: ReadOptions::default(),
        format: Format::Text,
    };
    let mut out = Vec::new();
    assert_eq!(ptest_plog::dump(&log, &opts, &mut out).unwrap(), 500);
    assert_eq!(out.iter().filter(|&&b| b == b'\n').count(), 500);
    struct Closed;
    impl std::io::Write for Closed {
        fn write(&mut self, _: &[u8]) -> std::io::Result<usize> {
            Err(std::io::ErrorKind::BrokenPipe.into())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    match ptest_plog::dump(&log, &opts, &mut Closed) {
        Err(PlogError::Output(e)) => assert_eq!(e.kind(), std::io::ErrorKind::BrokenPipe),
        r => panic!("expected an output error, got {r:?}"),
    }
}

#[test]
fn zlib_bomb_is_refused_at_the_callers_limit() {
    // 20 MiB of zeros compress to ~20 KB; the header claims 16 MiB chunks.
    let dir = tempfile::tempdir().unwrap();
    let zeros = vec![0u8; 20 << 20];
    let (file, _) = synth::raw_log(&[zeros]);
    let p = dir.path().join("bomb.plog");
    std::fs::write(&p, &file).unwrap();
    let opts = DumpOptions {
        schema: None,
        read: ReadOptions {
            max_raw_chunk: 8 << 20,
            ..Default::default()
        },
        format: Format::Jsonl,
    };
    let e = ptest_plog::dump(&p, &opts, &mut std::io::sink())
        .unwrap_err()
        .to_string();
    assert!(
        e.starts_with(&format!(
            "{}: chunk 0 (file byte 128): decompresses to more than 8388608 bytes",
            p.display()
        )),
        "{e}"
    );
}
