//! The one filter applier: the filters that apply to one file ([`Filters`]), run in order
//! on one line ([`Filters::apply_into`]) or on multi-line text, line by line
//! ([`Filters::apply_text`], for pandalog entries). Everything that filters goes through
//! `apply_into`, so every mode sees the same per-line semantics.
//!
//! It must not compile or check rules (that is `filter`) nor read files.

use super::filter::Filter;

/// The filters that apply to one file, in order.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Filters<'a> {
    list: &'a [&'a Filter],
}

impl<'a> Filters<'a> {
    pub(crate) fn new(list: &'a [&'a Filter]) -> Self {
        Filters { list }
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.list.is_empty()
    }

    /// Apply every filter in order to one line (without its terminator), into `out`
    /// (replacing its contents). Allocation-free once the buffers have grown: the hot path
    /// when streaming millions of lines. `scratch` is working space.
    pub(crate) fn apply_into(&self, line: &[u8], out: &mut Vec<u8>, scratch: &mut Vec<u8>) {
        out.clear();
        out.extend_from_slice(line);
        for f in self.list {
            scratch.clear();
            let mut last = 0;
            let mut any = false;
            if let Some(fast) = f.fast.filter(|_| out.is_ascii()) {
                if fast.replace_ascii(out, &f.replace, scratch) {
                    std::mem::swap(out, scratch);
                }
                continue;
            }
            if f.expand {
                for caps in f.regex.captures_iter(out) {
                    let Some(m) = caps.get(0) else { continue };
                    scratch.extend_from_slice(&out[last..m.start()]);
                    caps.expand(&f.replace, scratch);
                    last = m.end();
                    any = true;
                }
            } else {
                for m in f.regex.find_iter(out) {
                    scratch.extend_from_slice(&out[last..m.start()]);
                    scratch.extend_from_slice(&f.replace);
                    last = m.end();
                    any = true;
                }
            }
            if any {
                scratch.extend_from_slice(&out[last..]);
                std::mem::swap(out, scratch);
            }
        }
    }

    /// Whether equal concatenations of filtered lines mean equal lines: no replacement
    /// brings a `\n` of its own (group references cannot: lines have none).
    pub(crate) fn keep_line_breaks(&self) -> bool {
        self.list.iter().all(|f| !f.replace.contains(&b'\n'))
    }

    /// Every line of `block` (complete lines, each with its `\n` but maybe the last) in
    /// compared form for `exact`, concatenated into `out` (replacing its contents). When
    /// every filter has a hand-written matcher and the block is ASCII, the matchers run on
    /// the whole block at once, which gives the same bytes (see `literal`).
    pub(crate) fn apply_block(&self, block: &[u8], out: &mut Vec<u8>, scratch: &mut Vec<u8>) {
        out.clear();
        if self.list.iter().all(|f| f.fast.is_some()) && block.is_ascii() {
            // The first filter reads the block itself: no copy unless nothing matched.
            let mut src = block;
            let mut held = false;
            for f in self.list {
                let Some(fast) = f.fast else { continue };
                scratch.clear();
                if fast.replace_ascii(src, &f.replace, scratch) {
                    std::mem::swap(out, scratch);
                    held = true;
                    src = out;
                }
            }
            if !held {
                out.extend_from_slice(block);
            }
            return;
        }
        let mut line_out = Vec::new();
        for line in block.split_inclusive(|&b| b == b'\n') {
            let (body, nl) = match line.strip_suffix(b"\n") {
                Some(b) => (b, true),
                None => (line, false),
            };
            self.apply_into(body, &mut line_out, scratch);
            out.extend_from_slice(&line_out);
            if nl {
                out.push(b'\n');
            }
        }
    }

    /// Whether two blocks of the same number of whole lines are equal in compared form:
    /// raw-equal blocks are; a lone hand-written rule may show it without filtering (see
    /// [`super::literal::Fast::equal_after_replacing`]); otherwise both are filtered.
    pub(crate) fn blocks_equal(&self, a: &[u8], b: &[u8], work: &mut [Vec<u8>; 3]) -> bool {
        if a == b {
            return true;
        }
        if let [only] = self.list
            && let Some(fast) = only.fast
            && fast.equal_after_replacing(a, b)
        {
            return true;
        }
        let [fa, fb, scratch] = work;
        self.apply_block(a, fa, scratch);
        self.apply_block(b, fb, scratch);
        fa == fb
    }

    /// [`Self::apply_into`] for text that may span lines (pandalog entries): line by line.
    pub(crate) fn apply_text(&self, text: &str) -> String {
        if self.is_empty() {
            return text.to_string();
        }
        let mut out = Vec::with_capacity(text.len());
        let (mut line_out, mut scratch) = (Vec::new(), Vec::new());
        for (i, line) in text.split('\n').enumerate() {
            if i > 0 {
                out.push(b'\n');
            }
            self.apply_into(line.as_bytes(), &mut line_out, &mut scratch);
            out.extend_from_slice(&line_out);
        }
        String::from_utf8_lossy(&out).into_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::super::filter::compile;
    use super::super::spec::FilterSpec;
    use super::*;

    fn regex_spec(regex: &str, replace: &str) -> FilterSpec {
        FilterSpec {
            preset: None,
            regex: Some(regex.into()),
            replace: replace.into(),
            files: None,
        }
    }

    fn compiled(specs: &[FilterSpec]) -> Vec<Filter> {
        specs
            .iter()
            .enumerate()
            .flat_map(|(i, s)| compile("x", i + 1, s).unwrap())
            .collect()
    }

    /// Per-line semantics are the regex crate's `replace_all`, filter after filter: group
    /// expansion, `$$`, empty matches, no match.
    #[test]
    fn applies_like_replace_all_in_order() {
        let rules = [
            (r"\b0x(?:7[0-9a-fA-F]|5[56])[0-9a-fA-F]{10}\b", "0xPTR"),
            (r"(\w+)=(\d+)", "$2=$1"),
            (r"x*", "-"),
            (r"\$", "$$"),
        ];
        let specs: Vec<FilterSpec> = rules.iter().map(|(r, s)| regex_spec(r, s)).collect();
        let filters = compiled(&specs);
        let refs: Vec<&Filter> = filters.iter().collect();
        let f = Filters::new(&refs);
        let (mut out, mut scratch) = (Vec::new(), Vec::new());
        for line in ["", "a=1 b=22 at 0x7ffd1234abcd $", "xxaxx", "no match here"] {
            let mut want = line.as_bytes().to_vec();
            for (r, s) in rules {
                let re = regex::bytes::Regex::new(r).unwrap();
                want = re.replace_all(&want, s.as_bytes()).into_owned();
            }
            f.apply_into(line.as_bytes(), &mut out, &mut scratch);
            assert_eq!(
                String::from_utf8_lossy(&out),
                String::from_utf8_lossy(&want),
                "{line}"
            );
        }
        // Spelled out, so a change in both at once would still show.
        f.apply_into(b"a=1 at 0x7ffd1234abcd $", &mut out, &mut scratch);
        assert_eq!(String::from_utf8_lossy(&out), "-1-=-a- -a-t- -0-P-T-R- -$-");
    }

    #[test]
    fn no_filters_copy_the_line() {
        let (mut out, mut scratch) = (b"stale".to_vec(), Vec::new());
        Filters::default().apply_into(b"as is", &mut out, &mut scratch);
        assert_eq!(out, b"as is");
        assert_eq!(Filters::default().apply_text("a\nb"), "a\nb");
    }

    #[test]
    fn apply_text_is_line_wise() {
        let filters = compiled(&[regex_spec(r"^a.*$", "A")]);
        let refs: Vec<&Filter> = filters.iter().collect();
        assert_eq!(Filters::new(&refs).apply_text("ab\nac\nb"), "A\nA\nb");
    }
}
