//! Errors in game construction.

use thiserror::Error;

/// A game's parameters that cannot be used.
#[derive(Debug, Clone, PartialEq, Error)]
pub enum GamesError {
    /// A matrix with no entries, ragged rows, or non-finite entries.
    #[error("invalid matrix: {0}")]
    BadMatrix(String),
    /// A game parameter out of its range.
    #[error("{0}")]
    BadParameter(String),
    /// A game name the registry does not know.
    #[error("unknown game `{0}` (expected one of: toy, bilinear, matching-pennies, ipd, stag-hunt, tandem, public-goods, mlp)")]
    UnknownGame(String),
    /// A size beyond what a game of this library is built for (checked before any allocation).
    #[error("{what} is {got}, above the limit of {max}; {hint}")]
    TooLarge {
        /// Which size.
        what: &'static str,
        /// The largest allowed value.
        max: u128,
        /// The value given (or computed from the sizes given).
        got: u128,
        /// How to get past the limit.
        hint: &'static str,
    },
    /// A size that must be positive.
    #[error("{what} must be at least {min}, got {got}")]
    TooSmall {
        /// Which size.
        what: &'static str,
        /// The smallest allowed value.
        min: usize,
        /// The value given.
        got: usize,
    },
}
