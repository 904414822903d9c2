//! `plog dump/info/diff` behaviour, the compare mode and `--recover`.
mod common;
use common::*;
use ptest_plog::{CompareOptions, PlogWriter, compare_files, looks_like_pandalog, synth};

fn s(p: &std::path::Path) -> &str {
    p.to_str().unwrap()
}

#[test]
fn info_reports_layout_and_counts() {
    let dir = tempfile::tempdir().unwrap();
    let log = synth_log(dir.path(), "a.plog", 3, 2000);
    let (r, out) = plog(&["info", s(&log)]);
    assert_eq!(r.unwrap(), 0);
    let n_chunks = out
        .lines()
        .find_map(|l| l.strip_prefix("chunks:"))
        .unwrap()
        .trim()
        .parse::<usize>()
        .unwrap();
    assert!(n_chunks > 5, "{out}");
    assert!(out.contains("entries:      2000\n"), "{out}");
    assert!(
        out.contains("version:      2\n") && out.contains("chunk size:   4096\n"),
        "{out}"
    );
    assert!(!out.contains("warning"), "{out}");
    // instruction range excludes the bogus entry's 2^64-1
    let range = out
        .lines()
        .find_map(|l| l.strip_prefix("instructions: "))
        .unwrap();
    assert!(
        range.starts_with("10") && !range.contains("18446744073709551615"),
        "{out}"
    );
}

#[test]
fn text_and_jsonl_formats() {
    let dir = tempfile::tempdir().unwrap();
    let log = write_log(
        dir.path(),
        "a.plog",
        4096,
        [synth::bogus(), entry_pid(10, 42)],
    );
    let d = schema_desc();
    let (_, text) = plog(&["dump", "--format", "text", "--schema", s(&d), s(&log)]);
    assert_eq!(
        text,
        "instr=18446744073709551615 pc=0xffffffffffffffff\n\
         instr=10 pc=0xc12c3586 asid_info.pid=42 asid_info.create_time=5 asid_info.ppid=1 asid_info.asid=4096 \
         asid_info.names=[\"bash\"] asid_info.start_instr=1 asid_info.end_instr=2\n"
    );
    let (_, jsonl) = plog(&["dump", "--format", "jsonl", "--schema", s(&d), s(&log)]);
    let second = jsonl.lines().nth(1).unwrap();
    assert_eq!(
        second,
        r#"{"pc":"3240899974","instr":"10","asidInfo":{"pid":42,"createTime":"5","ppid":1,"asid":"4096","names":["bash"],"startInstr":"1","endInstr":"2"}}"#
    );
    assert_eq!(
        serde_json::from_str::<serde_json::Value>(second).unwrap()["asidInfo"]["pid"],
        42
    );
}

#[test]
fn generic_decoding_without_schema() {
    let dir = tempfile::tempdir().unwrap();
    let log = write_log(
        dir.path(),
        "a.plog",
        4096,
        [synth::bogus(), entry_pid(10, 42)],
    );
    let (r, jsonl) = plog(&["dump", "--format", "jsonl", s(&log)]);
    assert_eq!(r.unwrap(), 0);
    assert_eq!(
        jsonl.lines().nth(1).unwrap(),
        r#"{"pc":"3240899974","instr":"10","40":{"1":42,"2":5,"3":1,"4":4096,"5":"bash","7":1,"8":2}}"#
    );
    let (_, text) = plog(&["dump", "--format", "text", s(&log)]);
    assert!(text.ends_with("instr=10 pc=0xc12c3586 #40.#1=42 #40.#2=5 #40.#3=1 #40.#4=4096 #40.#5=\"bash\" #40.#7=1 #40.#8=2\n"), "{text}");
}

#[test]
fn generic_decoding_of_bytes_and_repeats() {
    use synth::Enc;
    let dir = tempfile::tempdir().unwrap();
    let mut e = Enc::default();
    e.uint(1, 1)
        .uint(2, 2)
        .bytes(9, &[0xff, 0x00])
        .uint(7, 1)
        .uint(7, 2)
        .float(8, 1.5);
    let log = write_log(dir.path(), "a.plog", 4096, [e.0]);
    let (_, jsonl) = plog(&["dump", "--format", "jsonl", s(&log)]);
    assert_eq!(
        jsonl,
        "{\"pc\":\"1\",\"instr\":\"2\",\"7\":[1,2],\"8\":1069547520,\"9\":\"/wA=\"}\n"
    );
}

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
fn diff_reports_fields_and_one_sided_entries() {
    let dir = tempfile::tempdir().unwrap();
    let (a, b) = pair(dir.path());
    let d = schema_desc();
    let (r, out) = plog(&["diff", "--schema", s(&d), s(&a), s(&b)]);
    assert_eq!(r.unwrap(), 1, "{out}");
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(
        lines[2],
        "entry 1 (instr 10, pc 0xc12c3586): asid_info.pid 42 → 43"
    );
    assert!(
        lines[3].starts_with("entry 2 of A (instr 20, pc 0xc12c3586): only in A: instr=20"),
        "{out}"
    );
    assert!(
        lines[4].starts_with("entry 3 of B (instr 40, pc 0xc12c3586): only in B: instr=40"),
        "{out}"
    );
    assert_eq!(
        lines[5],
        "1 entries differ, 1 only in A, 1 only in B (4 vs 4 entries)"
    );
    let (r, out) = plog(&["diff", s(&a), s(&a)]);
    assert_eq!((r.unwrap(), out.as_str()), (0, "identical: 4 entries\n"));
}

#[test]
fn diff_of_large_synthetic_logs_finds_the_changes() {
    let dir = tempfile::tempdir().unwrap();
    let a = synth_log(dir.path(), "a.plog", 5, 5000);
    let mut entries: Vec<Vec<u8>> = synth::entries(5, 5000).collect();
    entries[1234].extend_from_slice(&[0xe8, 0x02, 0x05]); // field 45 (label_liveness) as varint: wire-type mismatch
    entries.remove(4000);
    let extra = entry_pid(pc_instr_of(&entries[2000]), 7);
    entries.insert(2001, extra);
    let b = write_log(dir.path(), "b.plog", 1 << 20, entries);
    let (r, out) = plog(&["diff", s(&a), s(&b)]);
    assert_eq!(r.unwrap(), 1);
    assert!(out.contains("entry 1234 ("), "{out}");
    assert!(out.contains("#45 (absent) → 5"), "{out}");
    assert!(out.contains("entry 4000 of A"), "{out}");
    assert!(out.contains("entry 2001 of B"), "{out}");
    assert!(
        out.ends_with("1 entries differ, 1 only in A, 1 only in B (5000 vs 5000 entries)\n"),
        "{out}"
    );
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
fn recover_reads_a_crashed_log() {
    let dir = tempfile::tempdir().unwrap();
    let all: Vec<Vec<u8>> = synth::entries(9, 400).collect();
    let crashed = dir.path().join("c.plog");
    let mut w = PlogWriter::with_chunk_size(&crashed, 1 << 20).unwrap();
    for (i, e) in all[..300].iter().enumerate() {
        w.write_entry(e).unwrap();
        if i % 100 == 99 {
            w.end_chunk().unwrap();
        }
    }
    for e in &all[300..] {
        w.write_entry(e).unwrap(); // pending chunk: lost in the crash
    }
    w.abandon().unwrap();
    let err = plog_err(&["dump", s(&crashed)]);
    assert!(
        err.contains("byte 0: the header is all zeros") && err.contains("--recover"),
        "{err}"
    );
    let complete = write_log(dir.path(), "ok.plog", 1 << 20, all[..300].to_vec());
    let (r, got) = plog(&["dump", "--recover", "--format", "jsonl", s(&crashed)]);
    assert_eq!(r.unwrap(), 0);
    let (_, want) = plog(&["dump", "--format", "jsonl", s(&complete)]);
    assert_eq!(got.lines().count(), 300);
    assert_eq!(got, want);
    let (_, info) = plog(&["info", "--recover", s(&crashed)]);
    assert!(
        info.contains("recovered:    yes") && info.contains("entries:      300\n"),
        "{info}"
    );
}

#[test]
fn recover_keeps_whole_entries_of_a_cut_stream() {
    let dir = tempfile::tempdir().unwrap();
    let log = write_log(dir.path(), "a.plog", 1 << 20, synth::entries(2, 3000));
    let mut bytes = std::fs::read(&log).unwrap();
    let full = bytes.len();
    bytes.truncate(full * 2 / 3);
    bytes[..128].fill(0);
    std::fs::write(&log, &bytes).unwrap();
    let (r, got) = plog(&["dump", "--recover", "--format", "jsonl", s(&log)]);
    assert_eq!(r.unwrap(), 0);
    let n = got.lines().count();
    assert!(n > 100 && n < 3000, "{n}");
    let (_, want) = plog(&[
        "dump",
        "--format",
        "jsonl",
        s(&write_log(
            dir.path(),
            "b.plog",
            1 << 20,
            synth::entries(2, 3000),
        )),
    ]);
    assert!(
        want.starts_with(&got),
        "recovered entries must be a prefix of the original"
    );
}

#[test]
fn proto_schema_discovered_under_panda_build() {
    // Explicit .proto and descriptor set decode identically.
    let dir = tempfile::tempdir().unwrap();
    let log = synth_log(dir.path(), "a.plog", 4, 300);
    let (_, a) = plog(&["dump", "--schema", s(&data("panda-plog.proto")), s(&log)]);
    let (_, b) = plog(&["dump", "--schema", s(&schema_desc()), s(&log)]);
    assert_eq!(a, b);
    let build = dir.path().join("build");
    std::fs::create_dir_all(build.join("x86_64-softmmu")).unwrap();
    std::fs::copy(
        data("panda-plog.proto"),
        build.join("x86_64-softmmu/plog.proto"),
    )
    .unwrap();
    let found = ptest_plog::schema::discover_in(&build).unwrap();
    assert!(found.ends_with("x86_64-softmmu/plog.proto"));
}

fn pc_instr_of(e: &[u8]) -> u64 {
    ptest_plog::decode::pc_instr(e).1.unwrap()
}

#[test]
fn parallel_output_is_in_order_whatever_the_thread_count() {
    let dir = tempfile::tempdir().unwrap();
    let log = write_log(dir.path(), "a.plog", 512, synth::entries(11, 4000));
    let (_, one) = plog(&["dump", "--format", "jsonl", "--threads", "1", s(&log)]);
    let (_, many) = plog(&["dump", "--format", "jsonl", "--threads", "7", s(&log)]);
    assert_eq!(one.lines().count(), 4000);
    assert_eq!(one, many);
    let instrs: Vec<u64> = one
        .lines()
        .skip(1)
        .map(|l| {
            serde_json::from_str::<serde_json::Value>(l).unwrap()["instr"]
                .as_str()
                .unwrap()
                .parse()
                .unwrap()
        })
        .collect();
    assert!(
        instrs.windows(2).all(|w| w[0] <= w[1]),
        "entries out of order"
    );
}
