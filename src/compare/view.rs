//! A read-only view of a [`Comparer`] for code that looks at outputs without comparing a
//! pair of them (`variation`, which lines up N runs of one test): the filters that apply
//! to a file as one line transform, the known presets, and the binary sniff.
//!
//! It must not compare files: that stays `dir` and `file`.

use super::compile::Comparer;
use super::filters::apply::Filters;
use super::filters::filter::Filter;
use super::filters::preset;

/// The filters that apply to one file, in order.
pub struct LineFilter<'a> {
    list: Vec<&'a Filter>,
}

impl Comparer {
    /// The filters of these rules that apply to the file called `name`.
    pub fn line_filter(&self, name: &str) -> LineFilter<'_> {
        LineFilter {
            list: self.filters.iter().filter(|f| f.applies_to(name)).collect(),
        }
    }
}

impl LineFilter<'_> {
    /// `line` (without its terminator) as the comparison sees it, into `out`.
    pub fn apply(&self, line: &[u8], out: &mut Vec<u8>, scratch: &mut Vec<u8>) {
        Filters::new(&self.list).apply_into(line, out, scratch);
    }
}

/// Every preset's name, in the order the docs list them.
pub fn preset_names() -> Vec<&'static str> {
    preset::names().collect()
}

/// Whether the first bytes of a file look binary (as `exact` mode decides).
pub fn looks_binary(head: &[u8]) -> bool {
    super::bytes::binary::looks_binary(head)
}

impl Comparer {
    /// The schema pandalog outputs are decoded with (`plog-schema`), if one is set.
    pub fn plog_schema(&self) -> Option<&std::path::Path> {
        self.plog_schema.as_deref()
    }
}

impl Comparer {
    /// Whether the comparison would find `a` and `b` (both the file called `name`) the
    /// same, without computing what differs: streamed in bounded memory (lines in step,
    /// or `sorted`'s order-independent digest), so deciding that N runs agree costs no
    /// full diff. A pandalog, or a file that cannot be read, takes the whole comparison.
    pub fn same_files(&self, name: &str, a: &std::path::Path, b: &std::path::Path) -> bool {
        use super::bytes::binary;
        use super::mode::Mode;
        use super::text::stream::{LineKeys, first_line_difference, line_digest};
        use super::text::transform::Transform;
        let mode = self.mode_for(name, a, b);
        let whole = || self.compare_files(name, a, b).verdict == super::FileVerdict::Same;
        let (Ok(mut fa), Ok(mut fb)) = (std::fs::File::open(a), std::fs::File::open(b)) else {
            return whole();
        };
        match binary::first_difference(&mut fa, &mut fb) {
            Ok(None) => return true,
            Ok(Some(_)) => {}
            Err(_) => return whole(),
        }
        let list = self.line_filter(name).list;
        let tf = Transform {
            mode,
            filters: Filters::new(&list),
        };
        match mode {
            Mode::Plog => whole(),
            Mode::Exact
                if [&mut fa, &mut fb]
                    .into_iter()
                    .any(|f| binary::head(f).map_or(true, |h| binary::looks_binary(&h))) =>
            {
                false
            }
            Mode::Exact | Mode::Text => {
                matches!(first_line_difference(&mut fa, &mut fb, tf), Ok(None))
            }
            Mode::Sorted => {
                let keys = LineKeys::new();
                match (
                    line_digest(&mut fa, tf, &keys),
                    line_digest(&mut fb, tf, &keys),
                ) {
                    (Ok(da), Ok(db)) => da == db,
                    _ => whole(),
                }
            }
        }
    }
}
