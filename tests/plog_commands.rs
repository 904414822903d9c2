//! `ptest plog dump|info|diff` through the real binary: output, `--recover`, schema
//! discovery, and every exit code the command can return (0 success or identical,
//! 1 the logs differ, 2 bad input or usage).
use ptest_plog::{PlogWriter, synth};
use ptest_testkit::plog::*;

#[test]
fn info_reports_layout_and_counts() {
    let dir = tempfile::tempdir().unwrap();
    let log = synth_log(dir.path(), "a.plog", 3, 2000);
    let (r, out) = plog(&["info", s(&log)]);
    assert_eq!(r, 0);
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
    assert_eq!(r, 0);
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
    assert_eq!(r, 1, "{out}");
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
    assert_eq!((r, out.as_str()), (0, "identical: 4 entries\n"));
}

#[test]
fn diff_of_large_synthetic_logs_finds_the_changes() {
    let dir = tempfile::tempdir().unwrap();
    let a = synth_log(dir.path(), "a.plog", 5, 5000);
    let mut entries: Vec<Vec<u8>> = synth::entries(5, 5000).collect();
    entries[1234].extend_from_slice(&[0xe8, 0x02, 0x05]); // field 45 (label_liveness) as varint: wire-type mismatch
    entries.remove(4000);
    let extra = entry_pid(instr_of(&entries[2000]), 7);
    entries.insert(2001, extra);
    let b = write_log(dir.path(), "b.plog", 1 << 20, entries);
    let (r, out) = plog(&["diff", s(&a), s(&b)]);
    assert_eq!(r, 1);
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
    assert_eq!(r, 0);
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
    assert_eq!(r, 0);
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
    // Without --schema, $PANDA_BUILD/<arch>-softmmu/plog.proto is found and used.
    let build = dir.path().join("build");
    std::fs::create_dir_all(build.join("x86_64-softmmu")).unwrap();
    std::fs::copy(
        data("panda-plog.proto"),
        build.join("x86_64-softmmu/plog.proto"),
    )
    .unwrap();
    let mut c = plog_cmd(&["dump", s(&log)]);
    c.env("PANDA_BUILD", &build);
    let (code, found) = run(c);
    assert_eq!(code, 0);
    assert_eq!(found, a);
    let (_, generic) = plog(&["dump", s(&log)]);
    assert_ne!(generic, a, "without $PANDA_BUILD the decoding is generic");
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

#[test]
fn every_exit_code_of_ptest_plog() {
    let dir = tempfile::tempdir().unwrap();
    let (a, b) = pair(dir.path());
    // 0: a command that succeeded, or logs that are identical.
    for args in [
        vec!["dump", s(&a)],
        vec!["info", s(&a)],
        vec!["diff", s(&a), s(&a)],
    ] {
        let (code, out) = plog(&args);
        assert_eq!(code, 0, "{args:?}: {out}");
        assert!(!out.is_empty(), "{args:?}");
    }
    // 1: the logs differ (exit_code::DIFFERENT).
    let (code, out) = plog(&["diff", s(&a), s(&b)]);
    assert_eq!(code, 1, "{out}");
    assert!(
        out.starts_with(&format!("--- A: {}\n+++ B: {}\n", s(&a), s(&b))),
        "{out}"
    );
    // 2: bad input, named with the file and the byte offset (plog_err checks the code).
    let text = put(dir.path(), "n.plog", &b"not a pandalog at all\n".repeat(10));
    for cmd in ["dump", "info"] {
        let e = plog_err(&[cmd, s(&text)]);
        assert!(
            e.starts_with(s(&text))
                && e.contains("not a pandalog: version")
                && e.contains("at byte 0"),
            "{e}"
        );
    }
    let e = plog_err(&["diff", s(&a), s(&text)]);
    assert!(
        e.starts_with(&format!("{}: not a pandalog", s(&text))),
        "{e}"
    );
    // 2: usage (clap).
    let o = plog_cmd(&["dump", "--format", "xml", s(&a)])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("--format"));
}

#[test]
fn info_prints_directory_mismatches_as_warnings() {
    let dir = tempfile::tempdir().unwrap();
    // The raw builder's directory says one entry per chunk; chunk 0 holds two.
    let c0 = synth::chunk_of(&[synth::bogus(), entry_pid(10, 1)]);
    let c1 = synth::chunk_of(&[entry_pid(30, 3)]);
    let p = put(dir.path(), "w.plog", &synth::raw_log(&[c0, c1]).0);
    let (code, out) = plog(&["info", s(&p)]);
    assert_eq!(code, 0);
    assert!(
        out.ends_with("\nwarning: chunk 0: the directory says 1 entries, the chunk holds 2\n"),
        "{out}"
    );
    assert_eq!(out.matches("warning").count(), 1, "{out}");
    assert!(
        out.contains("entries:      3\ninstructions: 10..30\n"),
        "{out}"
    );
}

#[test]
fn a_closed_output_pipe_ends_dump_quietly_with_0() {
    use std::io::Read;
    use std::process::{Command, Stdio};
    let dir = tempfile::tempdir().unwrap();
    // Far more output than a pipe buffers, so ptest is still writing when it closes.
    let log = synth_log(dir.path(), "a.plog", 3, 20_000);
    let mut child = Command::new(env!("CARGO_BIN_EXE_ptest"))
        .args(["plog", "dump", s(&log)])
        .env_remove("PANDA_BUILD")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut out = child.stdout.take().unwrap();
    let mut first = [0u8; 2];
    out.read_exact(&mut first).unwrap();
    assert_eq!(&first, b"[\n");
    drop(out);
    let o = child.wait_with_output().unwrap();
    assert_eq!(o.status.code(), Some(0));
    assert_eq!(String::from_utf8_lossy(&o.stderr), "");
}
