//! Filters: the named presets, their fast matchers, compiling rules and the one applier.
//! See the list in [`super`].

pub(super) mod apply;
pub(super) mod filter;
pub(super) mod literal;
pub(super) mod preset;

use super::{error, spec};
