use clap::Parser;

fn main() {
    let cli = ptest::cli::Cli::parse();
    std::process::exit(ptest::commands::run(cli));
}
