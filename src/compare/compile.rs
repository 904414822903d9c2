//! Building a [`Comparer`]: the layers of TOML rules (suite, then test) compiled once into
//! filters, glob → mode matchers and settings, with config errors as one line naming the
//! file and what to fix.
//!
//! It must not compare anything: choosing a file's mode is `sniff`, comparing is `dir`.

use std::path::{Path, PathBuf};

use globset::{Glob, GlobMatcher};

use super::error::CompareError;
use super::filter::{self, Filter};
use super::mode::Mode;
use super::spec::{CompareLayer, DEFAULT_DIFF_LINES};

/// Compiled comparison rules for one test.
#[derive(Debug)]
pub struct Comparer {
    pub(super) filters: Vec<Filter>,
    /// Glob → mode, in precedence order (the last match wins).
    pub(super) modes: Vec<(GlobMatcher, Mode)>,
    /// For files no glob matches and that do not look like pandalogs.
    pub(super) default_mode: Mode,
    pub(super) diff_lines: usize,
    pub(super) plog_schema: Option<PathBuf>,
    /// Test name for the "see `ptest diff TEST`" note of a cut diff.
    pub(super) test: Option<String>,
}

impl Comparer {
    /// Compile the layers in order (suite first, then the test): filters of later layers
    /// run after earlier ones; modes and settings of later layers override earlier ones.
    /// Within one layer's `[compare] modes`, when several globs match a file, the longest
    /// glob wins (the more specific one, as `*.log` loses to `trace/*.log`).
    pub fn new(layers: &[CompareLayer]) -> Result<Self, CompareError> {
        let mut c = Comparer {
            filters: Vec::new(),
            modes: Vec::new(),
            default_mode: Mode::Exact,
            diff_lines: DEFAULT_DIFF_LINES,
            plog_schema: None,
            test: None,
        };
        for layer in layers {
            let origin = &layer.origin;
            for (i, spec) in layer.filters.iter().enumerate() {
                c.filters.extend(filter::compile(origin, i + 1, spec)?);
            }
            let cmp = &layer.compare;
            let unknown = |what: &str, m: &str| {
                let names: Vec<&str> = Mode::ALL.iter().map(|m| m.as_str()).collect();
                CompareError::Invalid(format!(
                    "{origin}: [compare] {what}: unknown mode {m:?}; use one of {}",
                    names.join(", ")
                ))
            };
            if let Some(m) = &cmp.mode {
                c.default_mode = Mode::parse(m).ok_or_else(|| unknown("mode", m))?;
            }
            let mut globs: Vec<(&String, &String)> = cmp.modes.iter().collect();
            globs.sort_by_key(|(g, _)| g.len());
            for (glob, m) in globs {
                let mode = Mode::parse(m).ok_or_else(|| unknown(&format!("modes {glob:?}"), m))?;
                let matcher = Glob::new(glob)
                    .map_err(|e| {
                        CompareError::Invalid(format!(
                            "{origin}: [compare] modes: invalid glob {glob:?}: {}; write globs like \"*.txt\" or \"logs/**\"",
                            e.kind()
                        ))
                    })?
                    .compile_matcher();
                c.modes.push((matcher, mode));
            }
            if let Some(n) = cmp.diff_lines {
                c.diff_lines = n;
            }
            if let Some(schema) = &cmp.plog_schema {
                // Relative to the config file that names it, like any path in a config.
                let base = Path::new(origin).parent().unwrap_or(Path::new(""));
                c.plog_schema = Some(base.join(schema));
            }
        }
        Ok(c)
    }

    /// Name the test, so that a cut diff says `see ptest diff NAME`.
    pub fn with_test_name(mut self, name: impl Into<String>) -> Self {
        self.test = Some(name.into());
        self
    }

    /// Override the configured diff length (`ptest diff` may want the whole diff).
    pub fn with_diff_lines(mut self, lines: usize) -> Self {
        self.diff_lines = lines;
        self
    }
}
