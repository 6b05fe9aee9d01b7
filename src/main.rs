//! The `aga` command line: directions and gradient-descent runs of the update rules on games,
//! fixed-point analysis and the paper's experiments (see `aga --help`).
//!
//! Every user error prints one line on stderr and exits with status 2.

use std::process::ExitCode;

fn main() -> ExitCode {
    let code = aga::cli::main_with(
        std::env::args_os(),
        &mut std::io::stdout().lock(),
        &mut std::io::stderr().lock(),
    );
    ExitCode::from(code)
}
