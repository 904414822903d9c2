//! Differential tests: the fast path against the decoder + renderer, on the synthetic
//! logs, the fuzz seeds, every field kind of a schema made for it, and random and
//! damaged messages. The fast path may decline an entry; it may never differ.

use std::path::Path;

use super::*;
use crate::decode::{Decoder, wire_type};
use crate::render;
use crate::synth::{self, Enc, Rng};

fn panda() -> Decoder {
    let p = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/panda-plog.desc");
    Decoder::new(Some(Schema::load(&p).expect("PANDA's schema loads")))
}

/// Every scalar kind, an enum with negative, sparse and unnamed values, nesting,
/// recursion and repeated (packed and not) fields of each.
const ALL_KINDS: &str = r#"
syntax = "proto2";
enum Color { RED = 0; GREEN = 1; MINUS = -3; FAR = 100000; }
message Inner {
  optional int32 i = 1;
  optional string s = 2;
  optional Inner next = 3;
  repeated Inner kids = 4;
}
message LogEntry {
  optional uint64 pc = 1;
  optional uint64 instr = 2;
  optional int32 i32 = 3;
  optional int64 i64 = 4;
  optional uint32 u32 = 5;
  optional sint32 s32 = 6;
  optional sint64 s64 = 7;
  optional fixed32 f32 = 8;
  optional fixed64 f64 = 9;
  optional sfixed32 sf32 = 10;
  optional sfixed64 sf64 = 11;
  optional bool flag = 12;
  optional float fl = 13;
  optional double db = 14;
  optional string str = 15;
  optional bytes raw = 16;
  optional Color color = 17;
  optional Inner inner = 18;
  repeated uint64 r_u64 = 19;
  repeated sint32 r_s32 = 20;
  repeated float r_fl = 21;
  repeated double r_db = 22;
  repeated Color r_color = 23;
  repeated string r_str = 24;
  repeated bytes r_raw = 25;
  repeated Inner r_inner = 26;
  repeated bool r_flag = 27;
  repeated sfixed64 r_sf64 = 28;
  optional int32 camel_case_name = 300;
}
"#;

fn all_kinds() -> Decoder {
    let dir = tempfile::tempdir().expect("temp dir");
    let p = dir.path().join("kinds.proto");
    std::fs::write(&p, ALL_KINDS).expect("write proto");
    Decoder::new(Some(Schema::load(&p).expect("test schema compiles")))
}

/// Renders `e` both ways in both styles. Returns whether the fast path rendered it
/// (it must then match byte for byte; when it declines it must leave nothing).
fn same(d: &Decoder, plan: &Plan, e: &[u8]) -> bool {
    let schema = d.schema();
    let decoded = d.decode(e);
    assert_eq!(
        decodes(schema, Some(schema.root), e, 0),
        decoded.is_ok(),
        "decode check vs decoder on {e:02x?}"
    );
    let (pc, instr) = crate::wire::pc_instr(e);
    assert_eq!(
        decodes_with_pc_instr(schema, e),
        decoded.is_ok().then_some(PcInstr { pc, instr }),
        "pc/instr peek vs the decoder and wire::pc_instr on {e:02x?}"
    );
    let mut took = true;
    for style in [JsonStyle::Compact, JsonStyle::Pretty] {
        let mut fast = b"prefix".to_vec();
        let ok = json(&mut fast, schema, plan, e, style).is_ok();
        let fast = String::from_utf8(fast).expect("the fast path writes UTF-8");
        match &decoded {
            Ok(m) if ok => {
                let mut slow = String::from("prefix");
                render::json(&mut slow, schema, m, style);
                assert_eq!(fast, slow, "{style:?} on {e:02x?}");
            }
            Ok(_) => {
                assert_eq!(fast, "prefix");
                took = false;
            }
            Err(err) => {
                assert!(
                    !ok,
                    "fast path rendered an entry the decoder rejects ({err:?})"
                );
                assert_eq!(fast, "prefix", "declined entry left output");
                took = false;
            }
        }
    }
    took
}

#[test]
fn synthetic_logs_render_identically_and_fast() {
    let d = panda();
    let plan = Plan::new(d.schema());
    let (mut fast, mut total) = (0, 0);
    for seed in 1..=4 {
        for e in synth::entries_with_changes(seed, 20_000, 50) {
            total += 1;
            fast += usize::from(same(&d, &plan, &e));
        }
    }
    // Only the changed entries (field 45 appended after a higher number) decline.
    assert!(total - fast <= 200, "{} of {total} declined", total - fast);
    assert!(
        total - fast > 0,
        "the out-of-order entries should have declined"
    );
}

#[test]
fn fuzz_seeds_render_identically() {
    // The seeds `examples/fuzz_seeds.rs` writes for the decode_entry target, through
    // the generic decoder too (the check must agree there as well).
    let d = panda();
    let plan = Plan::new(d.schema());
    let g = Decoder::new(None);
    for e in synth::entries(42, 64) {
        assert!(same(&d, &plan, &e));
        assert!(decodes(g.schema(), Some(g.schema().root), &e, 0));
    }
}

#[test]
fn every_field_kind() {
    let d = all_kinds();
    let plan = Plan::new(d.schema());
    let mut inner = Enc::default();
    inner
        .int32(1, -5)
        .bytes(2, "tab\there \"q\" é 😀 \u{1}".as_bytes());
    let mut deep = Enc::default();
    deep.msg(3, &inner).msg(4, &inner).msg(4, &Enc::default());
    let mut e = Enc::default();
    e.uint(1, u64::MAX)
        .uint(2, 7)
        .int32(3, i32::MIN)
        .uint(4, (-9i64) as u64);
    e.uint(5, u64::from(u32::MAX) + 5).uint(6, 7).uint(7, 8);
    e.float(8, f32::from_bits(0xdead_beef))
        .double(9, f64::from_bits(u64::MAX));
    e.float(10, f32::from_bits(0x8000_0001))
        .double(11, f64::from_bits(1 << 63));
    e.uint(12, 2).float(13, 0.1).double(14, f64::NAN);
    e.bytes(15, b"plain")
        .bytes(16, &[0, 255, 1, 2])
        .uint(17, 100_000);
    e.msg(18, &deep);
    for x in [1u64, 300, u64::MAX] {
        e.uint(19, x);
    }
    e.bytes(20, &[1, 2, 3, 0xff, 0x01])
        .bytes(21, &[0, 0, 0x80, 0x7f]);
    e.double(22, f64::INFINITY)
        .double(22, -0.0)
        .double(22, 1e300);
    e.bytes(23, &[0, 1, 2, 0xfd, 0xff, 0xff, 0xff, 0x0f])
        .uint(23, 100_000);
    e.bytes(24, b"")
        .bytes(24, "\u{7f}x\\".as_bytes())
        .bytes(25, b"");
    e.msg(26, &Enc::default())
        .msg(26, &inner)
        .bytes(27, &[])
        .uint(27, 1);
    e.bytes(28, &[]).double(28, 1.0).uint(300, 1);
    assert!(
        same(&d, &plan, &e.0),
        "all kinds, in order, take the fast path"
    );
    // Invalid UTF-8 in a string is rendered lossily by both.
    let mut bad = Enc::default();
    bad.bytes(15, &[b'a', 0xff, 0xc3]);
    assert!(same(&d, &plan, &bad.0));
    // Only empty packed bodies: `[]`, as the decoder renders it.
    let mut empty = Enc::default();
    empty.bytes(19, &[]);
    assert!(same(&d, &plan, &empty.0));
    // What the fast path declines, and the decoder handles.
    for (what, e) in [
        (
            "out of order",
            Enc::default().uint(2, 1).uint(1, 2).0.clone(),
        ),
        (
            "singular twice",
            Enc::default().uint(3, 1).uint(3, 2).0.clone(),
        ),
        (
            "message merge",
            Enc::default().msg(18, &inner).msg(18, &deep).0.clone(),
        ),
        ("wrong wire type", Enc::default().float(3, 1.0).0.clone()),
    ] {
        assert!(!same(&d, &plan, &e), "{what} should decline");
    }
}

/// A random message of schema message `mi`: known fields mostly in order, sometimes
/// unknown, repeated, out of order, of the wrong wire type, or cut short.
fn random_msg(rng: &mut Rng, schema: &Schema, mi: usize, depth: usize) -> Vec<u8> {
    let desc = &schema.messages[mi];
    let mut e = Enc::default();
    let mut fields: Vec<usize> = (0..desc.fields.len())
        .filter(|_| rng.below(3) == 0)
        .collect();
    if rng.below(8) == 0 {
        fields.reverse();
    }
    for fi in fields {
        let f = &desc.fields[fi];
        for _ in 0..if f.repeated { 1 + rng.below(3) } else { 1 } {
            let n = f.number;
            match (f.kind, rng.below(20)) {
                (_, 0) => e.uint(n, rng.next_u64()),
                (_, 1) => e.bytes(n, &rng.next_u64().to_le_bytes()[..rng.below(9) as usize]),
                (_, 2) => e.uint(1000 + n, 1),
                (Kind::Message(m), _) if depth < 6 => {
                    e.bytes(n, &random_msg(rng, schema, m, depth + 1))
                }
                (Kind::Message(_), _) => e.bytes(n, &[]),
                (Kind::String, _) => e.bytes(n, &[b'a', 0xe9, b'"', 0x0a][..rng.below(5) as usize]),
                (Kind::Bytes, _) => {
                    e.bytes(n, &rng.next_u64().to_le_bytes()[..rng.below(9) as usize])
                }
                (k, _) => match wire_type(k) {
                    1 => e.double(n, f64::from_bits(rng.next_u64())),
                    5 => e.float(n, f32::from_bits(rng.next_u64() as u32)),
                    _ => e.uint(n, rng.next_u64() >> rng.below(64)),
                },
            };
        }
    }
    e.0
}

#[test]
fn random_and_damaged_messages() {
    for d in [all_kinds(), panda()] {
        let plan = Plan::new(d.schema());
        let mut rng = Rng(0x5eed);
        let mut fast = 0;
        for i in 0..10_000 {
            let mut e = random_msg(&mut rng, d.schema(), d.schema().root, 0);
            if i % 4 == 0 && !e.is_empty() {
                // Damage: flip a byte, or cut the entry short.
                let at = rng.below(e.len() as u64) as usize;
                if rng.below(2) == 0 {
                    e[at] ^= 1 << rng.below(8);
                } else {
                    e.truncate(at);
                }
            }
            fast += usize::from(same(&d, &plan, &e));
        }
        // Most random entries carry some oddity; enough must still be rendered fast.
        assert!(
            fast > 500,
            "only {fast} of 10000 random entries took the fast path"
        );
    }
}
