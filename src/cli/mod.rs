//! Argument parsing and the subcommands.

mod commands;
mod error;

pub use commands::run;
pub use error::CliError;

use clap::{Args, Parser, Subcommand};
use std::path::PathBuf;
use std::process::ExitCode;

const GAMES_HELP: &str = "Games:
  toy        AgA paper toy game (Fig. 1): l1 = -sin(a1 a2 + a2^2),
             l2 = -cos(1 + a1 - (1+a2)^2 + a1 a2^2); parameters (a1, a2)
  bilinear   zero-sum l1 = x^T M y = -l2; parameters (x1..xp, y1..yq) for M p x q;
             --matrix \"1,2;3,4\" (rows split by ';', entries by ','; default \"1\")
  mlp        MLP benchmark game (MATH.md §5): n MLPs 32 -> h -> h -> 1; --players n
             (default 2), --hidden h (default 16), --seed s; --at/--init may be omitted
             to start from the documented initialisation

Methods (MATH.md §4):
  simgd       xi~ = xi
  collective  xi~ = xi_c
  consensus   xi~ = xi + lambda H^T xi
  sga         xi~ = xi + lambda A^T xi, sign of lambda aligned (--no-align: as given)
  aga         xi~ = xi_c + lambda (xi + H_c xi_c), sign rule (--no-align: as given)";

/// Altruistic gradient adjustment and friends on differentiable games.
#[derive(Debug, Parser)]
#[command(name = "aga", version, about, after_long_help = GAMES_HELP)]
pub struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Print the update direction of a method at one point.
    #[command(after_long_help = GAMES_HELP)]
    Direction(DirectionArgs),
    /// Run gradient descent w <- w - lr * direction from an initial point.
    #[command(after_long_help = GAMES_HELP)]
    Run(RunArgs),
}

/// The game and the rule.
#[derive(Debug, Args)]
struct RuleArgs {
    /// Game: toy, bilinear or mlp (see --help for their parameters).
    #[arg(long, default_value = "toy")]
    game: String,
    /// Bilinear game: the matrix M, rows split by ';', entries by ',' (e.g. "1,2;3,4").
    #[arg(long, allow_hyphen_values = true)]
    matrix: Option<String>,
    /// MLP game: number of players.
    #[arg(long)]
    players: Option<usize>,
    /// MLP game: hidden width.
    #[arg(long)]
    hidden: Option<usize>,
    /// MLP game: seed of the input batch and the initialisation.
    #[arg(long)]
    seed: Option<u64>,
    /// Update rule: simgd, collective, consensus, sga or aga.
    #[arg(long)]
    method: String,
    /// Adjustment strength lambda (consensus, sga, aga).
    #[arg(long, default_value_t = 1.0, allow_hyphen_values = true)]
    lambda: f64,
    /// Use lambda as given: turn off SGA's alignment / AgA's sign rule (ablation).
    #[arg(long)]
    no_align: bool,
    /// SGA alignment epsilon.
    #[arg(long, default_value_t = 0.1, allow_hyphen_values = true)]
    sga_epsilon: f64,
}

#[derive(Debug, Args)]
struct DirectionArgs {
    #[command(flatten)]
    rule: RuleArgs,
    /// The point, comma-separated (e.g. 0.5,0.5).
    #[arg(long, allow_hyphen_values = true)]
    at: Option<String>,
    /// Print one JSON object {"xi","xi_c","direction","lambda"}.
    #[arg(long)]
    json: bool,
}

#[derive(Debug, Args)]
struct RunArgs {
    #[command(flatten)]
    rule: RuleArgs,
    /// Learning rate (> 0).
    #[arg(long, allow_hyphen_values = true)]
    lr: f64,
    /// Number of steps (>= 1).
    #[arg(long, allow_hyphen_values = true)]
    steps: usize,
    /// The initial point, comma-separated (e.g. 0.5,0.5).
    #[arg(long, allow_hyphen_values = true)]
    init: Option<String>,
    /// Print one JSON object {"final","losses","steps"}.
    #[arg(long)]
    json: bool,
    /// Write every step to this CSV file: step, the parameters, the losses.
    #[arg(long)]
    trajectory: Option<PathBuf>,
}

/// Print a clap error as one line (help and version print as usual).
pub fn clap_error(e: clap::Error) -> ExitCode {
    use clap::error::ErrorKind;
    if matches!(e.kind(), ErrorKind::DisplayHelp | ErrorKind::DisplayVersion)
        || matches!(
            e.kind(),
            ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand
        )
    {
        let _ = e.print();
        return if e.kind() == ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand {
            ExitCode::from(2)
        } else {
            ExitCode::SUCCESS
        };
    }
    let text = e.render().to_string();
    let body = text
        .split("\n\nUsage:")
        .next()
        .unwrap_or(&text)
        .split("\n\nFor more information")
        .next()
        .unwrap_or(&text);
    let line = body.split_whitespace().collect::<Vec<_>>().join(" ");
    let line = line.strip_prefix("error: ").unwrap_or(&line);
    eprintln!("aga: error: {line}");
    ExitCode::from(2)
}
