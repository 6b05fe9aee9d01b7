//! Errors of environment configuration and use.

use thiserror::Error;

/// A configuration or an input the environments cannot use.
#[derive(Debug, Clone, PartialEq, Error)]
pub enum EnvError {
    /// A map character that is not part of the environment's alphabet.
    #[error(
        "map row {row}, column {col}: unknown map character `{ch}` (expected one of {allowed})"
    )]
    UnknownCell {
        /// Row (0-based).
        row: usize,
        /// Column (0-based).
        col: usize,
        /// The character.
        ch: char,
        /// The characters this environment accepts.
        allowed: &'static str,
    },
    /// Rows of different lengths, or an empty map.
    #[error("the map must be a non-empty rectangle: {0}")]
    BadShape(String),
    /// No `P` cell to spawn on.
    #[error("the map has no spawn cell `P`")]
    NoSpawn,
    /// Zero agents, or more than there are spawn cells.
    #[error("{agents} agents for {spawns} spawn cells: need between 1 and {spawns}")]
    AgentCount {
        /// Agents asked for.
        agents: usize,
        /// Spawn cells on the map.
        spawns: usize,
    },
    /// A view radius of 0 or an unreasonable one.
    #[error("the view radius must be between 1 and 64, got {0}")]
    BadView(usize),
    /// An environment name that names none.
    #[error("unknown environment `{0}` (expected cleanup, harvest, or a battle: mmm2, mmm, 3m, 2s3z-like)")]
    UnknownEnv(String),
    /// A probability, rate or other number out of range.
    #[error("{0}")]
    BadParameter(String),
    /// A list of actions of the wrong length or with an action the environment lacks.
    #[error("{0}")]
    BadActions(String),
    /// A buffer of the wrong size.
    #[error("{what} has {got} entries, expected {expected}")]
    BufferSize {
        /// Which buffer.
        what: &'static str,
        /// Entries needed.
        expected: usize,
        /// Entries given.
        got: usize,
    },
}
