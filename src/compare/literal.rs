//! Hand-written matchers for preset rules whose regex is slow per match but whose
//! language is simple: a literal prefilter (`memmem` for `0x`) plus a fixed-width check
//! gives the same matches as the regex, at memory-scan speed. Chosen only when a rule's
//! regex text is exactly the preset's, and only for ASCII haystacks (where Unicode `\b`
//! is ASCII `\b`); anything else goes through the regex.
//!
//! A leaf: it must not import anything else from `compare`.

/// A rule with a hand-written matcher.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Fast {
    /// `host-pointers`: `\b0x(?:7[0-9a-fA-F]|5[56])[0-9a-fA-F]{10}\b`.
    HostPointers,
}

/// The host-pointers preset's regex, as `preset` spells it.
pub(crate) const HOST_POINTERS: &str = r"\b0x(?:7[0-9a-fA-F]|5[56])[0-9a-fA-F]{10}\b";

/// Length of one host-pointer match: `0x` and 12 hex digits.
const PTR_LEN: usize = 14;

impl Fast {
    /// The hand-written matcher for this regex text, if there is one.
    pub(crate) fn for_regex(regex: &str) -> Option<Fast> {
        (regex == HOST_POINTERS).then_some(Fast::HostPointers)
    }

    /// Replace every match in the ASCII `hay` with `replace`, like the regex crate's
    /// `find_iter` (leftmost-first, non-overlapping), appending to `out`; false (and `out`
    /// untouched) when nothing matched.
    ///
    /// Matches never contain `\n` and `\n` is not a word byte, so on a block of lines this
    /// gives exactly what it gives line by line.
    pub(crate) fn replace_ascii(self, hay: &[u8], replace: &[u8], out: &mut Vec<u8>) -> bool {
        debug_assert!(hay.is_ascii());
        let Fast::HostPointers = self;
        // Every match starts `0x7` or `0x5`: two literal scans find far fewer candidates
        // than one for `0x`. Matches never overlap (see `host_pointer_at`), so the valid
        // candidates of both scans, in order, are the matches.
        let mut sevens =
            memchr::memmem::find_iter(hay, b"0x7").filter(|&s| host_pointer_at(hay, s));
        let mut fives = memchr::memmem::find_iter(hay, b"0x5").filter(|&s| host_pointer_at(hay, s));
        let (mut n7, mut n5) = (sevens.next(), fives.next());
        let mut last = 0;
        let mut any = false;
        loop {
            let s = match (n7, n5) {
                (Some(a), Some(b)) if a < b => {
                    n7 = sevens.next();
                    a
                }
                (_, Some(b)) => {
                    n5 = fives.next();
                    b
                }
                (Some(a), None) => {
                    n7 = sevens.next();
                    a
                }
                (None, None) => break,
            };
            out.extend_from_slice(&hay[last..s]);
            out.extend_from_slice(replace);
            last = s + PTR_LEN;
            any = true;
        }
        if any {
            out.extend_from_slice(&hay[last..]);
        }
        any
    }
}

fn is_word(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_'
}

/// Whether a host pointer starts at `s` (where `hay` has `0x`). Two matches can never
/// overlap: a match holds no `x` after its second byte, and the byte after it is not a
/// word byte, so no `0x` inside it or right after it can start another.
fn host_pointer_at(hay: &[u8], s: usize) -> bool {
    if s > 0 && is_word(hay[s - 1]) {
        return false;
    }
    let Some(w) = hay.get(s..s + PTR_LEN) else {
        return false;
    };
    let head = match w[2] {
        b'7' => w[3].is_ascii_hexdigit(),
        b'5' => matches!(w[3], b'5' | b'6'),
        _ => false,
    };
    head && w[4..].iter().all(u8::is_ascii_hexdigit)
        && hay.get(s + PTR_LEN).is_none_or(|&b| !is_word(b))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Same output as the regex on random ASCII text built from the bytes that matter.
    #[test]
    fn host_pointers_match_the_regex() {
        let re = regex::bytes::Regex::new(HOST_POINTERS).unwrap();
        let alphabet = b"0x7556aAfF9_ g-\n.xX";
        let mut seed = 0x9e37_79b9_7f4a_7c15u64;
        let mut next = move || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed
        };
        let mut cases: Vec<Vec<u8>> = vec![
            b"buf at 0x7ffd1234abcd, heap 0x55d0c0ffee00 pie 0x56aabbccddee".to_vec(),
            b"0x7ffd1234abcd00 x0x7ffd1234abcd 0x7ffd1234abcd".to_vec(),
            b"0x7ffd1234abc 0x0x7ffd1234abcd_ 0x57ffd1234abc".to_vec(),
        ];
        for _ in 0..20_000 {
            let len = (next() % 40) as usize;
            let mut s = Vec::new();
            for _ in 0..len {
                let r = next();
                if r % 7 == 0 {
                    s.extend_from_slice(b"0x7ffd12");
                } else {
                    s.push(alphabet[(r >> 8) as usize % alphabet.len()]);
                }
            }
            cases.push(s);
        }
        for hay in cases {
            let want = re.replace_all(&hay, &b"0xPTR"[..]);
            let mut out = Vec::new();
            let any = Fast::HostPointers.replace_ascii(&hay, b"0xPTR", &mut out);
            let got = if any { out } else { hay.clone() };
            assert_eq!(got, want.as_ref(), "{}", String::from_utf8_lossy(&hay));
        }
    }
}
