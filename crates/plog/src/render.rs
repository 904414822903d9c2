//! Renderings of a decoded entry: JSON exactly as protobuf's Python `MessageToJson`
//! prints it (2-space indent, ASCII-only, 64-bit integers as strings, Python float
//! repr), compact JSON for `jsonl`, and a one-line `path=value` text form used by
//! `dump --format text`, `diff` and the compare mode. Appends to a `String`: no I/O.

use std::fmt::Write as _;

use crate::decode::{FieldValue, Msg, Value};
use crate::json::{base64, json_float, json_str, push_i64, push_u64, py_repr, shortest_f32};
use crate::schema::Schema;

/// JSON layout: pretty (Python's `indent=2`) or compact (one line).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JsonStyle {
    Pretty,
    Compact,
}

/// Appends the JSON rendering of `m` to `out`.
pub fn json(out: &mut String, schema: &Schema, m: &Msg<'_>, style: JsonStyle) {
    json_msg(out, schema, m, style, 0);
}

fn newline(out: &mut String, style: JsonStyle, level: usize) {
    if style == JsonStyle::Pretty {
        out.push('\n');
        for _ in 0..level {
            out.push_str("  ");
        }
    }
}

fn json_msg(out: &mut String, schema: &Schema, m: &Msg<'_>, style: JsonStyle, level: usize) {
    if m.fields.is_empty() {
        out.push_str("{}");
        return;
    }
    out.push('{');
    let sep = if style == JsonStyle::Pretty {
        ": "
    } else {
        ":"
    };
    for (i, f) in m.fields.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        newline(out, style, level + 1);
        match (m.schema, f.field) {
            (Some(mi), Some(fi)) => out.push_str(&schema.messages[mi].fields[fi].json_key),
            _ => {
                out.push('"');
                push_u64(out, u64::from(f.number));
                out.push('"');
            }
        }
        out.push_str(sep);
        if f.repeated {
            if f.values.is_empty() {
                out.push_str("[]");
                continue;
            }
            out.push('[');
            for (j, v) in f.values.iter().enumerate() {
                if j > 0 {
                    out.push(',');
                }
                newline(out, style, level + 2);
                json_value(out, schema, v, style, level + 2);
            }
            newline(out, style, level + 1);
            out.push(']');
        } else if let Some(v) = f.values.last() {
            json_value(out, schema, v, style, level + 1);
        }
    }
    newline(out, style, level);
    out.push('}');
}

fn json_value(out: &mut String, schema: &Schema, v: &Value<'_>, style: JsonStyle, level: usize) {
    match v {
        Value::I32(n) => push_i64(out, i64::from(*n)),
        Value::U32(n) | Value::Fixed32(n) => push_u64(out, u64::from(*n)),
        Value::I64(n) => {
            out.push('"');
            push_i64(out, *n);
            out.push('"');
        }
        Value::U64(n) => {
            out.push('"');
            push_u64(out, *n);
            out.push('"');
        }
        Value::Varint(n) | Value::Fixed64(n) => push_u64(out, *n),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::F32(x) => json_float(out, f64::from(*x), Some(*x)),
        Value::F64(x) => json_float(out, *x, None),
        Value::Str(s) => json_str(out, s),
        Value::Bytes(b) => {
            out.push('"');
            base64(out, b);
            out.push('"');
        }
        Value::Enum(e, n) => match schema.enums.get(*e).and_then(|m| m.get(n)) {
            Some(name) => json_str(out, name.as_bytes()),
            None => push_display(out, n),
        },
        Value::Msg(m) => json_msg(out, schema, m, style, level),
    }
}

fn push_display(out: &mut String, v: impl std::fmt::Display) {
    let _ = write!(out, "{v}");
}

/// One-line text form: `instr=… pc=0x… a.b=… list=[…] msgs[0].x=…`, fields by number.
pub fn text(out: &mut String, schema: &Schema, m: &Msg<'_>) {
    let get = |n: u32| {
        m.fields
            .iter()
            .find(|f| f.number == n && m.schema == Some(schema.root))
            .and_then(|f| f.values.last())
    };
    let num = |v: Option<&Value<'_>>| match v {
        Some(Value::U64(n) | Value::Varint(n)) => Some(*n),
        _ => None,
    };
    match num(get(2)) {
        Some(n) => {
            let _ = write!(out, "instr={n}");
        }
        None => out.push_str("instr=?"),
    }
    match num(get(1)) {
        Some(n) => {
            let _ = write!(out, " pc={n:#x}");
        }
        None => out.push_str(" pc=?"),
    }
    let mut path = String::new();
    for f in &m.fields {
        if m.schema == Some(schema.root) && (f.number == 1 || f.number == 2) && f.field.is_some() {
            continue;
        }
        push_key(&mut path, schema, m, f);
        text_field(out, schema, &mut path, f);
        path.clear();
    }
}

/// Appends a field's text name (`asid_info`, or `#40` when generic) to `path`.
fn push_key(path: &mut String, schema: &Schema, m: &Msg<'_>, f: &FieldValue<'_>) {
    match (m.schema, f.field) {
        (Some(mi), Some(fi)) => path.push_str(&schema.messages[mi].fields[fi].name),
        _ => {
            path.push('#');
            push_u64(path, u64::from(f.number));
        }
    }
}

/// Writes ` path=value` tokens for one field; `path` is a reused buffer that is
/// extended for nested fields and restored afterwards.
fn text_field(out: &mut String, schema: &Schema, path: &mut String, f: &FieldValue<'_>) {
    let all_msgs = f.values.iter().all(|v| matches!(v, Value::Msg(_)));
    if f.repeated && !all_msgs {
        out.push(' ');
        out.push_str(path);
        out.push_str("=[");
        for (i, v) in f.values.iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            text_scalar(out, schema, v);
        }
        out.push(']');
        return;
    }
    let base = path.len();
    for (i, v) in f.values.iter().enumerate() {
        if f.repeated {
            path.push('[');
            push_u64(path, i as u64);
            path.push(']');
        }
        match v {
            Value::Msg(m) if m.fields.is_empty() => {
                out.push(' ');
                out.push_str(path);
                out.push_str("={}");
            }
            Value::Msg(m) => {
                let here = path.len();
                for sf in &m.fields {
                    path.push('.');
                    push_key(path, schema, m, sf);
                    text_field(out, schema, path, sf);
                    path.truncate(here);
                }
            }
            v => {
                out.push(' ');
                out.push_str(path);
                out.push('=');
                text_scalar(out, schema, v);
            }
        }
        path.truncate(base);
    }
}

fn text_scalar(out: &mut String, schema: &Schema, v: &Value<'_>) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    match v {
        Value::Str(s) => json_str(out, s),
        Value::Bytes(b) => {
            out.push_str("hex:");
            for x in *b {
                out.push(char::from(HEX[usize::from(x >> 4)]));
                out.push(char::from(HEX[usize::from(x & 15)]));
            }
        }
        Value::F32(x) => out.push_str(&py_repr(shortest_f32(*x))),
        Value::F64(x) => out.push_str(&py_repr(*x)),
        Value::Enum(e, n) => match schema.enums.get(*e).and_then(|m| m.get(n)) {
            Some(name) => out.push_str(name),
            None => push_display(out, n),
        },
        Value::Msg(m) => json_msg(out, schema, m, JsonStyle::Compact, 0),
        Value::I64(n) => push_i64(out, *n),
        Value::U64(n) => push_u64(out, *n),
        other => json_value(out, schema, other, JsonStyle::Compact, 0),
    }
}
