//! Bytes: the streaming equality check, binary windows and the read-ahead. See the list
//! in [`super`].

pub(super) mod ahead;
pub(super) mod binary;

use super::difference;
