//! ptest: regression testing for record/replay program analyses.
//!
//! Layers, each in its own folder: [`cli`] parses arguments only → [`suite`] finds tests
//! and reads configuration → [`runner`] schedules and runs scripts, emitting events and
//! returning a [`runner::RunOutcome`] → [`compare`] checks outputs against blessed
//! references → [`bless`] promotes outputs to references, a step after each attempt of
//! `bless` and the whole of `accept` → [`report`] sinks the runner's events into terminal
//! output, JUnit and JSON. [`record`] is the one renderer of file verdicts, below both
//! runner and report; [`commands`] wires the layers per command and maps every ending to
//! [`exit_code`]. Pandalogs live in the `ptest-plog` crate, guest images and emulator
//! drivers in `ptest-engine`.

pub mod archive;
pub mod bless;
pub mod cli;
pub mod commands;
pub mod compare;
pub mod exit_code;
pub mod human;
pub mod inputs;
pub mod record;
pub mod report;
pub mod review;
pub mod runner;
pub mod suite;
pub mod tree;
pub mod variation;
