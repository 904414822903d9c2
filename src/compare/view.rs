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
