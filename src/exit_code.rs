//! The one table of process exit codes. These are stable: CI wrappers depend on them.
//! No other module may exit or return a literal code (tests/exit_codes.rs checks each).

/// Everything that was asked for succeeded.
pub const OK: i32 = 0;
/// `ptest plog diff`: the two logs differ.
pub const DIFFERENT: i32 = 1;
/// Bad command line, bad configuration (`config.testing`, `ptest.toml`, `test.toml`) or
/// an environment ptest cannot work in (no regression directory, directory locked, …).
pub const USAGE: i32 = 2;
/// `ptest replay` / `ptest record`: the replay failed, stalled, timed out or did not reach
/// the recording's end, or a recording hit its `record-timeout` (1 stays `plog diff`'s).
pub const ENGINE_FAILED: i32 = 3;
/// Some test failed, errored or timed out (the code ptest.py used, kept for CI wrappers).
pub const TESTS_FAILED: i32 = 100;
/// Interrupted by Ctrl-C / SIGTERM; the partial summary was printed.
pub const INTERRUPTED: i32 = 130;

/// `ptest record`/`replay` stopped by `signal` (its emulator killed): what a shell reports
/// for a process the signal ended, 128 + its number.
pub fn stopped_by(signal: i32) -> i32 {
    128 + signal
}

/// A run's code (`test`/`bless`/`setup`, and `report merge`, which must give what one run of
/// the whole suite would): a report that could not be written, then Ctrl-C, then results.
pub fn of_run(outcome: &crate::runner::RunOutcome, reports_written: bool) -> i32 {
    if !reports_written {
        USAGE
    } else if outcome.interrupted {
        INTERRUPTED
    } else if outcome.succeeded() {
        OK
    } else {
        TESTS_FAILED
    }
}
