//! JSON scalars exactly as Python writes them: `json.dumps(ensure_ascii=True)` string
//! escapes, decimal integers, `repr(float)` (with protobuf's shortest `f32`), base64.
//! Shared by the renderings ([`crate::render`], into a `String`), the fast path
//! ([`crate::direct`], into bytes: the `put_*` writers) and the schema's precomputed keys
//! ([`crate::schema`]); depends on no other module of the crate.
//!
//! Every writer here emits ASCII only (anything else is escaped), which is what lets the
//! `String` forms share the byte writers.

use std::fmt::Write as _;

/// Runs a writer of this module on a `String`'s bytes.
fn ascii(out: &mut String, write: impl FnOnce(&mut Vec<u8>)) {
    // SAFETY: the `put_*` writers append ASCII bytes only (each byte pushed is < 0x80,
    // so the string is valid UTF-8 after every push, even if a writer stopped midway).
    write(unsafe { out.as_mut_vec() });
    debug_assert!(std::str::from_utf8(out.as_bytes()).is_ok());
}

/// Two ASCII digits per value below 100.
const PAIRS: &[u8; 200] = b"\
0001020304050607080910111213141516171819202122232425262728293031323334353637383940414243444546474849\
5051525354555657585960616263646566676869707172737475767778798081828384858687888990919293949596979899";

/// Decimal digits of `n` (the hot path of every dump). A fixed 20-byte write cut back to
/// the digit count costs no `memcpy` call, unlike copying a formatted buffer; eight
/// digits at a time are split off with one 64-bit division and written with independent
/// 32-bit ones, so the chain of slow divisions stays short.
#[inline]
pub fn put_u64(out: &mut Vec<u8>, n: u64) {
    // Half the numbers of a PANDA log are below 100 (counts, labels, offsets).
    if n < 10 {
        out.push(b'0' + n as u8);
    } else if n < 100 {
        let r = n as usize * 2;
        out.extend_from_slice(&PAIRS[r..r + 2]);
    } else {
        put_long(out, n);
    }
}

fn put_long(out: &mut Vec<u8>, n: u64) {
    const E8: u64 = 100_000_000;
    if n < E8 {
        put_head(out, n as u32);
    } else if n < E8 * E8 {
        put_head(out, (n / E8) as u32);
        out.extend_from_slice(&eight_ascii((n % E8) as u32).to_le_bytes());
    } else {
        put_head(out, (n / (E8 * E8)) as u32);
        let r = n % (E8 * E8);
        out.extend_from_slice(&eight_ascii((r / E8) as u32).to_le_bytes());
        out.extend_from_slice(&eight_ascii((r % E8) as u32).to_le_bytes());
    }
}

/// `v` (below 10⁸) without leading zeros: its eight digits, shifted.
fn put_head(out: &mut Vec<u8>, v: u32) {
    let len = v.checked_ilog10().map_or(1, |d| d as usize + 1);
    let start = out.len();
    out.extend_from_slice(&(eight_ascii(v) >> (8 * (8 - len))).to_le_bytes());
    out.truncate(start + len);
}

/// The eight decimal digits of `v` (below 10⁸, leading zeros kept) as ASCII bytes of a
/// little-endian word, most significant first: the four 2-digit groups are split at
/// once, lane by lane (SWAR), with no loop and no table.
fn eight_ascii(v: u32) -> u64 {
    let merged = u64::from(v / 10_000) | (u64::from(v % 10_000) << 32);
    let hundreds = ((merged * 10_486) >> 20) & 0x0000_007f_0000_007f;
    let pairs = hundreds | ((merged - hundreds * 100) << 16);
    let tens = ((pairs * 103) >> 10) & 0x000f_000f_000f_000f;
    let digits = tens | ((pairs - tens * 10) << 8);
    digits | 0x3030_3030_3030_3030
}

pub fn put_i64(out: &mut Vec<u8>, n: i64) {
    if n < 0 {
        out.push(b'-');
    }
    put_u64(out, n.unsigned_abs());
}

pub fn push_u64(out: &mut String, n: u64) {
    ascii(out, |v| put_u64(v, n));
}

pub fn push_i64(out: &mut String, n: i64) {
    ascii(out, |v| put_i64(v, n));
}

pub fn put_float(out: &mut Vec<u8>, x: f64, single: Option<f32>) {
    if x.is_nan() {
        out.extend_from_slice(b"\"NaN\"");
    } else if x.is_infinite() {
        out.extend_from_slice(if x > 0.0 {
            b"\"Infinity\""
        } else {
            b"\"-Infinity\""
        });
    } else {
        put_py_repr(out, single.map_or(x, shortest_f32));
    }
}

pub fn json_float(out: &mut String, x: f64, single: Option<f32>) {
    ascii(out, |v| put_float(v, x, single));
}

/// Formatted text of a float in a stack buffer: a float is formatted up to five times
/// per value, and allocating each time was most of the cost of a float field.
struct Stack {
    buf: [u8; 64],
    len: usize,
}

impl Stack {
    fn format(args: std::fmt::Arguments<'_>) -> Option<Stack> {
        let mut s = Stack {
            buf: [0; 64],
            len: 0,
        };
        s.write_fmt(args).ok()?;
        Some(s)
    }

    fn text(&self) -> &str {
        std::str::from_utf8(&self.buf[..self.len]).unwrap_or("")
    }
}

impl std::fmt::Write for Stack {
    fn write_str(&mut self, t: &str) -> std::fmt::Result {
        let end = self.len + t.len();
        self.buf
            .get_mut(self.len..end)
            .ok_or(std::fmt::Error)?
            .copy_from_slice(t.as_bytes());
        self.len = end;
        Ok(())
    }
}

/// protobuf's `ToShortestFloat`: the fewest significant digits (at least 6) that read
/// back as the same `f32`, as an `f64`.
pub fn shortest_f32(f: f32) -> f64 {
    for prec in 6..=9 {
        let s = Stack::format(format_args!("{:.*e}", prec - 1, f64::from(f)));
        if let Some(Ok(r)) = s.map(|s| s.text().parse::<f64>())
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
    let mut s = String::new();
    ascii(&mut s, |v| put_py_repr(v, x));
    s
}

/// [`py_repr`] appended to bytes.
pub fn put_py_repr(out: &mut Vec<u8>, x: f64) {
    if x == 0.0 {
        out.extend_from_slice(if x.is_sign_negative() {
            b"-0.0"
        } else {
            b"0.0"
        });
        return;
    }
    let Some(sci) = Stack::format(format_args!("{x:e}")) else {
        // Cannot happen (an `f64` in `{:e}` is at most 24 bytes); never print nothing.
        out.extend_from_slice(format!("{x:e}").as_bytes());
        return;
    };
    let sci = sci.text();
    let (mant, exp) = sci.split_once('e').unwrap_or((sci, "0"));
    let exp: i32 = exp.parse().unwrap_or(0);
    let (neg, mant) = mant.strip_prefix('-').map_or((false, mant), |m| (true, m));
    let mut digits = [0u8; 24];
    let mut n = 0;
    for b in mant.bytes().filter(u8::is_ascii_digit) {
        if let Some(d) = digits.get_mut(n) {
            *d = b;
            n += 1;
        }
    }
    let digits = &digits[..n.max(1)];
    if neg {
        out.push(b'-');
    }
    let decpt = exp + 1;
    if !(-4 < decpt && decpt <= 16) {
        out.push(digits[0]);
        if digits.len() > 1 {
            out.push(b'.');
            out.extend_from_slice(&digits[1..]);
        }
        out.extend_from_slice(if exp < 0 { b"e-" } else { b"e+" });
        if exp.abs() < 10 {
            out.push(b'0');
        }
        put_u64(out, u64::from(exp.unsigned_abs()));
    } else if decpt <= 0 {
        out.extend_from_slice(b"0.");
        for _ in 0..-decpt {
            out.push(b'0');
        }
        out.extend_from_slice(digits);
    } else {
        let d = decpt as usize;
        if digits.len() <= d {
            out.extend_from_slice(digits);
            for _ in digits.len()..d {
                out.push(b'0');
            }
            out.extend_from_slice(b".0");
        } else {
            out.extend_from_slice(&digits[..d]);
            out.push(b'.');
            out.extend_from_slice(&digits[d..]);
        }
    }
}

/// A JSON string as Python's `json.dumps(ensure_ascii=True)` writes it.
pub fn put_str(out: &mut Vec<u8>, s: &[u8]) {
    out.push(b'"');
    // Fast path: plain printable ASCII needs no escaping.
    if s.iter()
        .all(|&b| (b' '..=b'~').contains(&b) && b != b'"' && b != b'\\')
    {
        out.extend_from_slice(s);
        out.push(b'"');
        return;
    }
    let text = String::from_utf8_lossy(s);
    for c in text.chars() {
        match c {
            '"' => out.extend_from_slice(b"\\\""),
            '\\' => out.extend_from_slice(b"\\\\"),
            '\n' => out.extend_from_slice(b"\\n"),
            '\r' => out.extend_from_slice(b"\\r"),
            '\t' => out.extend_from_slice(b"\\t"),
            '\u{8}' => out.extend_from_slice(b"\\b"),
            '\u{c}' => out.extend_from_slice(b"\\f"),
            ' '..='~' => out.push(c as u8),
            _ => {
                let mut buf = [0u16; 2];
                for unit in c.encode_utf16(&mut buf) {
                    let mut esc = String::with_capacity(6);
                    let _ = write!(esc, "\\u{unit:04x}");
                    out.extend_from_slice(esc.as_bytes());
                }
            }
        }
    }
    out.push(b'"');
}

pub fn json_str(out: &mut String, s: &[u8]) {
    ascii(out, |v| put_str(v, s));
}

pub fn put_base64(out: &mut Vec<u8>, b: &[u8]) {
    const A: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    for c in b.chunks(3) {
        let n = (u32::from(c[0]) << 16)
            | (u32::from(*c.get(1).unwrap_or(&0)) << 8)
            | u32::from(*c.get(2).unwrap_or(&0));
        out.push(A[(n >> 18) as usize & 63]);
        out.push(A[(n >> 12) as usize & 63]);
        out.push(if c.len() > 1 {
            A[(n >> 6) as usize & 63]
        } else {
            b'='
        });
        out.push(if c.len() > 2 {
            A[n as usize & 63]
        } else {
            b'='
        });
    }
}

pub fn base64(out: &mut String, b: &[u8]) {
    ascii(out, |v| put_base64(v, b));
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
    fn decimal_digits_at_every_length() {
        let mut n: u64 = 0;
        let mut cases = vec![0, 9, 10, 99, 100, u64::MAX, i64::MAX as u64];
        for _ in 0..20 {
            cases.extend([n.saturating_sub(1), n, n + 1]);
            n = if n == 0 { 1 } else { n.saturating_mul(10) };
        }
        // And values of every magnitude between the boundaries.
        let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
        for i in 0..20_000u32 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            cases.push(x >> (i % 64));
        }
        for n in cases {
            let mut v = b"x".to_vec();
            put_u64(&mut v, n);
            assert_eq!(v, format!("x{n}").into_bytes());
        }
        for n in [i64::MIN, -1, 0, 1, i64::MAX] {
            let mut s = String::new();
            push_i64(&mut s, n);
            assert_eq!(s, n.to_string());
        }
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
