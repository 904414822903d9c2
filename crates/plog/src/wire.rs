//! Protobuf's wire format: bounds-checked reading of varints, fixed-width values and
//! length-delimited bytes, skipping fields, and the `pc`/`instr` peek that needs no
//! schema. Knows nothing of schemas or decoded values (that is [`crate::decode`]).

/// Protobuf's default recursion limit; deeper input is rejected, not followed (the
/// decoder's nesting limit, and the schema's, which must not be deeper than it).
pub(crate) const MAX_DEPTH: usize = 100;

/// A decoding error with the byte offset inside the entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct DecodeError {
    pub(crate) offset: usize,
    pub(crate) msg: String,
}

/// Skips the value of a field of wire type `wt`.
pub(crate) fn skip(wt: u8, r: &mut Cursor<'_>) -> Result<(), DecodeError> {
    match wt {
        0 => r.varint().map(drop),
        1 => r.fixed64().map(drop),
        5 => r.fixed32().map(drop),
        2 => r.bytes().map(drop),
        _ => Err(r.err(format!("unsupported wire type {wt}"))),
    }
}

/// Reads wire primitives with bounds checks; `base` makes offsets entry-relative.
pub(crate) struct Cursor<'a> {
    pub(crate) buf: &'a [u8],
    pub(crate) pos: usize,
    pub(crate) base: usize,
}

impl<'a> Cursor<'a> {
    pub(crate) fn done(&self) -> bool {
        self.pos >= self.buf.len()
    }

    pub(crate) fn err(&self, msg: String) -> DecodeError {
        self.err_at(self.pos, msg)
    }

    pub(crate) fn err_at(&self, pos: usize, msg: String) -> DecodeError {
        DecodeError {
            offset: self.base + pos,
            msg,
        }
    }

    #[inline]
    pub(crate) fn varint(&mut self) -> Result<u64, DecodeError> {
        self.read_varint().ok_or_else(|| self.varint_error())
    }

    /// The varint at the cursor, or `None` (cursor unmoved) when it is cut short or
    /// longer than 10 bytes. The `read_*` forms build no error: the fast path of
    /// [`crate::direct`] only needs to know it must decline, and a small `Option` comes
    /// back in registers where a `Result` with an error message does not.
    #[inline]
    pub(crate) fn read_varint(&mut self) -> Option<u64> {
        // Tags and most small values are one byte.
        if let Some(&b) = self.buf.get(self.pos)
            && b < 0x80
        {
            self.pos += 1;
            return Some(u64::from(b));
        }
        self.read_varint_long()
    }

    fn read_varint_long(&mut self) -> Option<u64> {
        // With ten bytes in hand the loop needs no bounds checks and unrolls.
        let window = match self.buf.get(self.pos..self.pos + 10) {
            Some(w) => w,
            None => self.buf.get(self.pos..)?,
        };
        let mut v: u64 = 0;
        for (i, &b) in window.iter().enumerate() {
            v |= u64::from(b & 0x7f) << (7 * i);
            if b < 0x80 {
                self.pos += i + 1;
                return Some(v);
            }
        }
        None
    }

    #[cold]
    fn varint_error(&self) -> DecodeError {
        let rest = self.buf.len() - self.pos;
        self.err(if rest >= 10 {
            "varint longer than 10 bytes".into()
        } else {
            "truncated varint".into()
        })
    }

    pub(crate) fn take(&mut self, n: usize) -> Result<&'a [u8], DecodeError> {
        self.read(n).ok_or_else(|| {
            let left = self.buf.len() - self.pos;
            self.err(format!("field needs {n} bytes, only {left} left"))
        })
    }

    #[inline]
    pub(crate) fn read(&mut self, n: usize) -> Option<&'a [u8]> {
        let s = self.buf.get(self.pos..self.pos.checked_add(n)?)?;
        self.pos += n;
        Some(s)
    }

    pub(crate) fn fixed32(&mut self) -> Result<u32, DecodeError> {
        let s = self.take(4)?;
        Ok(u32::from_le_bytes([s[0], s[1], s[2], s[3]]))
    }

    #[inline]
    pub(crate) fn read_fixed32(&mut self) -> Option<u32> {
        let s = self.read(4)?;
        Some(u32::from_le_bytes([s[0], s[1], s[2], s[3]]))
    }

    pub(crate) fn fixed64(&mut self) -> Result<u64, DecodeError> {
        let s = self.take(8)?;
        let mut a = [0u8; 8];
        a.copy_from_slice(s);
        Ok(u64::from_le_bytes(a))
    }

    #[inline]
    pub(crate) fn read_fixed64(&mut self) -> Option<u64> {
        let s = self.read(8)?;
        let mut a = [0u8; 8];
        a.copy_from_slice(s);
        Some(u64::from_le_bytes(a))
    }

    pub(crate) fn bytes(&mut self) -> Result<&'a [u8], DecodeError> {
        let n = self.varint()?;
        let n = usize::try_from(n).unwrap_or(usize::MAX);
        self.take(n)
    }

    /// Length-delimited bytes, or `None` (the length may have been read).
    #[inline]
    pub(crate) fn read_bytes(&mut self) -> Option<&'a [u8]> {
        let n = usize::try_from(self.read_varint()?).ok()?;
        self.read(n)
    }
}

/// `pc` and `instr` of an entry without a full decode (last occurrence wins).
pub(crate) fn pc_instr(buf: &[u8]) -> (Option<u64>, Option<u64>) {
    let mut r = Cursor {
        buf,
        pos: 0,
        base: 0,
    };
    let (mut pc, mut instr) = (None, None);
    while !r.done() {
        let Ok(key) = r.varint() else { break };
        let wt = (key & 7) as u8;
        match (key >> 3, wt) {
            (1, 0) => pc = r.varint().ok(),
            (2, 0) => instr = r.varint().ok(),
            _ => {
                if skip(wt, &mut r).is_err() {
                    break;
                }
            }
        }
    }
    (pc, instr)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn encode(mut v: u64, out: &mut Vec<u8>) {
        while v >= 0x80 {
            out.push((v as u8) | 0x80);
            v >>= 7;
        }
        out.push(v as u8);
    }

    /// Every varint length, at the end of the buffer (the byte loop) and followed by more
    /// bytes (the eight-byte word), reads back as encoded, and the cursor lands after it.
    #[test]
    fn varints_of_every_length_read_back() {
        let mut values = vec![0, 1, 127, 128, u64::MAX, u64::MAX >> 1];
        for bits in 1..64 {
            values.extend([(1u64 << bits) - 1, 1u64 << bits, (1u64 << bits) | 0x55]);
        }
        for v in values {
            let mut enc = Vec::new();
            encode(v, &mut enc);
            for tail in [&[][..], &[0x01], &[0xff; 12]] {
                let mut buf = enc.clone();
                buf.extend_from_slice(tail);
                let mut r = Cursor {
                    buf: &buf,
                    pos: 0,
                    base: 0,
                };
                assert_eq!(r.read_varint(), Some(v), "{v:#x} with {} after", tail.len());
                assert_eq!(r.pos, enc.len());
            }
        }
    }

    #[test]
    fn cut_and_overlong_varints_are_refused_where_they_start() {
        for buf in [&[0x80u8, 0x80][..], &[0xff; 10], &[0xff; 11]] {
            let mut r = Cursor {
                buf,
                pos: 0,
                base: 0,
            };
            assert_eq!(r.read_varint(), None);
            assert_eq!(r.pos, 0);
            let e = r.varint().unwrap_err();
            assert_eq!(e.offset, 0);
            let want = if buf.len() >= 10 {
                "varint longer than 10 bytes"
            } else {
                "truncated varint"
            };
            assert_eq!(e.msg, want);
        }
    }
}
