//! The fast path of dumps and diffs: JSON rendered straight from an entry's wire bytes
//! by walking its tags against the schema, and a check that an entry decodes, both
//! without building the decoded tree of [`crate::decode`] (its allocations and the
//! second walk over it were most of a dump's time).
//!
//! Must stay byte-identical to [`crate::render::json`] over [`crate::decode`], so it only
//! handles what a single forward pass can render exactly: fields in ascending number
//! order (protobuf writers emit them so), each singular field once, wire types that
//! match the schema (or packed repeated scalars). Anything else, and any malformed
//! input, is a [`Bail`]: the caller renders that entry the old way, which also
//! produces the exact error. Renders no text form and reads no files.

use std::collections::HashMap;

use crate::decode::wire_type;
use crate::json::{put_base64, put_float, put_i64, put_str, put_u64, quoted};
use crate::render::JsonStyle;
use crate::schema::{Kind, Schema};
use crate::wire::{Cursor, DecodeError, MAX_DEPTH, skip};

/// The fast path declined an entry; nothing of it was kept in the output.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Bail;

impl From<DecodeError> for Bail {
    fn from(_: DecodeError) -> Bail {
        Bail
    }
}

/// Enum values below this get a precomputed, quoted name (a table index instead of a
/// hash lookup and an escape per value).
const DENSE_ENUM: usize = 256;

/// Per-schema tables the fast path needs, computed once per dump.
#[derive(Debug, Clone)]
pub struct Plan {
    /// Per enum: quoted JSON names of the values `0..DENSE_ENUM` (`None` = no name).
    dense: Vec<Vec<Option<Key>>>,
    /// Per enum: quoted names of the values outside the dense range.
    sparse: Vec<HashMap<i32, Key>>,
    /// Per message: what the walk needs of each field, by field number.
    slots: Vec<Slots>,
}

/// A message's fields by number: a table for the small numbers (one load from a tag to
/// all the walk needs), a map for the rest.
#[derive(Debug, Clone, Default)]
struct Slots {
    near: Vec<Option<Slot>>,
    far: HashMap<u32, Slot>,
}

/// Field numbers below this are looked up in a table.
const NEAR: u32 = 256;

impl Slots {
    #[inline]
    fn get(&self, number: u32) -> Option<&Slot> {
        match self.near.get(number as usize) {
            Some(s) => s.as_ref(),
            None if number < NEAR => None,
            None => self.far.get(&number),
        }
    }
}

/// What the walk needs of one field, in one place (instead of the field, its wire type
/// and its key looked up apart).
#[derive(Debug, Clone)]
struct Slot {
    kind: Kind,
    wire: u8,
    repeated: bool,
    /// `"key":` and `"key": ` (compact, pretty).
    key: [Key; 2],
}

/// Bytes of ASCII text copied into the output many times: keys and enum names.
#[derive(Debug, Clone)]
struct Key {
    /// The text followed by zeros up to [`PAD`] bytes, when it fits.
    padded: Option<[u8; PAD]>,
    text: Box<[u8]>,
}

/// Short texts are copied as a fixed [`PAD`] bytes and cut back: no `memcpy` call.
const PAD: usize = 32;

impl Key {
    fn new(text: &str) -> Key {
        let b = text.as_bytes();
        let padded = (b.len() <= PAD).then(|| {
            let mut p = [0u8; PAD];
            p[..b.len()].copy_from_slice(b);
            p
        });
        Key {
            padded,
            text: b.into(),
        }
    }

    #[inline]
    fn put(&self, out: &mut Vec<u8>) {
        match &self.padded {
            Some(p) => {
                let end = out.len() + self.text.len();
                out.extend_from_slice(p);
                out.truncate(end);
            }
            None => out.extend_from_slice(&self.text),
        }
    }
}

impl Plan {
    pub fn new(schema: &Schema) -> Plan {
        let mut dense = Vec::with_capacity(schema.enums.len());
        let mut sparse = Vec::with_capacity(schema.enums.len());
        for e in &schema.enums {
            let mut d = vec![None; DENSE_ENUM];
            let mut s = HashMap::new();
            for (&n, name) in e {
                let q = Key::new(&quoted(name));
                match usize::try_from(n).ok().filter(|&i| i < DENSE_ENUM) {
                    Some(i) => d[i] = Some(q),
                    None => {
                        s.insert(n, q);
                    }
                }
            }
            dense.push(d);
            sparse.push(s);
        }
        let slot = |f: &crate::schema::Field| Slot {
            kind: f.kind,
            wire: wire_type(f.kind),
            repeated: f.repeated,
            key: [":", ": "].map(|sep| Key::new(&format!("{}{sep}", f.json_key))),
        };
        let slots = schema
            .messages
            .iter()
            .map(|m| {
                let mut t = Slots::default();
                for f in &m.fields {
                    if f.number < NEAR {
                        let i = f.number as usize;
                        if t.near.len() <= i {
                            t.near.resize(i + 1, None);
                        }
                        t.near[i] = Some(slot(f));
                    } else {
                        t.far.insert(f.number, slot(f));
                    }
                }
                t
            })
            .collect();
        Plan {
            dense,
            sparse,
            slots,
        }
    }

    fn enum_name(&self, e: usize, n: i32) -> Option<&Key> {
        match usize::try_from(n).ok().filter(|&i| i < DENSE_ENUM) {
            Some(i) => self.dense.get(e)?.get(i)?.as_ref(),
            None => self.sparse.get(e)?.get(&n),
        }
    }
}

/// Appends the JSON of the `LogEntry` in `buf` to `out`, or leaves `out` as it was and
/// returns [`Bail`].
pub fn json(
    out: &mut Vec<u8>,
    schema: &Schema,
    plan: &Plan,
    buf: &[u8],
    style: JsonStyle,
) -> Result<(), Bail> {
    let start = out.len();
    let w = Walk {
        plan,
        style,
        key: usize::from(style == JsonStyle::Pretty),
    };
    let r = w.message(out, schema.root, buf, 0, 0);
    if r.is_err() {
        out.truncate(start);
    }
    r
}

struct Walk<'s> {
    plan: &'s Plan,
    style: JsonStyle,
    /// Which of a slot's keys: 0 compact, 1 pretty.
    key: usize,
}

impl Walk<'_> {
    fn newline(&self, out: &mut Vec<u8>, level: usize) {
        if self.style == JsonStyle::Pretty {
            out.push(b'\n');
            for _ in 0..level {
                out.extend_from_slice(b"  ");
            }
        }
    }

    fn message(
        &self,
        out: &mut Vec<u8>,
        mi: usize,
        buf: &[u8],
        level: usize,
        depth: usize,
    ) -> Result<(), Bail> {
        if depth > MAX_DEPTH {
            return Err(Bail);
        }
        let slots = self.plan.slots.get(mi).ok_or(Bail)?;
        let mut r = Cursor {
            buf,
            pos: 0,
            base: 0,
        };
        out.push(b'{');
        // The last field written, and the element count of its array if repeated.
        let mut last = 0u32;
        let mut array: Option<usize> = None;
        while !r.done() {
            let key = r.read_varint().ok_or(Bail)?;
            let (number, wt) = (key >> 3, (key & 7) as u8);
            if number == 0 || number > u64::from(u32::MAX >> 3) {
                return Err(Bail);
            }
            let number = number as u32;
            let Some(f) = slots.get(number) else {
                // Unknown to the schema: `MessageToJson` drops it.
                skip(wt, &mut r)?;
                continue;
            };
            let want = f.wire;
            let packed = wt == 2 && f.repeated && want != 2;
            if (wt != want && !packed) || number < last || (number == last && !f.repeated) {
                // Out of order, a repeated singular field (last wins, messages merge) or
                // a mismatched wire type: the decoder sorts those out.
                return Err(Bail);
            }
            if number != last {
                if let Some(n) = array.take() {
                    self.close_array(out, level + 1, n);
                }
                if last != 0 {
                    out.push(b',');
                }
                self.newline(out, level + 1);
                f.key[self.key].put(out);
                last = number;
                if f.repeated {
                    out.push(b'[');
                    array = Some(0);
                }
            }
            match array.as_mut() {
                Some(count) if packed => {
                    let body = r.read_bytes().ok_or(Bail)?;
                    let mut inner = Cursor {
                        buf: body,
                        pos: 0,
                        base: 0,
                    };
                    while !inner.done() {
                        self.element(out, level + 2, count);
                        self.value(out, f.kind, &mut inner, level + 2, depth)?;
                    }
                }
                Some(count) => {
                    self.element(out, level + 2, count);
                    self.value(out, f.kind, &mut r, level + 2, depth)?;
                }
                None => self.value(out, f.kind, &mut r, level + 1, depth)?,
            }
        }
        if let Some(n) = array {
            self.close_array(out, level + 1, n);
        }
        if last != 0 {
            self.newline(out, level);
        }
        out.push(b'}');
        Ok(())
    }

    fn element(&self, out: &mut Vec<u8>, level: usize, count: &mut usize) {
        if *count > 0 {
            out.push(b',');
        }
        *count += 1;
        self.newline(out, level);
    }

    fn close_array(&self, out: &mut Vec<u8>, level: usize, n: usize) {
        if n > 0 {
            self.newline(out, level);
        }
        out.push(b']');
    }

    fn value(
        &self,
        out: &mut Vec<u8>,
        k: Kind,
        r: &mut Cursor<'_>,
        level: usize,
        depth: usize,
    ) -> Result<(), Bail> {
        // Same value → text mapping as `render::json_value` over `decode::scalar`.
        match k {
            Kind::Int32 => put_i64(out, i64::from(r.read_varint().ok_or(Bail)? as i32)),
            Kind::Int64 => quoted_i64(out, r.read_varint().ok_or(Bail)? as i64),
            Kind::Uint32 => put_u64(out, u64::from(r.read_varint().ok_or(Bail)? as u32)),
            Kind::Uint64 => quoted_u64(out, r.read_varint().ok_or(Bail)?),
            Kind::Sint32 => {
                let n = r.read_varint().ok_or(Bail)? as u32;
                put_i64(out, i64::from(((n >> 1) as i32) ^ -((n & 1) as i32)));
            }
            Kind::Sint64 => {
                let n = r.read_varint().ok_or(Bail)?;
                quoted_i64(out, ((n >> 1) as i64) ^ -((n & 1) as i64));
            }
            Kind::Fixed32 => put_u64(out, u64::from(r.read_fixed32().ok_or(Bail)?)),
            Kind::Fixed64 => quoted_u64(out, r.read_fixed64().ok_or(Bail)?),
            Kind::Sfixed32 => put_i64(out, i64::from(r.read_fixed32().ok_or(Bail)? as i32)),
            Kind::Sfixed64 => quoted_i64(out, r.read_fixed64().ok_or(Bail)? as i64),
            Kind::Bool => out.extend_from_slice(if r.read_varint().ok_or(Bail)? != 0 {
                b"true"
            } else {
                b"false"
            }),
            Kind::Float => {
                let x = f32::from_bits(r.read_fixed32().ok_or(Bail)?);
                put_float(out, f64::from(x), Some(x));
            }
            Kind::Double => put_float(out, f64::from_bits(r.read_fixed64().ok_or(Bail)?), None),
            Kind::String => put_str(out, r.read_bytes().ok_or(Bail)?),
            Kind::Bytes => {
                let b = r.read_bytes().ok_or(Bail)?;
                out.push(b'"');
                put_base64(out, b);
                out.push(b'"');
            }
            Kind::Enum(e) => {
                let n = r.read_varint().ok_or(Bail)? as i32;
                match self.plan.enum_name(e, n) {
                    Some(name) => name.put(out),
                    None => put_i64(out, i64::from(n)),
                }
            }
            Kind::Message(m) => {
                let body = r.read_bytes().ok_or(Bail)?;
                self.message(out, m, body, level, depth + 1)?;
            }
        }
        Ok(())
    }
}

/// 64-bit integers are JSON strings in `MessageToJson`.
fn quoted_i64(out: &mut Vec<u8>, n: i64) {
    out.push(b'"');
    put_i64(out, n);
    out.push(b'"');
}

fn quoted_u64(out: &mut Vec<u8>, n: u64) {
    out.push(b'"');
    put_u64(out, n);
    out.push(b'"');
}

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

#[cfg(test)]
#[path = "direct_tests.rs"]
mod tests;
