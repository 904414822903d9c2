use clap::Parser;

fn main() {
    // The run's watchdog (see runner::contain): a hidden command, handled before parsing.
    let args: Vec<String> = std::env::args().take(3).collect();
    if let [_, cmd, run] = &args[..]
        && cmd == ptest::runner::contain::WATCHDOG
    {
        std::process::exit(ptest::runner::contain::watchdog_main(run));
    }
    let cli = ptest::cli::Cli::parse();
    std::process::exit(ptest::commands::run(cli));
}
