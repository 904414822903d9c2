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

impl Fast {
    /// Whether `a` and `b`, blocks of whole lines, are certainly equal once every match is
    /// replaced (by the same text on both sides): walks the two blocks side by side and, at
    /// each byte that differs, accepts only a match covering it at the same offset in both.
    /// False means "not shown equal": the caller filters both blocks and compares.
    ///
    /// Exact because a match's bytes and its two boundary bytes decide it: outside the
    /// differing spots both blocks hold the same bytes, so they hold the same matches; at a
    /// differing spot both hold a match at the same offset, replaced by the same text. The
    /// boundary bytes must be ASCII, where the regex's Unicode `\b` is ASCII `\b`.
    pub(crate) fn equal_after_replacing(self, a: &[u8], b: &[u8]) -> bool {
        let Fast::HostPointers = self;
        if a.len() != b.len() {
            return false;
        }
        let mut from = 0;
        while let Some(i) = first_mismatch(&a[from..], &b[from..]).map(|i| from + i) {
            // The match covering `i` starts at most PTR_LEN - 1 bytes before it, and not
            // before `from` (the end of the previous match: matches never overlap). A match
            // holds one `x`, its second byte: so it starts at `i` or right before the last
            // `x` up to `i`. Two candidates, not fourteen.
            let lowest = i.saturating_sub(PTR_LEN - 1).max(from);
            // At most fourteen bytes: a plain loop beats a call into memchr here.
            let before_x = a[lowest..=i]
                .iter()
                .rposition(|&c| c == b'x')
                .and_then(|x| (lowest + x).checked_sub(1));
            let pointer_at =
                |hay: &[u8], s: usize| hay[s..].starts_with(b"0x") && host_pointer_at(hay, s);
            let Some(s) = [before_x, Some(i)]
                .into_iter()
                .flatten()
                .find(|&s| s >= lowest && pointer_at(a, s) && pointer_at(b, s))
            else {
                return false;
            };
            let ascii_edge = |hay: &[u8]| {
                (s == 0 || hay[s - 1].is_ascii()) && hay.get(s + PTR_LEN).is_none_or(u8::is_ascii)
            };
            if !ascii_edge(a) || !ascii_edge(b) {
                return false;
            }
            from = s + PTR_LEN;
        }
        true
    }
}

/// Offset of the first byte where `a` and `b` differ (over the shorter's length).
fn first_mismatch(a: &[u8], b: &[u8]) -> Option<usize> {
    const W: usize = 16;
    let n = a.len().min(b.len());
    let (a, b) = (&a[..n], &b[..n]);
    let mut i = 0;
    for (ca, cb) in a.chunks_exact(W).zip(b.chunks_exact(W)) {
        let word = |c: &[u8]| u128::from_le_bytes(c.try_into().unwrap_or([0; W]));
        let x = word(ca) ^ word(cb);
        if x != 0 {
            return Some(i + (x.trailing_zeros() / 8) as usize);
        }
        i += W;
    }
    (i..n).find(|&j| a[j] != b[j])
}

/// Which bytes are ASCII hex digits.
static HEX: [bool; 256] = {
    let mut t = [false; 256];
    let mut b = 0;
    while b < 256 {
        t[b] = (b as u8).is_ascii_hexdigit();
        b += 1;
    }
    t
};

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
    // Branch-free over the ten digits: this check runs once per differing pointer.
    head && w[4..].iter().fold(true, |ok, &b| ok & HEX[usize::from(b)])
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

    /// Never "equal" when the regex's replacements differ; "equal" for every pair that
    /// differs only in host pointers.
    #[test]
    fn equal_after_replacing_agrees_with_the_regex() {
        let re = regex::bytes::Regex::new(HOST_POINTERS).unwrap();
        let alphabet = "0x7556aAfF9_ g-\n.xXé".as_bytes();
        let mut seed = 0x2545_f491_4f6c_dd1du64;
        let mut next = move || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed
        };
        let (mut shown_equal, mut equal) = (0, 0);
        for round in 0..40_000 {
            let mut a = Vec::new();
            let mut pointers = Vec::new();
            for _ in 0..(next() % 60) {
                let r = next();
                match r % 9 {
                    0 => {
                        a.push(b' ');
                        pointers.push(a.len());
                        a.extend_from_slice(b"0x7ffd1234abcd ");
                    }
                    1 => a.extend_from_slice(b"0x55d0c0"),
                    _ => a.push(alphabet[(r >> 8) as usize % alphabet.len()]),
                }
            }
            // b: a with a few bytes changed: on even rounds hex digits inside pointers only
            // (the case the walk exists for), on odd rounds anywhere, to anything.
            let mut b = a.clone();
            for _ in 0..(next() % 4) {
                let at = if round % 2 == 0 {
                    let Some(&p) = pointers.get(next() as usize % pointers.len().max(1)) else {
                        break;
                    };
                    p + 4 + (next() as usize) % 10
                } else if b.is_empty() {
                    break;
                } else {
                    (next() as usize) % b.len()
                };
                b[at] = if round % 2 == 0 {
                    b"0123456789abcdef"[(next() % 16) as usize]
                } else {
                    alphabet[(next() as usize) % alphabet.len()]
                };
            }
            let filtered = |h: &[u8]| re.replace_all(h, &b"P"[..]).into_owned();
            let truth = filtered(&a) == filtered(&b);
            let fast = Fast::HostPointers.equal_after_replacing(&a, &b);
            assert!(
                !fast || truth,
                "said equal: {:?} vs {:?}",
                String::from_utf8_lossy(&a),
                String::from_utf8_lossy(&b)
            );
            if round % 2 == 0 && truth && a != b {
                equal += 1;
                shown_equal += usize::from(fast);
            }
        }
        // The walk must take the common case, not just say "don't know" (which it may
        // only for a non-ASCII byte beside a pointer).
        assert!(
            equal > 5000 && shown_equal * 10 >= equal * 9,
            "{shown_equal} of {equal} shown equal"
        );
    }

    #[test]
    fn first_mismatch_finds_the_first_differing_byte() {
        let a = vec![7u8; 100];
        for at in [0, 15, 16, 17, 63, 99] {
            let mut b = a.clone();
            b[at] = 8;
            assert_eq!(first_mismatch(&a, &b), Some(at));
        }
        assert_eq!(first_mismatch(&a, &a), None);
        assert_eq!(first_mismatch(&a[..10], &a[..20]), None);
    }
}
