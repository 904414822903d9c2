//! How a mode turns each line into what is compared ([`Transform`]): filters, then
//! `text`'s trimming or `exact`'s line endings; and loading a whole file in that form, for
//! a full diff or `sorted`.
//!
//! It must not decide how two files are compared (that is `file`) nor stream them side by
//! side (that is `stream`); filtering itself is `apply`'s.

use std::fs::File;
use std::io::{self, BufRead, BufReader, Read, Seek};

use super::apply::Filters;
use super::lines::Lines;
use super::mode::Mode;

/// How each line is turned into what is compared.
#[derive(Clone, Copy)]
pub(in crate::compare) struct Transform<'a> {
    pub mode: Mode,
    pub filters: Filters<'a>,
}

fn trim_end_ws(s: &[u8]) -> &[u8] {
    let n = s
        .iter()
        .rposition(|b| !matches!(b, b' ' | b'\t' | b'\r' | b'\x0b' | b'\x0c'))
        .map_or(0, |i| i + 1);
    &s[..n]
}

impl Transform<'_> {
    /// Whether compared lines keep their `\n` (only `exact` cares about line endings).
    pub(in crate::compare) fn terminators(&self) -> bool {
        self.mode == Mode::Exact
    }

    /// The compared form of `raw` (one line, with its `\n` if it has one) into `out`;
    /// `scratch` is working space.
    pub(in crate::compare) fn apply(&self, raw: &[u8], out: &mut Vec<u8>, scratch: &mut Vec<u8>) {
        let (body, nl) = match raw.strip_suffix(b"\n") {
            Some(b) => (b, true),
            None => (raw, false),
        };
        match self.mode {
            Mode::Text => {
                self.filters.apply_into(trim_end_ws(body), out, scratch);
                let keep = trim_end_ws(out).len();
                out.truncate(keep);
            }
            Mode::Exact => {
                self.filters.apply_into(body, out, scratch);
                if nl {
                    out.push(b'\n');
                }
            }
            Mode::Sorted | Mode::Plog => self.filters.apply_into(body, out, scratch),
        }
    }

    /// Load a whole file in compared form; `None` if it is too large to hold (filters
    /// may make lines longer than they were).
    pub(in crate::compare) fn load(&self, f: &mut File, size: u64) -> io::Result<Option<Lines>> {
        f.rewind()?;
        let mut lines = if self.filters.is_empty() {
            let mut buf = Vec::with_capacity(size as usize);
            f.read_to_end(&mut buf)?;
            let Some(mut lines) = Lines::from_bytes(buf) else {
                return Ok(None);
            };
            match self.mode {
                Mode::Exact => {}
                Mode::Text => {
                    lines.map_spans(|l| trim_end_ws(l.strip_suffix(b"\n").unwrap_or(l)).len())
                }
                Mode::Sorted | Mode::Plog => {
                    lines.map_spans(|l| l.strip_suffix(b"\n").unwrap_or(l).len())
                }
            }
            lines
        } else {
            let mut lines = Lines::with_terminators(true, size as usize);
            let mut reader = BufReader::with_capacity(1 << 20, f);
            let (mut raw, mut out, mut scratch) = (Vec::new(), Vec::new(), Vec::new());
            loop {
                raw.clear();
                if reader.read_until(b'\n', &mut raw)? == 0 {
                    break;
                }
                self.apply(&raw, &mut out, &mut scratch);
                if !lines.push(&out) {
                    return Ok(None);
                }
            }
            lines
        };
        lines.set_terminators(self.terminators());
        if self.mode == Mode::Sorted {
            lines.sort();
        }
        Ok(Some(lines))
    }
}
