//! Every kind of damaged input gets one line naming the file and where (exit code 2),
//! never a panic and never an allocation sized by a corrupt field: `ptest plog`
//! through the real binary.
use ptest_plog::synth;
use ptest_plog::synth::{chunk_of, raw_log};
use ptest_testkit::plog::*;

/// The error for `dump FILE` (also checked to be one line naming the file).
fn dump_err(p: &std::path::Path) -> String {
    let e = plog_err(&["dump", p.to_str().unwrap()]);
    assert!(!e.contains('\n'), "one line: {e}");
    assert!(e.starts_with(p.to_str().unwrap()), "names the file: {e}");
    e
}

fn two_chunks() -> (Vec<u8>, Vec<u64>) {
    let c0 = chunk_of(&[synth::bogus(), entry_pid(10, 1)]);
    let c1 = chunk_of(&[entry_pid(20, 2), entry_pid(30, 3)]);
    raw_log(&[c0, c1])
}

fn dir_pos(bytes: &[u8]) -> usize {
    u64::from_le_bytes(bytes[8..16].try_into().unwrap()) as usize
}

#[test]
fn the_raw_builder_makes_a_valid_log() {
    let dir = tempfile::tempdir().unwrap();
    let p = put(dir.path(), "ok.plog", &two_chunks().0);
    let (r, out) = plog(&["dump", "--format", "jsonl", p.to_str().unwrap()]);
    assert_eq!((r, out.lines().count()), (0, 4));
}

#[test]
fn truncated_file() {
    let dir = tempfile::tempdir().unwrap();
    let (bytes, _) = two_chunks();
    let p = put(dir.path(), "t.plog", &bytes[..bytes.len() - 60]);
    let e = dump_err(&p);
    assert!(
        e.contains(": byte 8: directory position") && e.contains("outside the file"),
        "{e}"
    );
    let p = put(dir.path(), "short.plog", &bytes[..57]);
    assert!(
        dump_err(&p)
            .contains("not a pandalog: the file is 57 bytes, shorter than the 128-byte header")
    );
    // Cut inside the directory records.
    let p = put(dir.path(), "dir.plog", &bytes[..dir_pos(&bytes) + 4 + 30]);
    let e = dump_err(&p);
    assert!(
        e.contains("lists 2 chunks but the file has room for 1 records"),
        "{e}"
    );
}

#[test]
fn corrupt_zlib_stream() {
    let dir = tempfile::tempdir().unwrap();
    let (mut bytes, pos) = two_chunks();
    bytes[pos[1] as usize + 6] ^= 0xff;
    bytes[pos[1] as usize + 7] ^= 0x55;
    let p = put(dir.path(), "z.plog", &bytes);
    let e = dump_err(&p);
    assert!(
        e.contains(&format!("chunk 1 (file byte {})", pos[1])),
        "{e}"
    );
    assert!(e.contains("zlib"), "{e}");
    // Bad zlib header at the chunk start.
    let (mut bytes, pos) = two_chunks();
    bytes[pos[0] as usize] = 0;
    let p = put(dir.path(), "h.plog", &bytes);
    assert!(dump_err(&p).contains("chunk 0 (file byte 128): corrupt zlib stream"));
}

#[test]
fn directory_pointing_past_the_end() {
    let dir = tempfile::tempdir().unwrap();
    let (mut bytes, _) = two_chunks();
    let len = bytes.len() as u64;
    bytes[8..16].copy_from_slice(&(len + 1000).to_le_bytes());
    let p = put(dir.path(), "d.plog", &bytes);
    assert!(dump_err(&p).contains(&format!(
        "byte 8: directory position {} is outside the file",
        len + 1000
    )));
    // A chunk position past the directory.
    let (mut bytes, _) = two_chunks();
    let d = dir_pos(&bytes);
    bytes[d + 4 + 24 + 8..d + 4 + 24 + 16].copy_from_slice(&u64::MAX.to_le_bytes());
    let p = put(dir.path(), "c.plog", &bytes);
    let e = dump_err(&p);
    assert!(
        e.contains(&format!(
            "byte {}: directory: chunk 1 position 18446744073709551615 is outside",
            d + 4 + 24 + 8
        )),
        "{e}"
    );
}

#[test]
fn chunk_positions_out_of_order() {
    let dir = tempfile::tempdir().unwrap();
    let (mut bytes, pos) = two_chunks();
    let d = dir_pos(&bytes);
    bytes[d + 4 + 8..d + 4 + 16].copy_from_slice(&pos[1].to_le_bytes());
    bytes[d + 4 + 24 + 8..d + 4 + 24 + 16].copy_from_slice(&pos[0].to_le_bytes());
    let p = put(dir.path(), "o.plog", &bytes);
    let e = dump_err(&p);
    assert!(
        e.contains(&format!(
            "directory: chunk 1 position {} is out of order (chunk 0 is at {})",
            pos[0], pos[1]
        )),
        "{e}"
    );
}

#[test]
fn entry_longer_than_its_chunk() {
    let dir = tempfile::tempdir().unwrap();
    let mut c1 = chunk_of(&[entry_pid(20, 2)]);
    let real = c1.len() as u32 - 4;
    c1[0..4].copy_from_slice(&(real + 100).to_le_bytes());
    let (bytes, _) = raw_log(&[chunk_of(&[synth::bogus()]), c1]);
    let p = put(dir.path(), "e.plog", &bytes);
    let e = dump_err(&p);
    assert!(e.contains(&format!("chunk 1, entry 0 of the chunk (byte 0 of its decompressed data): entry length {} exceeds the {real} bytes left", real + 100)), "{e}");
    // A stray tail too short for a length prefix.
    let mut c = chunk_of(&[synth::bogus()]);
    let at = c.len();
    c.extend([1, 2]);
    let p = put(dir.path(), "tail.plog", &raw_log(&[c]).0);
    assert!(dump_err(&p).contains(&format!(
        "entry 1 of the chunk (byte {at} of its decompressed data): 2 bytes left"
    )));
}

#[test]
fn length_prefix_of_4_gib() {
    let dir = tempfile::tempdir().unwrap();
    let mut c = chunk_of(&[synth::bogus()]);
    let at = c.len();
    c.extend(u32::MAX.to_le_bytes());
    c.extend([8, 1]);
    let p = put(dir.path(), "g.plog", &raw_log(&[c]).0);
    let e = dump_err(&p);
    assert!(e.contains(&format!("entry 1 of the chunk (byte {at} of its decompressed data): entry length 4294967295 exceeds the 2 bytes left")), "{e}");
}

#[test]
fn zero_chunks() {
    let dir = tempfile::tempdir().unwrap();
    let (bytes, _) = raw_log(&[]);
    let p = put(dir.path(), "0.plog", &bytes);
    assert!(dump_err(&p).ends_with("byte 128: the directory lists zero chunks"));
    // A directory claiming 4 billion chunks allocates nothing: it cannot fit.
    let (mut bytes, _) = two_chunks();
    let d = dir_pos(&bytes);
    bytes[d..d + 4].copy_from_slice(&u32::MAX.to_le_bytes());
    let p = put(dir.path(), "many.plog", &bytes);
    assert!(dump_err(&p).contains("lists 4294967295 chunks but the file has room for 2 records"));
}

#[test]
fn not_a_pandalog() {
    let dir = tempfile::tempdir().unwrap();
    let p = put(
        dir.path(),
        "n.plog",
        "this is a text file, not a pandalog\n"
            .repeat(10)
            .as_bytes(),
    );
    assert!(dump_err(&p).contains("not a pandalog: version 1936287860 at byte 0"));
    let missing = dir.path().join("missing.plog");
    assert!(dump_err(&missing).contains("No such file"));
    assert!(
        plog_err(&["dump", "--recover", p.to_str().unwrap()])
            .contains("byte 128: --recover found no zlib stream")
    );
}

#[test]
fn bad_protobuf_inside_an_entry() {
    let dir = tempfile::tempdir().unwrap();
    let mut bad = entry_pid(20, 2);
    bad.extend([0x12, 0x05, 0x01]); // field 2, length 5, 1 byte present
    let p = put(
        dir.path(),
        "p.plog",
        &raw_log(&[chunk_of(&[synth::bogus(), bad.clone()])]).0,
    );
    let e = dump_err(&p);
    let at = 4 + synth::bogus().len() + 4 + bad.len() - 1;
    assert!(e.contains(&format!("entry 1 of the chunk (byte {at} of its decompressed data): bad protobuf: field needs 5 bytes, only 1 left")), "{e}");
}

#[test]
fn schema_that_does_not_parse_or_lacks_log_entry() {
    let dir = tempfile::tempdir().unwrap();
    let (bytes, _) = two_chunks();
    let log = put(dir.path(), "ok.plog", &bytes);
    let bad = put(
        dir.path(),
        "bad.proto",
        b"syntax = \"proto2\";\nmessage LogEntry { required uint64 pc = ; }\n",
    );
    let e = plog_err(&[
        "dump",
        "--schema",
        bad.to_str().unwrap(),
        log.to_str().unwrap(),
    ]);
    assert!(
        e.starts_with(&format!("schema {}: ", bad.display())) && !e.contains('\n'),
        "{e}"
    );
    let other = put(
        dir.path(),
        "other.proto",
        b"syntax = \"proto2\";\nmessage Other { optional uint64 pc = 1; }\n",
    );
    let e = plog_err(&[
        "dump",
        "--schema",
        other.to_str().unwrap(),
        log.to_str().unwrap(),
    ]);
    assert_eq!(
        e,
        format!("schema {}: defines no LogEntry message", other.display())
    );
    let junk = put(dir.path(), "junk.desc", &[0xff; 40]);
    let e = plog_err(&[
        "dump",
        "--schema",
        junk.to_str().unwrap(),
        log.to_str().unwrap(),
    ]);
    assert!(
        e.starts_with(&format!(
            "schema {}: neither a descriptor set (",
            junk.display()
        )) && !e.contains('\n'),
        "{e}"
    );
}

#[test]
fn zlib_bomb_is_refused_without_allocating_it() {
    // 20 MiB of zeros compress to ~20 KB; the header claims 1 MiB chunks. (An explicit
    // limit is checked through the library, in crates/plog/tests/library.rs.)
    let dir = tempfile::tempdir().unwrap();
    let (mut file, _) = raw_log(&[vec![0u8; 20 << 20]]);
    file[16..20].copy_from_slice(&(1u32 << 20).to_le_bytes());
    let p = put(dir.path(), "bomb.plog", &file);
    // By default the header's chunk size (1 MiB) plus slack (at least 1 MiB) is the
    // limit: each worker holds at most that much, not the 512 MiB absolute cap.
    for cmd in ["dump", "info"] {
        let e = plog_err(&[cmd, p.to_str().unwrap()]);
        assert!(
            e.contains("chunk 0 (file byte 128): decompresses to more than 2097152 bytes")
                && e.contains("header's chunk size")
                && !e.contains('\n'),
            "{e}"
        );
    }
    let e = plog_err(&["dump", "--max-chunk", "4", p.to_str().unwrap()]);
    assert!(e.contains("more than 4194304 bytes"), "{e}");
    // An unclosed log (zero header) gets PANDA's default chunk size plus slack.
    file[0..24].fill(0);
    let p = put(dir.path(), "bomb0.plog", &file);
    let e = plog_err(&["dump", "--recover", p.to_str().unwrap()]);
    assert!(e.contains("more than 17825792 bytes"), "{e}");
}

#[test]
fn schema_nested_deeper_than_protobufs_limit_is_refused_not_a_stack_overflow() {
    // A chain of 10,000 message types once overflowed the stack (exit 134) while the
    // schema was flattened.
    let dir = tempfile::tempdir().unwrap();
    let n = 10_000;
    let mut proto = String::from(
        "syntax = \"proto2\";\npackage panda;\nmessage LogEntry { optional M0 m = 1; }\n",
    );
    for i in 0..n {
        proto.push_str(&format!("message M{i} {{ optional M{} m = 1; }}\n", i + 1));
    }
    proto.push_str(&format!("message M{n} {{ optional uint64 x = 1; }}\n"));
    let schema = put(dir.path(), "deep.proto", proto.as_bytes());
    let log = put(dir.path(), "ok.plog", &two_chunks().0);
    let e = plog_err(&[
        "dump",
        "--schema",
        schema.to_str().unwrap(),
        log.to_str().unwrap(),
    ]);
    assert!(
        e.starts_with(&format!("schema {}: ", schema.display()))
            && e.contains("message panda.M100 is nested 101 levels deep")
            && e.contains("at most 100"),
        "{e}"
    );
    // Recursive types are fine: the chain stops at the first repeat.
    let rec = put(
        dir.path(),
        "rec.proto",
        b"syntax = \"proto2\";\npackage panda;\nmessage LogEntry { optional uint64 pc = 1; optional uint64 instr = 2; optional T t = 3; }\nmessage T { optional T next = 1; }\n",
    );
    let (r, _) = plog(&[
        "dump",
        "--schema",
        rec.to_str().unwrap(),
        log.to_str().unwrap(),
    ]);
    assert_eq!(r, 0);
}
