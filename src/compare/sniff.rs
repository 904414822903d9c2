//! Which mode a file gets: the most specific matching glob of `[compare] modes`, else
//! `plog` for files whose content looks like a pandalog, else the default mode.
//!
//! It only chooses: it must not compare (that is `file`) nor read more of a file than the
//! pandalog check needs.

use std::path::Path;

use super::compile::Comparer;
use super::mode::Mode;
use super::plog;

impl Comparer {
    /// The mode a file gets: a matching glob, else `plog` for pandalogs (by content),
    /// else the default mode.
    pub fn mode_for(&self, name: &str, blessed: &Path, new: &Path) -> Mode {
        if let Some(m) = self.glob_mode(name) {
            return m;
        }
        if plog::looks_like_pandalog(blessed, new) {
            return Mode::Plog;
        }
        self.default_mode
    }

    /// The mode a file gets without opening it: a matching glob, else the default mode.
    pub(super) fn mode_unopened(&self, name: &str) -> Mode {
        self.glob_mode(name).unwrap_or(self.default_mode)
    }

    fn glob_mode(&self, name: &str) -> Option<Mode> {
        self.modes
            .iter()
            .rev()
            .find(|(g, _)| g.is_match(name))
            .map(|(_, m)| *m)
    }
}
