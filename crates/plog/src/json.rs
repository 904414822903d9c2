//! JSON scalars exactly as Python writes them: `json.dumps(ensure_ascii=True)` string
//! escapes, decimal integers, `repr(float)` (with protobuf's shortest `f32`), base64.
//! Shared by the renderings ([`crate::render`]) and the schema's precomputed keys
//! ([`crate::schema`]); depends on no other module of the crate.

use std::fmt::Write as _;

/// Decimal digits without going through `fmt` (the hot path of every dump; `itoa`
/// writes two digits a step and needs no UTF-8 check of its output).
pub fn push_u64(out: &mut String, n: u64) {
    out.push_str(itoa::Buffer::new().format(n));
}

pub fn push_i64(out: &mut String, n: i64) {
    out.push_str(itoa::Buffer::new().format(n));
}

pub fn json_float(out: &mut String, x: f64, single: Option<f32>) {
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
pub fn shortest_f32(f: f32) -> f64 {
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

pub fn base64(out: &mut String, b: &[u8]) {
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

/// A JSON string literal for `s` (computed once per schema field, not once per entry).
pub fn quoted(s: &str) -> String {
    let mut q = String::with_capacity(s.len() + 2);
    json_str(&mut q, s.as_bytes());
    q
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
