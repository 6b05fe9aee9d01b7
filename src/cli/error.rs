//! The command line's errors: each prints as one line.

use crate::analysis::AnalysisError;
use crate::experiments::ExperimentError;
use aga_burn::GameError;
use aga_core::{ConfigError, RuleError, ShapingError, StepError};
use aga_games::GamesError;
use thiserror::Error;

/// Everything that makes the command line exit with status 2.
#[derive(Debug, Error)]
pub enum CliError {
    /// A malformed list of numbers.
    #[error("{option}: {message}")]
    BadList {
        /// The option, e.g. `--at`.
        option: &'static str,
        /// What is wrong.
        message: String,
    },
    /// A required point was not given and the game suggests none.
    #[error("{0} is required for this game")]
    Missing(&'static str),
    /// A number option out of range.
    #[error("{0}")]
    BadValue(String),
    /// A game that cannot be built.
    #[error(transparent)]
    Games(#[from] GamesError),
    /// An unusable rule configuration.
    #[error(transparent)]
    Config(#[from] ConfigError),
    /// The game failed to evaluate.
    #[error(transparent)]
    Game(#[from] GameError),
    /// A failure while computing a direction.
    #[error(transparent)]
    Rule(#[from] RuleError<ShapingError<GameError>>),
    /// A failure during a run.
    #[error("the run failed {0}{hint}", hint = divergence_hint(.0))]
    Run(#[from] StepError<ShapingError<GameError>>),
    /// The (possibly shaped) game failed to evaluate.
    #[error(transparent)]
    Shaped(#[from] ShapingError<GameError>),
    /// A config file that cannot be read or parsed.
    #[error("cannot use config file {path}: {message}")]
    ConfigFile {
        /// The file.
        path: String,
        /// Why.
        message: String,
    },
    /// The fixed-point analysis failed.
    #[error(transparent)]
    Analysis(#[from] AnalysisError),
    /// An experiment failed.
    #[error(transparent)]
    Experiment(#[from] ExperimentError),
    /// A file could not be written.
    #[error("cannot write {path}: {source}")]
    Io {
        /// The file.
        path: String,
        /// Why.
        source: std::io::Error,
    },
    /// A training run failed.
    #[error(transparent)]
    Rl(#[from] aga_rl::RlError),
    /// A training run's files could not be used, or its training failed.
    #[error(transparent)]
    Training(#[from] crate::training::TrainingError),
    /// CSV output failed.
    #[error("cannot write {path}: {source}")]
    Csv {
        /// The file.
        path: String,
        /// Why.
        source: csv::Error,
    },
}

impl CliError {
    /// A failure to write the command's output (stdout or stderr).
    pub fn output(source: std::io::Error) -> Self {
        CliError::Io {
            path: "standard output".to_string(),
            source,
        }
    }
}

/// After the first step, a non-finite number means the iterates ran away: say what to change.
fn divergence_hint(error: &StepError<ShapingError<GameError>>) -> &'static str {
    if error.step > 0 {
        " (the iterates diverged: try a smaller --lr, or for consensus, sga and aga a smaller --lambda)"
    } else {
        ""
    }
}
