//! Stand-alone `plog` command (the same code as `ptest plog`), for benchmarks that
//! should not depend on the rest of ptest: `cargo run --release -p ptest-plog --example plog -- dump FILE`.
use clap::Parser;

#[derive(Parser)]
struct Args {
    #[command(subcommand)]
    cmd: ptest_plog::cli::PlogCommand,
}

fn main() {
    let args = Args::parse();
    let stdout = std::io::stdout();
    let code = match ptest_plog::cli::run(args.cmd, &mut stdout.lock()) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("error: {e}");
            2
        }
    };
    std::process::exit(code);
}
