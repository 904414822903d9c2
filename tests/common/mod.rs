//! The shared test helpers live in `crates/testkit` (`ptest_testkit`), one copy for the
//! tests of every crate; `mod common;` re-exports them and names the binary under test.
#![allow(unused_imports, dead_code)]

pub use ptest_testkit::*;

/// The binary under test, as Cargo built it for these tests.
pub const PTEST: &str = env!("CARGO_BIN_EXE_ptest");
