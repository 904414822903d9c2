//! Entry-level diff of two decoded logs. Entries are aligned by position and `instr`
//! (a merge on instruction count: at differing counts the side with the smaller one
//! has an extra entry); paired entries are compared field by field on their text form.
//! Entries with identical raw bytes are equal without rendering, so a diff of two
//! mostly equal logs renders only the entries that differ. Knows nothing of files,
//! chunks or protobuf: text comes from the entry or from the caller's renderer.

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::ops::Range;
use std::sync::Arc;

pub use crate::changes::{
    DiffReport, EntryAt, EntryChange, FieldChange, LogSide, MAX_FIELD_CHARS, MAX_ONLY_CHARS,
    MAX_TEXT_CHARS,
};

/// An entry's raw bytes, shared with the rest of its chunk.
#[derive(Clone, PartialEq, Eq)]
pub struct RawEntry {
    data: Arc<Vec<u8>>,
    range: Range<usize>,
}

impl RawEntry {
    pub fn new(data: Arc<Vec<u8>>, range: Range<usize>) -> Self {
        RawEntry { data, range }
    }
    pub fn bytes(&self) -> &[u8] {
        self.data.get(self.range.clone()).unwrap_or_default()
    }
}

impl std::fmt::Debug for RawEntry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "RawEntry({} bytes)", self.range.len())
    }
}

/// One entry reduced to what the diff needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EntryLine {
    /// Position in its log (0 = the bogus first entry).
    pub index: u64,
    pub instr: u64,
    pub pc: u64,
    /// The `path=value` text line (after the caller's filters); `None` until the
    /// caller's renderer is asked for it.
    pub text: Option<String>,
    /// The raw entry: equal bytes mean equal text.
    pub raw: Option<RawEntry>,
}

impl EntryLine {
    /// Where the entry stands, as a change records it.
    fn at(&self) -> EntryAt {
        EntryAt {
            index: self.index,
            instr: self.instr,
            pc: self.pc,
        }
    }
}

/// The caller's renderer: the text line of an entry whose `text` is `None`.
pub type RenderFn<'a, E> = &'a dyn Fn(&EntryLine) -> Result<String, E>;

fn text_of<'a, E>(e: &'a EntryLine, render: RenderFn<'_, E>) -> Result<Cow<'a, str>, E> {
    match &e.text {
        Some(t) => Ok(Cow::Borrowed(t)),
        None => render(e).map(Cow::Owned),
    }
}

/// Same text, from the raw bytes when both have them and they match.
fn same<E>(x: &EntryLine, y: &EntryLine, render: RenderFn<'_, E>) -> Result<bool, E> {
    if let (Some(p), Some(q)) = (&x.raw, &y.raw)
        && p.bytes() == q.bytes()
    {
        return Ok(true);
    }
    Ok(text_of(x, render)? == text_of(y, render)?)
}

/// Buffered lookahead over one side's entries.
struct Side<I> {
    it: I,
    buf: std::collections::VecDeque<EntryLine>,
}

impl<E, I: Iterator<Item = Result<EntryLine, E>>> Side<I> {
    /// Entry `k` ahead of the current one, reading as needed.
    fn peek(&mut self, k: usize) -> Result<Option<&EntryLine>, E> {
        while self.buf.len() <= k {
            match self.it.next() {
                Some(r) => self.buf.push_back(r?),
                None => return Ok(None),
            }
        }
        Ok(self.buf.get(k))
    }
}

/// Diffs two ordered entry streams. Errors from either stream stop the diff.
///
/// At equal `instr` the entries are paired, unless the next entry of one side (same
/// `instr`) is identical to the other's current one: then the current one is an extra
/// entry on its side, so one insertion does not shift every later pairing.
pub fn diff<E>(
    a: impl Iterator<Item = Result<EntryLine, E>>,
    b: impl Iterator<Item = Result<EntryLine, E>>,
    report: &mut DiffReport,
    render: RenderFn<'_, E>,
) -> Result<(), E> {
    let mut a = Side {
        it: a,
        buf: Default::default(),
    };
    let mut b = Side {
        it: b,
        buf: Default::default(),
    };
    loop {
        let (x, y) = (a.peek(0)?.cloned(), b.peek(0)?.cloned());
        match (x, y) {
            (None, None) => return Ok(()),
            (Some(x), Some(y)) if x.instr == y.instr => {
                if !same(&x, &y, render)? {
                    let extra_a = match a.peek(1)? {
                        Some(n) if n.instr == x.instr => same(n, &y, render)?,
                        _ => false,
                    };
                    if extra_a {
                        one_side(&mut a.buf, report, true, render)?;
                        continue;
                    }
                    let extra_b = match b.peek(1)? {
                        Some(n) if n.instr == y.instr => same(n, &x, render)?,
                        _ => false,
                    };
                    if extra_b {
                        one_side(&mut b.buf, report, false, render)?;
                        continue;
                    }
                    report.changed += 1;
                    if report.room() {
                        let change =
                            entry_change(x.at(), &text_of(&x, render)?, &text_of(&y, render)?);
                        report.push(change);
                    }
                }
                a.buf.pop_front();
                b.buf.pop_front();
                report.entries_a += 1;
                report.entries_b += 1;
            }
            (Some(x), Some(y)) if x.instr < y.instr => one_side(&mut a.buf, report, true, render)?,
            (Some(_), None) => one_side(&mut a.buf, report, true, render)?,
            _ => one_side(&mut b.buf, report, false, render)?,
        }
    }
}

fn one_side<E>(
    buf: &mut std::collections::VecDeque<EntryLine>,
    report: &mut DiffReport,
    is_a: bool,
    render: RenderFn<'_, E>,
) -> Result<(), E> {
    let Some(e) = buf.pop_front() else {
        return Ok(());
    };
    if is_a {
        report.entries_a += 1;
        report.only_a += 1;
    } else {
        report.entries_b += 1;
        report.only_b += 1;
    }
    // Rendering a line that would not be shown is wasted work.
    if report.room() {
        let change = EntryChange::OnlyIn {
            entry: e.at(),
            side: if is_a {
                LogSide::First
            } else {
                LogSide::Second
            },
            text: clip(&text_of(&e, render)?, MAX_ONLY_CHARS),
        };
        report.push(change);
    }
    Ok(())
}

fn clip(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        return s.to_string();
    }
    let mut t: String = s.chars().take(max).collect();
    t.push('…');
    t
}

/// The change between two paired entries' text lines: every field that differs, or both
/// whole texts when no field does.
fn entry_change(entry: EntryAt, a: &str, b: &str) -> EntryChange {
    let fields = field_changes(a, b);
    if fields.is_empty() {
        // Same tokens, different text (e.g. whitespace left by a filter).
        return EntryChange::Text {
            entry,
            old: clip(a, MAX_TEXT_CHARS),
            new: clip(b, MAX_TEXT_CHARS),
        };
    }
    EntryChange::Fields { entry, fields }
}

/// [`entry_change`] of two arbitrary lines, for the fuzz target.
pub(crate) fn field_changes_of(a: &str, b: &str) -> EntryChange {
    let at = EntryAt {
        index: 0,
        instr: 0,
        pc: 0,
    };
    entry_change(at, a, b)
}

/// Every field that differs between two text lines, in the order they appear.
fn field_changes(a: &str, b: &str) -> Vec<FieldChange> {
    let ta = tokens(a);
    let tb = tokens(b);
    let mut keys: Vec<&str> = ta.keys().chain(tb.keys()).copied().collect();
    keys.sort_by_key(|k| (order(&ta, &tb, k), *k));
    keys.dedup();
    let mut parts = Vec::new();
    for k in keys {
        let (x, y) = (ta.get(k), tb.get(k));
        if x != y {
            let keep = |v: Option<&&str>| v.map(|s| clip(s, MAX_FIELD_CHARS));
            parts.push(FieldChange {
                path: k.to_string(),
                old: keep(x),
                new: keep(y),
            });
        }
    }
    parts
}

fn order(ta: &BTreeMap<&str, (usize, &str)>, tb: &BTreeMap<&str, (usize, &str)>, k: &str) -> usize {
    ta.get(k).or_else(|| tb.get(k)).map_or(usize::MAX, |v| v.0)
}

fn tokens(line: &str) -> TokenMap<'_> {
    let mut m = BTreeMap::new();
    for (i, tok) in split_tokens(line).into_iter().enumerate() {
        let (k, v) = tok.split_once('=').unwrap_or((tok, ""));
        m.insert(k, (i, v));
    }
    TokenMap(m)
}

struct TokenMap<'a>(BTreeMap<&'a str, (usize, &'a str)>);

impl<'a> TokenMap<'a> {
    fn keys(&self) -> impl Iterator<Item = &&'a str> {
        self.0.keys()
    }
    fn get(&self, k: &str) -> Option<&&'a str> {
        self.0.get(k).map(|v| &v.1)
    }
}

impl<'a> std::ops::Deref for TokenMap<'a> {
    type Target = BTreeMap<&'a str, (usize, &'a str)>;
    fn deref(&self) -> &Self::Target {
        &self.0
    }
}

/// Splits at spaces outside double-quoted strings.
fn split_tokens(line: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let (mut start, mut quoted, mut escaped) = (0, false, false);
    for (i, c) in line.char_indices() {
        match c {
            _ if escaped => escaped = false,
            '\\' if quoted => escaped = true,
            '"' => quoted = !quoted,
            ' ' if !quoted => {
                if i > start {
                    out.push(&line[start..i]);
                }
                start = i + 1;
            }
            _ => {}
        }
    }
    if start < line.len() {
        out.push(&line[start..]);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn e(index: u64, instr: u64, text: &str) -> Result<EntryLine, ()> {
        Ok(EntryLine {
            index,
            instr,
            pc: 0x10,
            text: Some(text.into()),
            raw: None,
        })
    }

    #[test]
    fn field_level_change() {
        let names = ["A".to_string(), "B".to_string()];
        let at = EntryAt {
            index: 3,
            instr: 5,
            pc: 1,
        };
        let text = |a: &str, b: &str| entry_change(at.clone(), a, b).render(&names);
        assert_eq!(
            text(
                r#"instr=5 pc=0x1 asid_info.pid=42 name="a b""#,
                r#"instr=5 pc=0x1 asid_info.pid=43 name="a b""#
            ),
            "entry 3 (instr 5, pc 0x1): asid_info.pid 42 → 43"
        );
        assert_eq!(
            text("instr=5 x=1", "instr=5 y=2"),
            "entry 3 (instr 5, pc 0x1): x 1 → (absent); y (absent) → 2"
        );
    }

    #[test]
    fn extra_entries_on_either_side() {
        let a = vec![e(0, 1, "a"), e(1, 2, "b"), e(2, 3, "c")];
        let b = vec![e(0, 1, "a"), e(1, 3, "c"), e(2, 4, "d")];
        let mut r = DiffReport::new(10, "A", "B");
        diff(a.into_iter(), b.into_iter(), &mut r, &|_| Ok(String::new())).unwrap();
        assert_eq!((r.changed, r.only_a, r.only_b), (0, 1, 1));
        let lines = r.lines();
        assert!(
            lines[0].starts_with("entry 1 of A (instr 2, pc 0x10): only in A"),
            "{lines:?}"
        );
        assert!(lines[1].starts_with("entry 2 of B (instr 4"), "{lines:?}");
    }
}
