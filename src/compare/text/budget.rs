//! The memory budget of a full comparison: whether two files are small enough to load and
//! diff in full ([`too_large`]), from their sizes and line counts. Beyond the budget the
//! callers fall back to streaming (the first difference, or line digests for `sorted`).
//!
//! It only estimates and counts: it must not compare or load anything.

use std::fs::File;
use std::io::{self, BufRead, BufReader, Seek};

use super::binary::Side;

/// The memory a full diff (or a `sorted` comparison) may take, estimated from both files'
/// sizes and line counts by [`load_cost`]. Beyond it, `exact` and `text` report the first
/// difference (streamed, a few MiB whatever the size) and `sorted` compares an
/// order-independent digest of the lines. The report is cut to a few hundred lines
/// anyway; what it costs must stay within what GNU `diff` needs for the same files
/// (BENCHMARKS.md, "Memory").
pub(crate) const MAX_DIFF_MEMORY: u64 = 512 << 20;

/// What a loaded line costs besides its text: its span (8 bytes), its interned token (4),
/// the interner's slot for it (16 + table), the histogram diff's bookkeeping and the
/// change flags. Measured, rounded up (BENCHMARKS.md).
const LINE_COST: u64 = 48;

/// Estimated peak memory of loading and diffing files of these sizes and line counts.
fn load_cost(sizes: (u64, u64), lines: (u64, u64)) -> u64 {
    (sizes.0 + sizes.1).saturating_add(LINE_COST.saturating_mul(lines.0 + lines.1))
}

/// Newlines in a file (streamed), for [`load_cost`].
fn count_lines(f: &mut File) -> io::Result<u64> {
    f.rewind()?;
    let mut reader = BufReader::with_capacity(1 << 20, f);
    let mut n = 1;
    loop {
        let buf = match reader.fill_buf() {
            Ok(b) => b,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        if buf.is_empty() {
            return Ok(n);
        }
        n += memchr::memchr_iter(b'\n', buf).count() as u64;
        let len = buf.len();
        reader.consume(len);
    }
}

/// Why two files are not loaded, when [`load_cost`] is over [`MAX_DIFF_MEMORY`].
pub(in crate::compare) fn too_large(
    fa: &mut File,
    fb: &mut File,
    sizes: (u64, u64),
    limit: u64,
) -> Result<Option<String>, (Side, io::Error)> {
    // Sizes alone can already rule a full diff out, without reading anything.
    let lines = if sizes.0 + sizes.1 > limit {
        (0, 0)
    } else {
        (
            count_lines(fa).map_err(|e| (Side::Blessed, e))?,
            count_lines(fb).map_err(|e| (Side::New, e))?,
        )
    };
    let cost = load_cost(sizes, lines);
    Ok((cost > limit).then(|| {
        format!(
            "files too large to load ({} and {} bytes, about {} MiB to compare in full; limit {} MiB)",
            sizes.0,
            sizes.1,
            cost >> 20,
            limit >> 20
        )
    }))
}
