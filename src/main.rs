//! The `aga` command line: directions and gradient-descent runs of the update rules on games,
//! fixed-point analysis and the paper's experiments (see `aga --help`).
//!
//! Every user error prints one line on stderr and exits with status 2.

use std::process::ExitCode;

/// mimalloc instead of glibc's allocator: every Burn op allocates its output, and on small games
/// the allocator was a fifth of the process (docs/performance.md, "The command line").
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    // Unlocked handles: progress bars draw on stderr from worker threads (rollouts and
    // experiments run inside rayon pools), and a lock held here for the whole command would
    // block them forever on a terminal.
    let code = aga::cli::main_with(
        std::env::args_os(),
        &mut std::io::stdout(),
        &mut std::io::stderr(),
    );
    ExitCode::from(code)
}
