//! ptest: regression testing for record/replay program analyses.
//!
//! Layers, each in its own folder: [`cli`] parses arguments only → [`suite`] finds tests
//! and reads configuration → [`runner`] schedules and runs scripts, emitting events →
//! [`compare`] checks outputs against blessed references → [`report`] turns events into
//! terminal output, JUnit and JSON. Pandalogs live in the `ptest-plog` crate, guest
//! images and emulator drivers in `ptest-engine`.

pub mod bless;
pub mod cli;
pub mod commands;
pub mod compare;
pub mod exit_code;
pub mod human;
pub mod outcome;
pub mod report;
pub mod runner;
pub mod suite;
pub mod tree;
