//! Errors of a training run.

use crate::ConfigError;
use aga_burn::TransformError;
use aga_envs::EnvError;
use std::path::Path;
use thiserror::Error;

/// What can stop a training run.
#[derive(Debug, Error)]
pub enum RlError {
    /// A bad hyperparameter.
    #[error(transparent)]
    Config(#[from] ConfigError),
    /// A bad environment configuration.
    #[error(transparent)]
    Env(#[from] EnvError),
    /// The update rule or the optimiser failed (e.g. a non-finite gradient).
    #[error(transparent)]
    Transform(TransformError),
    /// A file could not be read or written.
    #[error("{path}: {message}")]
    Io {
        /// The file.
        path: String,
        /// What went wrong.
        message: String,
    },
    /// A checkpoint that cannot be used.
    #[error("checkpoint: {0}")]
    Checkpoint(String),
    /// A data-parallel run's workers could not work together (a worker lost, a reduction
    /// past its deadline, workers that disagree).
    #[error("data-parallel training: {0}")]
    Parallel(String),
}

impl RlError {
    pub(crate) fn io(path: &Path, e: std::io::Error) -> Self {
        RlError::Io {
            path: path.display().to_string(),
            message: e.to_string(),
        }
    }

    pub(crate) fn record(e: burn::record::RecorderError) -> Self {
        RlError::Checkpoint(e.to_string())
    }
}
