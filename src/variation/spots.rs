//! Sorting the positions where runs disagree into spots: lines that only moved (the same
//! lines in every run, in another order), tokens that vary on lines that otherwise agree
//! (grouped by what precedes them and what they look like), and lines that differ
//! outright.
//!
//! Pure: it works on what `lines` collected and reads nothing.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use super::lines::{Collected, pieces, varying_pieces};

/// What a varying token looks like, from the most to the least specific.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub(super) enum Kind {
    /// `0x7ffd1234abcd`.
    Hex0x,
    /// `12:03:44`, `12:03:44.123`, `9:05`.
    Time,
    /// `42`, `-3`, `12.5`.
    Number,
    /// `deadbeef01` (hex digits, at least one a letter).
    Hex,
    /// Any other token (`tmpa1b2`, `run_17`).
    Word,
}

impl Kind {
    pub(super) const ALL: [Kind; 5] =
        [Kind::Hex0x, Kind::Time, Kind::Number, Kind::Hex, Kind::Word];

    /// A regex matching every token of this kind (no anchors or context).
    pub(super) fn regex(self) -> &'static str {
        match self {
            Kind::Hex0x => "0x[0-9a-fA-F]+",
            Kind::Time => r"\d{1,2}:\d{2}(?::\d{2}(?:[.,]\d+)?)?",
            Kind::Number => r"-?\d+(?:\.\d+)?",
            Kind::Hex => "[0-9a-fA-F]+",
            Kind::Word => "[A-Za-z0-9_.:]+",
        }
    }

    /// What the generated filter writes instead.
    pub(super) fn placeholder(self) -> &'static str {
        match self {
            Kind::Hex0x => "0xHEX",
            Kind::Time => "<TIME>",
            Kind::Number => "<N>",
            Kind::Hex => "<HEX>",
            Kind::Word => "<VARIES>",
        }
    }

    fn fits(self, token: &[u8]) -> bool {
        let all = |bytes: &[u8], f: fn(&u8) -> bool| !bytes.is_empty() && bytes.iter().all(f);
        match self {
            Kind::Hex0x => token
                .strip_prefix(b"0x")
                .is_some_and(|h| all(h, u8::is_ascii_hexdigit)),
            Kind::Time => {
                let (main, frac) = match token.iter().position(|&b| b == b'.') {
                    Some(i) => (&token[..i], Some(&token[i + 1..])),
                    None => (token, None),
                };
                let parts: Vec<&[u8]> = main.split(|&b| b == b':').collect();
                (2..=3).contains(&parts.len())
                    && (1..=2).contains(&parts[0].len())
                    && parts[1..].iter().all(|p| p.len() == 2)
                    && parts.iter().all(|p| all(p, u8::is_ascii_digit))
                    && frac.is_none_or(|f| parts.len() == 3 && all(f, u8::is_ascii_digit))
            }
            Kind::Number => {
                let t = token.strip_prefix(b"-").unwrap_or(token);
                let mut halves = t.splitn(2, |&b| b == b'.');
                halves.all(|h| all(h, u8::is_ascii_digit))
            }
            Kind::Hex => {
                all(token, u8::is_ascii_hexdigit) && token.iter().any(|b| b.is_ascii_alphabetic())
            }
            Kind::Word => true,
        }
    }

    /// The most specific kind every token fits.
    pub(super) fn of<'a>(tokens: impl Iterator<Item = &'a [u8]> + Clone) -> Kind {
        Kind::ALL
            .into_iter()
            .find(|k| tokens.clone().all(|t| k.fits(t)))
            .unwrap_or(Kind::Word)
    }
}

/// Tokens that vary at the same place of lines alike: same text before them, same kind.
#[derive(Debug)]
pub(super) struct TokenGroup {
    /// The (unvarying) pieces just before the token; empty when it starts the line.
    pub context: Vec<u8>,
    pub at_line_start: bool,
    pub kind: Kind,
    pub first_line: u64,
    /// The first such line, the token shown as `…`.
    pub shape: String,
    /// Per line position (up to [`MAX_TUPLES`]), each run's line with only this token
    /// varying: what a candidate rule is checked on.
    pub tuples: Vec<Vec<Vec<u8>>>,
    /// Value → (runs, times seen).
    pub values: BTreeMap<Vec<u8>, (BTreeSet<u32>, u64)>,
}

/// Lines that differ outright: per run, the first such line and how many.
#[derive(Debug)]
pub(super) struct LinesGroup {
    pub first_line: u64,
    pub per_run: Vec<(String, u64)>,
}

/// A file's disagreements, sorted.
#[derive(Debug, Default)]
pub(super) struct Spots {
    pub tokens: Vec<TokenGroup>,
    /// Lines that are the same in every run but moved: how many (in run 1), and per run
    /// the first few in its order.
    pub order: Option<(u64, Vec<String>)>,
    pub lines: Option<LinesGroup>,
}

/// Line positions kept per group to check candidates on.
const MAX_TUPLES: usize = 1000;

/// A run's lines left once the moved ones are taken out: (line number, text; `None` where
/// the run's file had ended).
type Leftovers<'a> = Vec<(u64, Option<&'a [u8]>)>;

/// Context pieces kept before a token, enough to tell `ptr = 0x…` from `size = 0x…`.
const CONTEXT_PIECES: usize = 2;

pub(super) fn sort(collected: &Collected, runs: usize, order_matters: bool) -> Spots {
    // Lines every run has among its differing ones (as many times as the run with fewest):
    // those only moved; the rest are each run's leftovers, lined up by their rank.
    let mut counts: HashMap<&[u8], Vec<u64>> = HashMap::new();
    for d in &collected.differing {
        for (r, t) in d.texts.iter().enumerate() {
            if let Some(t) = t {
                counts.entry(t).or_insert_with(|| vec![0; runs])[r] += 1;
            }
        }
    }
    let common: HashMap<&[u8], u64> = counts
        .iter()
        .map(|(k, v)| (*k, v.iter().copied().min().unwrap_or(0)))
        .filter(|(_, n)| *n > 0)
        .collect();
    let mut moved: Vec<Vec<&[u8]>> = vec![Vec::new(); runs];
    let mut leftovers: Vec<Leftovers<'_>> = vec![Vec::new(); runs];
    for (r, (moved, leftovers)) in moved.iter_mut().zip(&mut leftovers).enumerate() {
        let mut budget = common.clone();
        for d in &collected.differing {
            match d.texts[r].as_deref() {
                Some(t) if budget.get(t).is_some_and(|n| *n > 0) => {
                    if let Some(n) = budget.get_mut(t) {
                        *n -= 1;
                    }
                    moved.push(t);
                }
                other => leftovers.push((d.line, other)),
            }
        }
    }
    let mut spots = Spots::default();
    if order_matters && moved.iter().any(|m| m.len() > 1) && moved.iter().any(|m| *m != moved[0]) {
        let sample = |m: &Vec<&[u8]>| {
            let first: Vec<String> = m.iter().take(3).map(|l| lossy(l, 60)).collect();
            first.join(" | ")
        };
        spots.order = Some((moved[0].len() as u64, moved.iter().map(sample).collect()));
    }
    let rank_aligned = leftovers.iter().all(|l| l.len() == leftovers[0].len());
    let mut outright: Vec<usize> = Vec::new();
    let mut groups: BTreeMap<(Vec<u8>, bool, Kind), TokenGroup> = BTreeMap::new();
    for j in 0..leftovers[0].len() {
        if !rank_aligned {
            break;
        }
        let tuple: Option<Vec<&[u8]>> = leftovers.iter().map(|l| l[j].1).collect();
        let Some(tuple) = tuple else {
            outright.push(j);
            continue;
        };
        match varying_pieces(&tuple) {
            Some(idx) if !idx.is_empty() => {
                add_tokens(&mut groups, leftovers[0][j].0, &tuple, &idx)
            }
            _ => outright.push(j),
        }
    }
    spots.tokens = groups.into_values().collect();
    spots.tokens.sort_by_key(|g| g.first_line);
    let outright_any = !rank_aligned || !outright.is_empty();
    if outright_any {
        let per: Vec<Leftovers<'_>> = leftovers
            .iter()
            .map(|l| match rank_aligned {
                true => outright.iter().map(|&j| l[j]).collect(),
                false => l.clone(),
            })
            .collect();
        let first_line = per
            .iter()
            .filter_map(|p| p.first())
            .map(|p| p.0)
            .min()
            .unwrap_or(1);
        spots.lines = Some(LinesGroup {
            first_line,
            per_run: per
                .iter()
                .map(|p| {
                    let first = match p.first() {
                        Some((_, Some(t))) => lossy(t, 100),
                        Some((_, None)) => "(the file ended)".to_string(),
                        None => "(as the others)".to_string(),
                    };
                    (first, p.len() as u64)
                })
                .collect(),
        });
    }
    spots
}

fn add_tokens(
    groups: &mut BTreeMap<(Vec<u8>, bool, Kind), TokenGroup>,
    line: u64,
    tuple: &[&[u8]],
    varying: &[usize],
) {
    let cut: Vec<Vec<&[u8]>> = tuple.iter().map(|l| pieces(l)).collect();
    let mut previous_varying: Option<usize> = None;
    for &i in varying {
        let from = previous_varying
            .map_or(0, |p| p + 1)
            .max(i.saturating_sub(CONTEXT_PIECES));
        let context: Vec<u8> = cut[0][from..i].concat();
        let at_line_start = i == 0;
        previous_varying = Some(i);
        let tokens = cut.iter().map(|c| c[i]);
        // A token cut from its neighbours by non-token bytes (`0x…` between spaces).
        let kind = match cut[0][i]
            .first()
            .is_some_and(|b| super::lines::is_token_byte(*b))
        {
            true => Kind::of(tokens.clone()),
            false => Kind::Word,
        };
        let group = groups
            .entry((context.clone(), at_line_start, kind))
            .or_insert_with(|| {
                let mut shape = cut[0].clone();
                shape[i] = "…".as_bytes();
                TokenGroup {
                    context,
                    at_line_start,
                    kind,
                    first_line: line,
                    shape: lossy(&shape.concat(), 100),
                    tuples: Vec::new(),
                    values: BTreeMap::new(),
                }
            });
        if group.tuples.len() < MAX_TUPLES {
            // Each run's line with only this token its own (the others as in run 1), so a
            // candidate rule is checked on this token alone.
            let isolated = cut
                .iter()
                .map(|c| {
                    (0..c.len())
                        .flat_map(|j| if j == i { c[j] } else { cut[0][j] }.iter().copied())
                        .collect()
                })
                .collect();
            group.tuples.push(isolated);
        }
        for (r, t) in tokens.enumerate() {
            let v = group.values.entry(t.to_vec()).or_default();
            v.0.insert(r as u32 + 1);
            v.1 += 1;
        }
    }
}

/// Up to `max` characters of `bytes`, lossily decoded, `…` when cut.
pub(super) fn lossy(bytes: &[u8], max: usize) -> String {
    let s = String::from_utf8_lossy(bytes);
    match s.char_indices().nth(max) {
        Some((cut, _)) => format!("{}…", &s[..cut]),
        None => s.into_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::super::lines::Differing;
    use super::*;

    fn collected(rows: &[(u64, &[&str])]) -> Collected {
        Collected {
            differing: rows
                .iter()
                .map(|(line, texts)| Differing {
                    line: *line,
                    texts: texts.iter().map(|t| Some(t.as_bytes().to_vec())).collect(),
                })
                .collect(),
            stopped_at: None,
        }
    }

    #[test]
    fn kinds_from_most_specific() {
        let k = |v: &[&str]| Kind::of(v.iter().map(|s| s.as_bytes()));
        assert_eq!(k(&["0x7ffd12", "0x55aa"]), Kind::Hex0x);
        assert_eq!(k(&["12:03:44", "9:05:01.25"]), Kind::Time);
        assert_eq!(k(&["42", "-3.5"]), Kind::Number);
        assert_eq!(k(&["deadbeef", "cafe01"]), Kind::Hex);
        assert_eq!(k(&["tmpa1", "tmpzz"]), Kind::Word);
    }

    #[test]
    fn moved_lines_tokens_and_outright_changes_are_told_apart() {
        let c = collected(&[
            (1, &["ptr 0x55aa01", "ptr 0x55bb02", "ptr 0x55cc03"]),
            (3, &["apple", "pear", "fig"]),
            (4, &["pear", "fig", "apple"]),
            (5, &["fig", "apple", "pear"]),
        ]);
        let s = sort(&c, 3, true);
        assert_eq!(s.order.as_ref().map(|o| o.0), Some(3));
        assert_eq!(s.tokens.len(), 1);
        assert_eq!(s.tokens[0].kind, Kind::Hex0x);
        assert_eq!(s.tokens[0].context, b"ptr ");
        assert_eq!(s.tokens[0].shape, "ptr …");
        assert!(s.lines.is_none());
        let s = sort(&collected(&[(2, &["a b", "a b c"])]), 2, true);
        assert!(s.lines.is_some() && s.tokens.is_empty());
    }
}
