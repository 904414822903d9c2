//! The `ptest` binary: parses the command line and hands it to [`ptest::commands`]. Every
//! exit goes through [`ptest::exit_code`].

use clap::Parser;
use ptest::exit_code;
use ptest_engine::process::{Cancel, SignalHandlerKind};

fn main() {
    // The run's watchdog (see runner::contain): a hidden command, handled before parsing.
    let args: Vec<String> = std::env::args().take(3).collect();
    if let [_, cmd, run] = &args[..]
        && cmd == ptest::runner::contain::WATCHDOG
    {
        ptest::runner::contain::watchdog_main(run);
        std::process::exit(exit_code::OK);
    }
    let cli = match ptest::cli::Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let _ = e.print();
            // `--help` and `--version` are not errors.
            std::process::exit(if e.use_stderr() {
                exit_code::USAGE
            } else {
                exit_code::OK
            });
        }
    };
    // The one signal handler of the process: the runner, the engine and `review` get it
    // as a value; it listens once something is running (see `Cancel::install`).
    let cancel = Cancel::new(SignalHandlerKind::Standard);
    std::process::exit(ptest::commands::run(cli, &cancel));
}
