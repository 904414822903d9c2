//! Dumps inflate each chunk a block at a time and render the blocks on every worker:
//! entries cut by a block's edge, entries larger than a block and errors in a later
//! block must come out exactly as if the chunk had been read whole.
use std::io::Write;

use ptest_plog::synth::{self, Enc};
use ptest_plog::{DumpOptions, Format, ReadOptions};
use ptest_testkit::plog::*;

/// A chunk holds 16 MiB: these logs are one chunk of many blocks.
const ONE_CHUNK: u32 = 16 << 20;

fn dump_with(file: &std::path::Path, threads: usize) -> Result<String, String> {
    let opts = DumpOptions {
        schema: Some(&schema_desc()),
        read: ReadOptions {
            threads,
            ..Default::default()
        },
        format: Format::Jsonl,
    };
    let mut out = Vec::new();
    ptest_plog::dump(file, &opts, &mut out).map_err(|e| e.to_string())?;
    Ok(String::from_utf8(out).unwrap())
}

/// Synthetic entries with, every 7,000th, an `asid_info` whose name is `big` bytes.
fn entries_with_giants(n: usize, big: usize) -> Vec<Vec<u8>> {
    synth::entries(11, n)
        .enumerate()
        .map(|(i, e)| {
            if i % 7_000 != 3_500 {
                return e;
            }
            let mut a = Enc::default();
            a.uint(1, 7).bytes(5, &vec![b'g'; big + i]);
            let mut g = Enc::default();
            g.uint(1, 0x1000).uint(2, i as u64).msg(40, &a);
            g.0
        })
        .collect()
}

/// A log of one chunk holding exactly `raw` (length prefixes included, as PANDA writes
/// them), so a test can put damage where it wants it.
fn raw_log(dir: &std::path::Path, name: &str, raw: &[u8], n_entries: u64) -> std::path::PathBuf {
    let mut z = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::fast());
    z.write_all(raw).unwrap();
    let z = z.finish().unwrap();
    let mut file = vec![0u8; 128];
    file[0..4].copy_from_slice(&2u32.to_le_bytes());
    file[8..16].copy_from_slice(&(128 + z.len() as u64).to_le_bytes());
    file[16..20].copy_from_slice(&ONE_CHUNK.to_le_bytes());
    file.extend_from_slice(&z);
    file.extend_from_slice(&1u32.to_le_bytes());
    for v in [0u64, 128, n_entries] {
        file.extend_from_slice(&v.to_le_bytes());
    }
    let p = dir.join(name);
    std::fs::write(&p, file).unwrap();
    p
}

fn prefixed(entries: &[Vec<u8>]) -> Vec<u8> {
    let mut raw = Vec::new();
    for e in entries {
        raw.extend_from_slice(&(e.len() as u32).to_le_bytes());
        raw.extend_from_slice(e);
    }
    raw
}

#[test]
fn entries_larger_than_a_block_and_cut_by_its_edge_come_out_whole() {
    let dir = tempfile::tempdir().unwrap();
    // Three entries of ~600 KiB (larger than a block) among 20,000 ordinary ones.
    let entries = entries_with_giants(20_000, 600 << 10);
    let one = write_log(dir.path(), "one.plog", ONE_CHUNK, entries.clone());
    // The same entries in ~64 KiB chunks: every block boundary falls elsewhere.
    let many = write_log(dir.path(), "many.plog", 64 << 10, entries);
    let reference = dump_with(&many, 1).unwrap();
    assert_eq!(reference.lines().count(), 20_000);
    let giants: Vec<usize> = reference
        .lines()
        .filter(|l| l.contains("ggggg"))
        .map(str::len)
        .collect();
    assert_eq!(giants.len(), 3, "three giant entries");
    // Each holds its whole name: 600 KiB + i characters.
    assert!(giants.iter().all(|&l| l > 600 << 10), "{giants:?}");
    for threads in [1, 2, 3, 8] {
        assert!(
            dump_with(&one, threads).unwrap() == reference,
            "one chunk, {threads} threads"
        );
        assert!(
            dump_with(&many, threads).unwrap() == reference,
            "many chunks, {threads} threads"
        );
    }
}

#[test]
fn a_bad_entry_in_a_later_block_names_its_entry_and_byte() {
    let dir = tempfile::tempdir().unwrap();
    let mut entries: Vec<Vec<u8>> = synth::entries(5, 30_000).collect();
    // A varint cut short: the decoder fails at byte 1 of the entry's message.
    entries[21_345] = vec![0x08, 0xff];
    let raw = prefixed(&entries);
    let start: usize = entries[..21_345].iter().map(|e| 4 + e.len()).sum();
    assert!(start > 1 << 20, "the bad entry is several blocks in");
    let log = raw_log(dir.path(), "bad.plog", &raw, 30_000);
    let want = format!(
        "chunk 0, entry 21345 of the chunk (byte {} of its decompressed data)",
        start + 4 + 1
    );
    for threads in [1, 2, 4] {
        let e = dump_with(&log, threads).unwrap_err();
        assert!(e.contains(&want), "{threads} threads: {e}\nwant: {want}");
    }
}

#[test]
fn bytes_after_the_last_whole_entry_are_named_with_their_offset() {
    let dir = tempfile::tempdir().unwrap();
    let entries: Vec<Vec<u8>> = synth::entries(9, 20_000).collect();
    let whole = prefixed(&entries);
    for (tail, what) in [
        (
            &[5u8, 0, 0, 0, 1][..],
            "entry length 5 exceeds the 1 bytes left in the chunk",
        ),
        (&[5u8, 0][..], "2 bytes left, too few for a length prefix"),
    ] {
        let mut raw = whole.clone();
        raw.extend_from_slice(tail);
        let log = raw_log(dir.path(), "tail.plog", &raw, 20_001);
        let want = format!(
            "chunk 0, entry 20000 of the chunk (byte {} of its decompressed data): {what}",
            whole.len()
        );
        for threads in [1, 2] {
            let e = dump_with(&log, threads).unwrap_err();
            assert!(e.contains(&want), "{e}\nwant: {want}");
        }
    }
}
