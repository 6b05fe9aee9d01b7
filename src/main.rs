//! The `aga` command line: directions and gradient-descent runs of the update rules on games.
//!
//! Every user error prints one line on stderr and exits with status 2.

mod cli;

use clap::Parser;
use std::process::ExitCode;

fn main() -> ExitCode {
    let args = match cli::Cli::try_parse() {
        Ok(args) => args,
        Err(e) => return cli::clap_error(e),
    };
    match cli::run(args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("aga: error: {e}");
            ExitCode::from(2)
        }
    }
}
