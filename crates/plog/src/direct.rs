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
use crate::json::{base64, json_float, json_str, push_i64, push_u64};
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
    dense: Vec<Vec<Option<String>>>,
    /// Per enum: quoted names of the values outside the dense range.
    sparse: Vec<HashMap<i32, String>>,
    /// Per message and field: `"key":` and `"key": ` (one copy instead of two).
    keys: [Vec<Vec<String>>; 2],
}

impl Plan {
    pub fn new(schema: &Schema) -> Plan {
        let mut dense = Vec::with_capacity(schema.enums.len());
        let mut sparse = Vec::with_capacity(schema.enums.len());
        for e in &schema.enums {
            let mut d = vec![None; DENSE_ENUM];
            let mut s = HashMap::new();
            for (&n, name) in e {
                let mut q = String::with_capacity(name.len() + 2);
                json_str(&mut q, name.as_bytes());
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
        let keys = [":", ": "].map(|sep| {
            let key = |f: &crate::schema::Field| format!("{}{sep}", f.json_key);
            let fields = |m: &crate::schema::Message| m.fields.iter().map(key).collect();
            schema.messages.iter().map(fields).collect()
        });
        Plan {
            dense,
            sparse,
            keys,
        }
    }

    fn enum_name(&self, e: usize, n: i32) -> Option<&str> {
        match usize::try_from(n).ok().filter(|&i| i < DENSE_ENUM) {
            Some(i) => self.dense.get(e)?.get(i)?.as_deref(),
            None => self.sparse.get(e)?.get(&n).map(String::as_str),
        }
    }
}

/// Appends the JSON of the `LogEntry` in `buf` to `out`, or leaves `out` as it was and
/// returns [`Bail`].
pub fn json(
    out: &mut String,
    schema: &Schema,
    plan: &Plan,
    buf: &[u8],
    style: JsonStyle,
) -> Result<(), Bail> {
    let start = out.len();
    let w = Walk {
        schema,
        plan,
        style,
        keys: &plan.keys[usize::from(style == JsonStyle::Pretty)],
    };
    let r = w.message(out, schema.root, buf, 0, 0);
    if r.is_err() {
        out.truncate(start);
    }
    r
}

struct Walk<'s> {
    schema: &'s Schema,
    plan: &'s Plan,
    style: JsonStyle,
    keys: &'s [Vec<String>],
}

impl Walk<'_> {
    fn newline(&self, out: &mut String, level: usize) {
        if self.style == JsonStyle::Pretty {
            out.push('\n');
            for _ in 0..level {
                out.push_str("  ");
            }
        }
    }

    fn message(
        &self,
        out: &mut String,
        mi: usize,
        buf: &[u8],
        level: usize,
        depth: usize,
    ) -> Result<(), Bail> {
        if depth > MAX_DEPTH {
            return Err(Bail);
        }
        let desc = self.schema.messages.get(mi).ok_or(Bail)?;
        let keys = self.keys.get(mi).ok_or(Bail)?;
        let mut r = Cursor {
            buf,
            pos: 0,
            base: 0,
        };
        out.push('{');
        // The last field written, and the element count of its array if repeated.
        let mut last = 0u32;
        let mut array: Option<usize> = None;
        while !r.done() {
            let key = r.varint()?;
            let (number, wt) = (key >> 3, (key & 7) as u8);
            if number == 0 || number > u64::from(u32::MAX >> 3) {
                return Err(Bail);
            }
            let number = number as u32;
            let Some(fi) = desc.find(number) else {
                // Unknown to the schema: `MessageToJson` drops it.
                skip(wt, &mut r)?;
                continue;
            };
            let f = &desc.fields[fi];
            let want = wire_type(f.kind);
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
                    out.push(',');
                }
                self.newline(out, level + 1);
                out.push_str(keys.get(fi).ok_or(Bail)?);
                last = number;
                if f.repeated {
                    out.push('[');
                    array = Some(0);
                }
            }
            match array.as_mut() {
                Some(count) if packed => {
                    let body = r.bytes()?;
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
        out.push('}');
        Ok(())
    }

    fn element(&self, out: &mut String, level: usize, count: &mut usize) {
        if *count > 0 {
            out.push(',');
        }
        *count += 1;
        self.newline(out, level);
    }

    fn close_array(&self, out: &mut String, level: usize, n: usize) {
        if n > 0 {
            self.newline(out, level);
        }
        out.push(']');
    }

    fn value(
        &self,
        out: &mut String,
        k: Kind,
        r: &mut Cursor<'_>,
        level: usize,
        depth: usize,
    ) -> Result<(), Bail> {
        // Same value → text mapping as `render::json_value` over `decode::scalar`.
        match k {
            Kind::Int32 => push_i64(out, i64::from(r.varint()? as i32)),
            Kind::Int64 => quoted_i64(out, r.varint()? as i64),
            Kind::Uint32 => push_u64(out, u64::from(r.varint()? as u32)),
            Kind::Uint64 => quoted_u64(out, r.varint()?),
            Kind::Sint32 => {
                let n = r.varint()? as u32;
                push_i64(out, i64::from(((n >> 1) as i32) ^ -((n & 1) as i32)));
            }
            Kind::Sint64 => {
                let n = r.varint()?;
                quoted_i64(out, ((n >> 1) as i64) ^ -((n & 1) as i64));
            }
            Kind::Fixed32 => push_u64(out, u64::from(r.fixed32()?)),
            Kind::Fixed64 => quoted_u64(out, r.fixed64()?),
            Kind::Sfixed32 => push_i64(out, i64::from(r.fixed32()? as i32)),
            Kind::Sfixed64 => quoted_i64(out, r.fixed64()? as i64),
            Kind::Bool => out.push_str(if r.varint()? != 0 { "true" } else { "false" }),
            Kind::Float => {
                let x = f32::from_bits(r.fixed32()?);
                json_float(out, f64::from(x), Some(x));
            }
            Kind::Double => json_float(out, f64::from_bits(r.fixed64()?), None),
            Kind::String => json_str(out, r.bytes()?),
            Kind::Bytes => {
                let b = r.bytes()?;
                out.push('"');
                base64(out, b);
                out.push('"');
            }
            Kind::Enum(e) => {
                let n = r.varint()? as i32;
                match self.plan.enum_name(e, n) {
                    Some(name) => out.push_str(name),
                    None => push_i64(out, i64::from(n)),
                }
            }
            Kind::Message(m) => {
                let body = r.bytes()?;
                self.message(out, m, body, level, depth + 1)?;
            }
        }
        Ok(())
    }
}

/// 64-bit integers are JSON strings in `MessageToJson`.
fn quoted_i64(out: &mut String, n: i64) {
    out.push('"');
    push_i64(out, n);
    out.push('"');
}

fn quoted_u64(out: &mut String, n: u64) {
    out.push('"');
    push_u64(out, n);
    out.push('"');
}

/// True when the decoder would accept `buf` as a message of schema message `mi`
/// (`None`: generically). Walks the same tags and bounds the decoder checks, without
/// building anything. `false` means "ask the decoder", which names the error.
pub fn decodes(schema: &Schema, mi: Option<usize>, buf: &[u8], depth: usize) -> bool {
    check(schema, mi, buf, depth).is_ok()
}

fn check(schema: &Schema, mi: Option<usize>, buf: &[u8], depth: usize) -> Result<(), Bail> {
    if depth > MAX_DEPTH {
        return Err(Bail);
    }
    let desc = mi.and_then(|i| schema.messages.get(i));
    let mut r = Cursor {
        buf,
        pos: 0,
        base: 0,
    };
    while !r.done() {
        let key = r.varint()?;
        let wt = (key & 7) as u8;
        if key >> 3 == 0 || key >> 3 > u64::from(u32::MAX >> 3) {
            return Err(Bail);
        }
        let field = desc.and_then(|d| d.find((key >> 3) as u32).map(|i| &d.fields[i]));
        // Unknown fields, generic or dropped, fail exactly when skipping them does.
        let Some(f) = field else {
            skip(wt, &mut r)?;
            continue;
        };
        let want = wire_type(f.kind);
        if wt == want {
            check_scalar(schema, f.kind, &mut r, depth)?;
        } else if wt == 2 && f.repeated && want != 2 {
            let body = r.bytes()?;
            let mut inner = Cursor {
                buf: body,
                pos: 0,
                base: 0,
            };
            while !inner.done() {
                check_scalar(schema, f.kind, &mut inner, depth)?;
            }
        } else {
            skip(wt, &mut r)?;
        }
    }
    Ok(())
}

fn check_scalar(schema: &Schema, k: Kind, r: &mut Cursor<'_>, depth: usize) -> Result<(), Bail> {
    match k {
        Kind::Message(m) => check(schema, Some(m), r.bytes()?, depth + 1),
        k => skip(wire_type(k), r).map_err(Bail::from),
    }
}

#[cfg(test)]
#[path = "direct_tests.rs"]
mod tests;
