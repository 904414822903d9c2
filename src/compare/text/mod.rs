//! Line comparison: loading and streaming lines in compared form, the diff algorithm
//! and the lines a diff shows. See the list in [`super`].

pub(super) mod block;
pub(super) mod budget;
pub(super) mod diff;
pub(super) mod lines;
pub(super) mod render;
pub(super) mod stream;
pub(super) mod transform;

use super::{ahead, apply, binary, cancel, difference, mode};
#[cfg(test)]
use super::{filter, spec};
