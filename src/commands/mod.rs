//! One module per command; each turns parsed arguments into calls on the library layers.

use crate::cli::Cli;

/// Runs the parsed command line; returns the process exit code.
pub fn run(_cli: Cli) -> i32 {
    crate::exit_code::OK
}
