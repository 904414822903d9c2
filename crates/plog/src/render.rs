//! Renderings of a decoded entry: JSON exactly as protobuf's Python `MessageToJson`
//! prints it (2-space indent, ASCII-only, 64-bit integers as strings, Python float
//! repr), compact JSON for `jsonl`, and a one-line `path=value` text form used by
//! `dump --format text`, `diff` and the compare mode.

use std::fmt::Write as _;

use crate::decode::{FieldValue, Msg, Value};
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

/// Decimal digits without going through `fmt` (the hot path of every dump).
fn push_u64(out: &mut String, mut n: u64) {
    let mut buf = [0u8; 20];
    let mut i = buf.len();
    loop {
        i -= 1;
        buf[i] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    out.push_str(std::str::from_utf8(&buf[i..]).unwrap_or_default());
}

fn push_i64(out: &mut String, n: i64) {
    if n < 0 {
        out.push('-');
    }
    push_u64(out, n.unsigned_abs());
}

fn json_float(out: &mut String, x: f64, single: Option<f32>) {
    if x.is_nan() {
        out.push_str("\"NaN\"");
    } else if x.is_infinite() {
        out.push_str(if x > 0.0 {
            "\"Infinity\""
        } else {
            "\"-Infinity\""
        });
    } else {
        out.push_str(&match single {
            Some(f) => py_repr(shortest_f32(f)),
            None => py_repr(x),
        });
    }
}

/// protobuf's `ToShortestFloat`: the fewest significant digits (at least 6) that read
/// back as the same `f32`, as an `f64`.
fn shortest_f32(f: f32) -> f64 {
    for prec in 6..=9 {
        let s = format!("{:.*e}", prec - 1, f64::from(f));
        if let Ok(r) = s.parse::<f64>()
            && r as f32 == f
        {
            return r;
        }
    }
    f64::from(f)
}

/// Python's `repr(float)`: shortest round-trip digits; scientific notation when the
/// decimal exponent is below -4 or at least 16.
pub fn py_repr(x: f64) -> String {
    if x == 0.0 {
        return if x.is_sign_negative() {
            "-0.0".into()
        } else {
            "0.0".into()
        };
    }
    let sci = format!("{x:e}");
    let (mant, exp) = sci.split_once('e').unwrap_or((&sci, "0"));
    let exp: i32 = exp.parse().unwrap_or(0);
    let (neg, mant) = mant.strip_prefix('-').map_or((false, mant), |m| (true, m));
    let digits: String = mant.chars().filter(|c| c.is_ascii_digit()).collect();
    let mut s = String::new();
    if neg {
        s.push('-');
    }
    let decpt = exp + 1;
    if !(-4 < decpt && decpt <= 16) {
        s.push_str(&digits[..1]);
        if digits.len() > 1 {
            s.push('.');
            s.push_str(&digits[1..]);
        }
        let _ = write!(s, "e{}{:02}", if exp < 0 { '-' } else { '+' }, exp.abs());
    } else if decpt <= 0 {
        s.push_str("0.");
        for _ in 0..-decpt {
            s.push('0');
        }
        s.push_str(&digits);
    } else {
        let d = decpt as usize;
        if digits.len() <= d {
            s.push_str(&digits);
            for _ in digits.len()..d {
                s.push('0');
            }
            s.push_str(".0");
        } else {
            s.push_str(&digits[..d]);
            s.push('.');
            s.push_str(&digits[d..]);
        }
    }
    s
}

/// A JSON string as Python's `json.dumps(ensure_ascii=True)` writes it.
pub fn json_str(out: &mut String, s: &[u8]) {
    out.push('"');
    // Fast path: plain printable ASCII needs no escaping.
    if s.iter()
        .all(|&b| (b' '..=b'~').contains(&b) && b != b'"' && b != b'\\')
        && let Ok(t) = std::str::from_utf8(s)
    {
        out.push_str(t);
        out.push('"');
        return;
    }
    let text = String::from_utf8_lossy(s);
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            ' '..='~' => out.push(c),
            _ => {
                let mut buf = [0u16; 2];
                for unit in c.encode_utf16(&mut buf) {
                    let _ = write!(out, "\\u{unit:04x}");
                }
            }
        }
    }
    out.push('"');
}

fn base64(out: &mut String, b: &[u8]) {
    const A: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    for c in b.chunks(3) {
        let n = (u32::from(c[0]) << 16)
            | (u32::from(*c.get(1).unwrap_or(&0)) << 8)
            | u32::from(*c.get(2).unwrap_or(&0));
        out.push(char::from(A[(n >> 18) as usize & 63]));
        out.push(char::from(A[(n >> 12) as usize & 63]));
        out.push(if c.len() > 1 {
            char::from(A[(n >> 6) as usize & 63])
        } else {
            '='
        });
        out.push(if c.len() > 2 {
            char::from(A[n as usize & 63])
        } else {
            '='
        });
    }
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn python_float_repr() {
        for (x, want) in [
            (1.0, "1.0"),
            (0.1, "0.1"),
            (1e16, "1e+16"),
            (1e15, "1000000000000000.0"),
            (0.0001, "0.0001"),
            (0.00001, "1e-05"),
            (-2.5e-7, "-2.5e-07"),
            (123.456, "123.456"),
            (1.5e300, "1.5e+300"),
        ] {
            assert_eq!(py_repr(x), want, "{x}");
        }
        assert_eq!(py_repr(shortest_f32(0.1f32)), "0.1");
        assert_eq!(py_repr(shortest_f32(1.23456f32)), "1.23456");
    }

    #[test]
    fn ascii_escapes_like_python() {
        let mut s = String::new();
        json_str(&mut s, "a\"\\\n\u{1}é😀\u{7f}".as_bytes());
        assert_eq!(s, r#""a\"\\\n\u0001\u00e9\ud83d\ude00\u007f""#);
    }

    #[test]
    fn base64_padding() {
        for (i, want) in [
            (&b""[..], ""),
            (b"f", "Zg=="),
            (b"fo", "Zm8="),
            (b"foo", "Zm9v"),
            (b"foob", "Zm9vYg=="),
        ] {
            let mut s = String::new();
            base64(&mut s, i);
            assert_eq!(s, want);
        }
    }
}
