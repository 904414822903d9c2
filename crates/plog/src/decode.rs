//! Protobuf wire decoding into a borrowed value tree, driven by a [`Schema`] or, with
//! none, generically (field numbers and wire types; length-delimited values become
//! strings when printable, nested messages when they parse, else bytes).
//!
//! Fields come out sorted by number, singular fields keep their last occurrence and
//! singular messages merge, as protobuf's parser (and so `MessageToJson`) does. Reads no
//! files and renders nothing (that is [`crate::render`]).

use smallvec::{SmallVec, smallvec};

use crate::schema::{Field, Kind, Message, Schema};
use crate::wire::{Cursor, DecodeError, MAX_DEPTH, skip};

/// One decoded value. Strings and bytes borrow from the decompressed chunk.
#[derive(Debug, Clone, PartialEq)]
pub enum Value<'a> {
    I32(i32),
    I64(i64),
    U32(u32),
    U64(u64),
    Bool(bool),
    F32(f32),
    F64(f64),
    Str(&'a [u8]),
    Bytes(&'a [u8]),
    Enum(usize, i32),
    Msg(Msg<'a>),
    /// Generic decoding only: wire types 0, 1 and 5.
    Varint(u64),
    Fixed64(u64),
    Fixed32(u32),
}

/// All occurrences of one field number.
#[derive(Debug, Clone, PartialEq)]
pub struct FieldValue<'a> {
    pub number: u32,
    /// Index into the message's schema fields; `None` for generically decoded fields.
    pub field: Option<usize>,
    /// Schema: the field is `repeated`. Generic: it occurred more than once.
    pub repeated: bool,
    pub values: Values<'a>,
}

/// Occurrences of a field; almost always one, so kept inline.
pub type Values<'a> = SmallVec<[Value<'a>; 1]>;

/// A decoded message.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Msg<'a> {
    /// Schema message index; `None` when decoded generically.
    pub schema: Option<usize>,
    pub fields: Vec<FieldValue<'a>>,
}

/// Decoder configuration: a schema, or the built-in generic one.
pub struct Decoder {
    schema: Schema,
    /// Keep unknown fields (generic mode). `MessageToJson` drops them, so a real
    /// schema does too.
    keep_unknown: bool,
}

impl Decoder {
    pub fn new(schema: Option<Schema>) -> Decoder {
        match schema {
            Some(schema) => Decoder {
                schema,
                keep_unknown: false,
            },
            None => Decoder {
                schema: generic_schema(),
                keep_unknown: true,
            },
        }
    }

    pub fn schema(&self) -> &Schema {
        &self.schema
    }

    /// Decoding without a schema (unknown fields are kept and shown).
    pub fn is_generic(&self) -> bool {
        self.keep_unknown
    }

    /// Decodes one `LogEntry`.
    pub fn decode<'a>(&self, buf: &'a [u8]) -> Result<Msg<'a>, DecodeError> {
        self.message(Some(self.schema.root), buf, 0, 0)
    }

    fn message<'a>(
        &self,
        m: Option<usize>,
        buf: &'a [u8],
        base: usize,
        depth: usize,
    ) -> Result<Msg<'a>, DecodeError> {
        if depth > MAX_DEPTH {
            return Err(DecodeError {
                offset: base,
                msg: format!("messages nested deeper than {MAX_DEPTH}"),
            });
        }
        let desc: Option<&Message> = m.and_then(|i| self.schema.messages.get(i));
        let mut out = Msg {
            schema: m,
            fields: Vec::with_capacity(if buf.is_empty() { 0 } else { 4 }),
        };
        let mut r = Cursor { buf, pos: 0, base };
        while !r.done() {
            let at = r.pos;
            let key = r.varint()?;
            let (number, wt) = ((key >> 3) as u32, (key & 7) as u8);
            if key >> 3 == 0 || key >> 3 > u64::from(u32::MAX >> 3) {
                return Err(r.err_at(at, format!("invalid field number {}", key >> 3)));
            }
            let known = desc.and_then(|d| d.find(number).map(|i| (i, &d.fields[i])));
            match known {
                Some((idx, f)) => {
                    if let Some(vals) = self.known(f, wt, &mut r, depth)? {
                        merge(&mut out, number, Some(idx), f, vals);
                    }
                }
                None if self.keep_unknown => {
                    let v = self.generic(wt, &mut r, depth)?;
                    match out.fields.iter_mut().find(|fv| fv.number == number) {
                        Some(fv) => {
                            fv.repeated = true;
                            fv.values.push(v);
                        }
                        None => out.fields.push(FieldValue {
                            number,
                            field: None,
                            repeated: false,
                            values: smallvec![v],
                        }),
                    }
                }
                None => skip(wt, &mut r)?,
            }
        }
        if !out.fields.is_sorted_by_key(|f| f.number) {
            out.fields.sort_by_key(|f| f.number);
        }
        Ok(out)
    }

    /// Decodes a schema field; `None` when the wire type does not match (protobuf then
    /// treats it as an unknown field, which `MessageToJson` does not show).
    fn known<'a>(
        &self,
        f: &Field,
        wt: u8,
        r: &mut Cursor<'a>,
        depth: usize,
    ) -> Result<Option<Values<'a>>, DecodeError> {
        let want = wire_type(f.kind);
        if wt == want {
            return Ok(Some(smallvec![self.scalar(f.kind, r, depth)?]));
        }
        if wt == 2 && f.repeated && want != 2 {
            // Packed repeated scalars.
            let body = r.bytes()?;
            let mut inner = Cursor {
                buf: body,
                pos: 0,
                base: r.base + r.pos - body.len(),
            };
            let mut vals = Values::new();
            while !inner.done() {
                vals.push(self.scalar(f.kind, &mut inner, depth)?);
            }
            return Ok(Some(vals));
        }
        skip(wt, r)?;
        Ok(None)
    }

    fn scalar<'a>(
        &self,
        k: Kind,
        r: &mut Cursor<'a>,
        depth: usize,
    ) -> Result<Value<'a>, DecodeError> {
        Ok(match k {
            Kind::Int32 => Value::I32(r.varint()? as i32),
            Kind::Int64 => Value::I64(r.varint()? as i64),
            Kind::Uint32 => Value::U32(r.varint()? as u32),
            Kind::Uint64 => Value::U64(r.varint()?),
            Kind::Sint32 => {
                let n = r.varint()? as u32;
                Value::I32(((n >> 1) as i32) ^ -((n & 1) as i32))
            }
            Kind::Sint64 => {
                let n = r.varint()?;
                Value::I64(((n >> 1) as i64) ^ -((n & 1) as i64))
            }
            Kind::Fixed32 => Value::U32(r.fixed32()?),
            Kind::Fixed64 => Value::U64(r.fixed64()?),
            Kind::Sfixed32 => Value::I32(r.fixed32()? as i32),
            Kind::Sfixed64 => Value::I64(r.fixed64()? as i64),
            Kind::Bool => Value::Bool(r.varint()? != 0),
            Kind::Float => Value::F32(f32::from_bits(r.fixed32()?)),
            Kind::Double => Value::F64(f64::from_bits(r.fixed64()?)),
            Kind::String => Value::Str(r.bytes()?),
            Kind::Bytes => Value::Bytes(r.bytes()?),
            Kind::Enum(e) => Value::Enum(e, r.varint()? as i32),
            Kind::Message(m) => {
                let body = r.bytes()?;
                let base = r.base + r.pos - body.len();
                Value::Msg(self.message(Some(m), body, base, depth + 1)?)
            }
        })
    }

    fn generic<'a>(
        &self,
        wt: u8,
        r: &mut Cursor<'a>,
        depth: usize,
    ) -> Result<Value<'a>, DecodeError> {
        Ok(match wt {
            0 => Value::Varint(r.varint()?),
            1 => Value::Fixed64(r.fixed64()?),
            5 => Value::Fixed32(r.fixed32()?),
            2 => {
                let body = r.bytes()?;
                let base = r.base + r.pos - body.len();
                if printable(body) {
                    Value::Str(body)
                } else if depth < MAX_DEPTH
                    && let Ok(m) = self.message(None, body, base, depth + 1)
                {
                    Value::Msg(m)
                } else {
                    Value::Bytes(body)
                }
            }
            _ => return Err(r.err(format!("unsupported wire type {wt}"))),
        })
    }
}

/// Adds decoded occurrences to `out` with protobuf's merge rules.
fn merge<'a>(out: &mut Msg<'a>, number: u32, idx: Option<usize>, f: &Field, vals: Values<'a>) {
    let Some(fv) = out.fields.iter_mut().find(|fv| fv.number == number) else {
        let values = if f.repeated || vals.len() == 1 {
            vals
        } else {
            vals.into_iter().next_back().into_iter().collect()
        };
        out.fields.push(FieldValue {
            number,
            field: idx,
            repeated: f.repeated,
            values,
        });
        return;
    };
    if f.repeated {
        fv.values.extend(vals);
        return;
    }
    for v in vals {
        match (fv.values.last_mut(), v) {
            (Some(Value::Msg(old)), Value::Msg(new)) => merge_msg(old, new),
            (_, v) => fv.values = smallvec![v],
        }
    }
}

fn merge_msg<'a>(old: &mut Msg<'a>, new: Msg<'a>) {
    for nf in new.fields {
        match old.fields.iter_mut().find(|f| f.number == nf.number) {
            Some(of) if of.repeated => of.values.extend(nf.values),
            Some(of) => match (of.values.last_mut(), nf.values.into_iter().next_back()) {
                (Some(Value::Msg(a)), Some(Value::Msg(b))) => merge_msg(a, b),
                (_, Some(v)) => of.values = smallvec![v],
                (_, None) => {}
            },
            None => old.fields.push(nf),
        }
    }
    old.fields.sort_by_key(|f| f.number);
}

/// The wire type a field of kind `k` is written with (unpacked).
pub(crate) fn wire_type(k: Kind) -> u8 {
    match k {
        Kind::Fixed64 | Kind::Sfixed64 | Kind::Double => 1,
        Kind::Fixed32 | Kind::Sfixed32 | Kind::Float => 5,
        Kind::String | Kind::Bytes | Kind::Message(_) => 2,
        _ => 0,
    }
}

/// Printable UTF-8 text (tabs and newlines allowed): shown as a string generically.
fn printable(b: &[u8]) -> bool {
    match std::str::from_utf8(b) {
        Ok(s) => s
            .chars()
            .all(|c| !c.is_control() || c == '\n' || c == '\t' || c == '\r'),
        Err(_) => false,
    }
}

/// The schema used without a real one: only `pc` (1) and `instr` (2) are known, as
/// every `LogEntry` carries them.
fn generic_schema() -> Schema {
    let field = |number, name: &str| Field {
        number,
        name: name.into(),
        json_key: crate::json::quoted(name),
        kind: Kind::Uint64,
        repeated: false,
    };
    crate::schema::Schema::from_fields(vec![field(1, "pc"), field(2, "instr")])
}
