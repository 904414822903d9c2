//! `plog dump --format json` must print exactly what PANDA's Python reader prints
//! (through the library; tests/plog_commands.rs at the top runs the binary).
use ptest_plog::Format;
use ptest_testkit::plog::*;

fn assert_same(ours: &str, theirs: &str) {
    if ours != theirs {
        let (a, b): (Vec<_>, Vec<_>) = (ours.lines().collect(), theirs.lines().collect());
        let i = a
            .iter()
            .zip(&b)
            .position(|(x, y)| x != y)
            .unwrap_or(a.len().min(b.len()));
        panic!(
            "dump differs from the Python reader at line {}: ours {:?}, python {:?} ({} vs {} lines)",
            i + 1,
            a.get(i),
            b.get(i),
            a.len(),
            b.len()
        );
    }
}

#[test]
fn json_matches_python_reader_on_synthetic_log() {
    let dir = tempfile::tempdir().unwrap();
    let log = synth_log(dir.path(), "a.plog", 7, 3000);
    let schema = schema_desc();
    let ours = dump_string(&log, Some(&schema), Format::Json);
    assert!(ours.contains("\"asidInfo\""), "schema names expected");
    assert_same(&ours, &python_reader(&log, "python"));
    // protobuf's fast backend prints the same.
    assert_same(&ours, &python_reader(&log, "upb"));
}

#[test]
fn json_matches_with_proto_schema_and_odd_values() {
    use ptest_plog::synth::Enc;
    let dir = tempfile::tempdir().unwrap();
    let mut entries = vec![ptest_plog::synth::bogus()];
    for (k, (f, d)) in [
        (f32::NAN, f64::INFINITY),
        (1e-7, -0.0),
        (3.4e38, 1e16),
        (0.1, f64::NEG_INFINITY),
        (1.0, 123.456),
    ]
    .into_iter()
    .enumerate()
    {
        let mut nd = Enc::default();
        nd.bytes(1, "ärg\u{7f}\u{1}".as_bytes())
            .float(10, f)
            .double(11, d)
            .uint(7, u64::MAX)
            .int32(8, i32::MIN)
            .uint(12, 1);
        nd.bytes(13, &[0xff, 0, k as u8]).bytes(2, "".as_bytes());
        let mut sc = Enc::default();
        sc.uint(1, 1)
            .uint(2, 0)
            .uint(3, 0)
            .uint(4, 0)
            .uint(5, (-5i64) as u64)
            .bytes(6, "\u{2028}sys".as_bytes())
            .msg(7, &nd);
        // Unknown field 999 must be ignored, as MessageToJson does.
        let mut e = Enc::default();
        e.uint(1, 0x1234)
            .uint(2, 10 + k as u64)
            .msg(58, &sc)
            .uint(999, 5)
            .msg(10, &Enc::default());
        // A singular message given twice is merged.
        let mut bb1 = Enc::default();
        bb1.uint(1, 7);
        let mut bb2 = Enc::default();
        bb2.uint(3, 9);
        e.msg(42, &bb1).msg(42, &bb2);
        entries.push(e.0);
    }
    let log = write_log(dir.path(), "b.plog", 1 << 20, entries);
    let proto = data("panda-plog.proto");
    let ours = dump_string(&log, Some(&proto), Format::Json);
    assert_same(&ours, &python_reader(&log, "python"));
}
