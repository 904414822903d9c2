//! Intra-line highlights: which characters of a changed line differ from its counterpart,
//! and the line escaped with those pieces in `<mark>`. A leaf of the HTML report, used
//! by text diffs (`diff`) and pandalog field changes (`plog`).

use std::fmt::Write as _;
use std::ops::Range;

use imara_diff::{Algorithm, Diff, InternedInput, Interner};

use super::esc;

/// Lines longer than this get no intra-line highlight (the diff would cost more than
/// it shows).
const MAX_INTRALINE_CHARS: usize = 2000;

/// Byte ranges that differ between two lines, by a character diff.
pub(super) fn intraline(a: &str, b: &str) -> (Vec<Range<usize>>, Vec<Range<usize>>) {
    if a.len() + b.len() > 2 * MAX_INTRALINE_CHARS {
        return (Vec::new(), Vec::new());
    }
    let ia: Vec<(usize, char)> = a.char_indices().collect();
    let ib: Vec<(usize, char)> = b.char_indices().collect();
    let mut input: InternedInput<char> = InternedInput {
        before: Vec::with_capacity(ia.len()),
        after: Vec::with_capacity(ib.len()),
        interner: Interner::new(ia.len() + ib.len()),
    };
    input.update_before(ia.iter().map(|c| c.1));
    input.update_after(ib.iter().map(|c| c.1));
    let mut diff = Diff::compute(Algorithm::Myers, &input);
    diff.postprocess_no_heuristic(&input);
    let bytes = |idx: &[(usize, char)], whole: &str, r: Range<u32>| -> Range<usize> {
        let at = |i: u32| idx.get(i as usize).map_or(whole.len(), |c| c.0);
        at(r.start)..at(r.end)
    };
    // Scattered single-character matches ("init" → "systemd") say less than marking the
    // whole of both: highlight pieces only when most of the shorter side is shared.
    let shared = ia.len() - diff.count_removals() as usize;
    if shared * 2 < ia.len().min(ib.len()) {
        let whole = |s: &str| {
            if s.is_empty() {
                Vec::new()
            } else {
                std::iter::once(0..s.len()).collect()
            }
        };
        return (whole(a), whole(b));
    }
    let (mut ra, mut rb) = (Vec::new(), Vec::new());
    for h in diff.hunks() {
        if !h.before.is_empty() {
            ra.push(bytes(&ia, a, h.before));
        }
        if !h.after.is_empty() {
            rb.push(bytes(&ib, b, h.after));
        }
    }
    (ra, rb)
}

/// `text` escaped, with `marks` wrapped in `<mark>`.
pub(super) fn marked(text: &str, marks: &[Range<usize>]) -> String {
    let mut out = String::new();
    let mut at = 0;
    for r in marks {
        out.push_str(&esc(&text[at..r.start]));
        let _ = write!(out, "<mark>{}</mark>", esc(&text[r.clone()]));
        at = r.end;
    }
    out.push_str(&esc(&text[at..]));
    out
}
