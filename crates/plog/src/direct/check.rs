//! The decode check of the fast path: whether the decoder would accept an entry,
//! walking the same tags and bounds without building anything (and noting the root's
//! `pc` and `instr` on the way).

use crate::decode::wire_type;
use crate::schema::{Kind, Schema};
use crate::wire::{Cursor, MAX_DEPTH};

/// True when the decoder would accept `buf` as a message of schema message `mi`
/// (`None`: generically). Walks the same tags and bounds the decoder checks, without
/// building anything. `false` means "ask the decoder", which names the error.
pub fn decodes(schema: &Schema, mi: Option<usize>, buf: &[u8], depth: usize) -> bool {
    check(schema, mi, buf, depth, None).is_some()
}

/// `pc` and `instr` of a `LogEntry` (as [`crate::wire::pc_instr`] finds them) in the same
/// walk as [`decodes`]'s check, or `None` when the decoder would not accept it.
pub fn decodes_with_pc_instr(schema: &Schema, buf: &[u8]) -> Option<PcInstr> {
    let mut peek = PcInstr::default();
    check(schema, Some(schema.root), buf, 0, Some(&mut peek))?;
    Some(peek)
}

/// The `pc` (field 1) and `instr` (field 2) varints of an entry, last occurrence winning.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PcInstr {
    pub pc: Option<u64>,
    pub instr: Option<u64>,
}

/// The decode check; builds no error (`Option`, which comes back in registers), and
/// with `peek` notes the root's `pc` and `instr` on the way.
fn check(
    schema: &Schema,
    mi: Option<usize>,
    buf: &[u8],
    depth: usize,
    mut peek: Option<&mut PcInstr>,
) -> Option<()> {
    if depth > MAX_DEPTH {
        return None;
    }
    let desc = mi.and_then(|i| schema.messages.get(i));
    let mut r = Cursor {
        buf,
        pos: 0,
        base: 0,
    };
    while !r.done() {
        let key = r.read_varint()?;
        let wt = (key & 7) as u8;
        if key >> 3 == 0 || key >> 3 > u64::from(u32::MAX >> 3) {
            return None;
        }
        // A varint field 1 or 2 is read the same whatever the schema says of it (as its
        // value, skipped or mismatched alike), so noting it changes no outcome.
        if let Some(p) = peek.as_deref_mut()
            && wt == 0
            && (key >> 3 == 1 || key >> 3 == 2)
        {
            let v = Some(r.read_varint()?);
            if key >> 3 == 1 {
                p.pc = v;
            } else {
                p.instr = v;
            }
            continue;
        }
        let field = desc.and_then(|d| d.find((key >> 3) as u32).map(|i| &d.fields[i]));
        // Unknown fields, generic or dropped, fail exactly when skipping them does.
        let Some(f) = field else {
            pass(wt, &mut r)?;
            continue;
        };
        let want = wire_type(f.kind);
        if wt == want {
            check_scalar(schema, f.kind, &mut r, depth)?;
        } else if wt == 2 && f.repeated && want != 2 {
            let body = r.read_bytes()?;
            let mut inner = Cursor {
                buf: body,
                pos: 0,
                base: 0,
            };
            while !inner.done() {
                check_scalar(schema, f.kind, &mut inner, depth)?;
            }
        } else {
            pass(wt, &mut r)?;
        }
    }
    Some(())
}

fn check_scalar(schema: &Schema, k: Kind, r: &mut Cursor<'_>, depth: usize) -> Option<()> {
    match k {
        Kind::Message(m) => check(schema, Some(m), r.read_bytes()?, depth + 1, None),
        k => pass(wire_type(k), r),
    }
}

/// Skips a field's value as [`crate::wire::skip`] does, building no error.
fn pass(wt: u8, r: &mut Cursor<'_>) -> Option<()> {
    match wt {
        0 => r.read_varint().map(drop),
        1 => r.read(8).map(drop),
        5 => r.read(4).map(drop),
        2 => r.read_bytes().map(drop),
        _ => None,
    }
}
