//! Pandalog glue: compares two pandalogs entry by entry through `ptest_plog`, with the
//! test's filters applied to each entry's text, and names the files in the report as the
//! other diffs do. Also which files count as pandalogs ([`looks_like_pandalog`]).
//!
//! It must not decode pandalogs itself (that is `ptest_plog`) nor fall back to another
//! mode: when decoding fails it says why and the caller reports the bytes.

use std::path::Path;

use super::apply::Filters;
use super::difference::{Difference, PlogDiff};
use super::verdict::FileVerdict;

/// Whether either file looks like a pandalog, by content; unreadable counts as not.
pub(super) fn looks_like_pandalog(blessed: &Path, new: &Path) -> bool {
    let plog = |p: &Path| ptest_plog::looks_like_pandalog(p).unwrap_or(false);
    plog(blessed) || plog(new)
}

/// Two pandalogs to compare, and how.
pub(super) struct PlogPair<'a> {
    /// Relative name, for the report's headers.
    pub name: &'a str,
    pub blessed: &'a Path,
    pub new: &'a Path,
    pub filters: Filters<'a>,
    pub schema: Option<&'a Path>,
    pub max_lines: usize,
}

/// Entry-level comparison; `Err` says why the files could not be read as pandalogs.
pub(super) fn compare(pair: &PlogPair<'_>) -> Result<FileVerdict, String> {
    let filter = |s: &str| pair.filters.apply_text(s);
    let opts = ptest_plog::CompareOptions {
        schema: pair.schema,
        filter: &filter,
        max_report_lines: pair.max_lines,
    };
    let r = ptest_plog::compare_files(pair.blessed, pair.new, &opts).map_err(|e| e.to_string())?;
    if r.equal {
        return Ok(FileVerdict::Same);
    }
    Ok(FileVerdict::Differs {
        difference: Difference::Plog(PlogDiff {
            name: pair.name.to_string(),
            changes: r.changes,
        }),
    })
}
