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

//!
//! Here: rendering ([`json`]); `plan` holds the per-schema tables it uses, `check` the
//! decode check.

mod check;
mod plan;

use crate::json::{put_base64, put_float, put_i64, put_str, put_u64};
use crate::render::JsonStyle;
use crate::schema::{Kind, Schema};
use crate::wire::{Cursor, DecodeError, MAX_DEPTH, skip};
pub use check::{PcInstr, decodes, decodes_with_pc_instr};
pub use plan::Plan;

/// The fast path declined an entry; nothing of it was kept in the output.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Bail;

impl From<DecodeError> for Bail {
    fn from(_: DecodeError) -> Bail {
        Bail
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

#[cfg(test)]
mod tests;
