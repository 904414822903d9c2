//! Comparing output folders: every file of the blessed folder against every file of the
//! new one (the walk is [`crate::tree`]'s), merged by name into a sorted list of
//! [`FileComparison`]s: missing, unexpected, invalid, or compared by `file` (through
//! [`Comparer::compare_files`], the public entry point for one pair).
//!
//! It must not compare contents itself (that is `file`) nor follow or open anything the
//! walk reported as not a regular file.

use std::path::Path;

use super::apply::Filters;
use super::budget::MAX_DIFF_MEMORY;
use super::cancel::{Cancel, Stopped};
use super::compile::Comparer;
use super::error::CompareError;
use super::file::{self, FileJob};
use super::filter::Filter;
use super::verdict::{DirComparison, FileComparison, FileVerdict};
use crate::tree;

impl Comparer {
    /// Compare one pair of files known to be regular (as [`Self::compare_dirs`] does for
    /// each file both folders hold); `name` is the relative name, for globs and messages.
    pub fn compare_files(&self, name: &str, blessed: &Path, new: &Path) -> FileComparison {
        match self.compare_files_until(name, blessed, new, &Cancel::never()) {
            Ok(cmp) => cmp,
            // A comparison that is never cancelled never stops.
            Err(stopped) => unreachable!("Cancel::never stopped: {stopped:?}"),
        }
    }

    fn compare_files_until(
        &self,
        name: &str,
        blessed: &Path,
        new: &Path,
        cancel: &Cancel,
    ) -> Result<FileComparison, Stopped> {
        let mode = self.mode_for(name, blessed, new);
        let applicable: Vec<&Filter> = self.filters.iter().filter(|f| f.applies_to(name)).collect();
        let more = match &self.test {
            Some(t) => format!("ptest diff {t}"),
            None => "ptest diff".to_string(),
        };
        // Diff headers and reasons reach the terminal: a newline in a name must not split
        // a header line (the record's `name` stays raw).
        let shown = crate::human::visible(name);
        let outcome = file::compare_file(&FileJob {
            name: &shown,
            blessed,
            new,
            mode,
            filters: Filters::new(&applicable),
            max_lines: self.diff_lines,
            more: &more,
            plog_schema: self.plog_schema.as_deref(),
            max_memory: MAX_DIFF_MEMORY,
            cancel,
        })?;
        let mut filters: Vec<String> = applicable.iter().map(|f| f.label.clone()).collect();
        filters.dedup();
        Ok(FileComparison {
            name: name.to_string(),
            mode: mode.as_str(),
            verdict: outcome,
            filters,
        })
    }

    /// Compare every file under `blessed` with every file under `new`: each blessed file
    /// must be produced, each produced file must be blessed, and their contents must match.
    /// Files come back sorted by name. A missing `blessed` folder counts as empty.
    pub fn compare_dirs(&self, blessed: &Path, new: &Path) -> Result<DirComparison, CompareError> {
        self.compare_dirs_until(blessed, new, &Cancel::never())
    }

    /// [`Self::compare_dirs`], stopping with [`CompareError::Stopped`] when `cancel` says
    /// so (polled between files and while a diff runs).
    pub fn compare_dirs_until(
        &self,
        blessed: &Path,
        new: &Path,
        cancel: &Cancel,
    ) -> Result<DirComparison, CompareError> {
        let walk = |root: &Path| {
            tree::walk(root).map_err(|source| CompareError::Io {
                path: root.to_path_buf(),
                source,
            })
        };
        let old = walk(blessed)?;
        let produced = walk(new)?;
        let mut names: Vec<&String> = old.keys().chain(produced.keys()).collect();
        names.sort();
        names.dedup();
        let mut files = Vec::with_capacity(names.len());
        for name in names {
            cancel.check().map_err(CompareError::Stopped)?;
            // Never opened, so never sniffed for pandalog content.
            let invalid = |side: &str, why: &str| FileComparison {
                name: name.clone(),
                mode: self.mode_unopened(name).as_str(),
                verdict: FileVerdict::Invalid {
                    reason: format!("{side}/{} {why}", crate::human::visible(name)),
                },
                filters: Vec::new(),
            };
            let cmp = match (old.get(name), produced.get(name)) {
                (Some(tree::Entry::Invalid(why)), _) => invalid("blessed", why),
                (_, Some(tree::Entry::Invalid(why))) => invalid("new", why),
                (Some(tree::Entry::File), Some(tree::Entry::File)) => self
                    .compare_files_until(name, &blessed.join(name), &new.join(name), cancel)
                    .map_err(CompareError::Stopped)?,
                (Some(tree::Entry::File), None) => {
                    let path = blessed.join(name);
                    FileComparison {
                        name: name.clone(),
                        mode: self.mode_for(name, &path, &path).as_str(),
                        verdict: FileVerdict::Missing,
                        filters: Vec::new(),
                    }
                }
                (None, Some(tree::Entry::File)) => {
                    let path = new.join(name);
                    FileComparison {
                        name: name.clone(),
                        mode: self.mode_for(name, &path, &path).as_str(),
                        verdict: FileVerdict::Unexpected,
                        filters: Vec::new(),
                    }
                }
                (None, None) => continue,
            };
            files.push(cmp);
        }
        Ok(DirComparison { files })
    }
}
