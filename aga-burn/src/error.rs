//! Errors of the derivative engine. Player fields are 0-based indices; messages number players
//! from 1, as MATH.md does.

use thiserror::Error;

/// What can go wrong when evaluating a game or its derivatives.
#[derive(Debug, Clone, PartialEq, Error)]
pub enum GameError {
    /// The game declared no players.
    #[error("the game has no players")]
    NoPlayers,
    /// A player owns no parameters.
    #[error("player {} has no parameters", player + 1)]
    NoParameters {
        /// The player (0-based).
        player: usize,
    },
    /// A module said to stack `agents` agents has a tensor whose leading dimension is not
    /// `agents` (or an agent index past the stack was asked for).
    #[error("player {} stacks {agents} agents, but a parameter has shape {shape:?} (every parameter's leading dimension must be the agent count)", player + 1)]
    NotStacked {
        /// The player (0-based).
        player: usize,
        /// Agents in the stack.
        agents: usize,
        /// The offending shape.
        shape: Vec<usize>,
    },
    /// The game returned a number of losses different from its number of players.
    #[error("the game returned {got} losses for {expected} players")]
    WrongLossCount {
        /// Number of players.
        expected: usize,
        /// Number of losses returned.
        got: usize,
    },
    /// A loss that is not a single number.
    #[error("player {}'s loss has shape {shape:?}; a loss must have exactly one element", player + 1)]
    NonScalarLoss {
        /// The player (0-based).
        player: usize,
        /// The shape returned.
        shape: Vec<usize>,
    },
    /// A loss that is NaN or infinite.
    #[error("player {}'s loss is not finite ({value})", player + 1)]
    NonFiniteLoss {
        /// The player (0-based).
        player: usize,
        /// The value.
        value: f64,
    },
    /// A game that says it has its own collective loss ([`crate::Game::has_collective_loss`])
    /// but returned none.
    #[error("the game declares a collective loss but returned none")]
    MissingCollectiveLoss,
    /// A collective loss that is not a single number.
    #[error("the collective loss has shape {shape:?}; a loss must have exactly one element")]
    NonScalarCollectiveLoss {
        /// The shape returned.
        shape: Vec<usize>,
    },
    /// A collective loss that is NaN or infinite.
    #[error("the collective loss is not finite ({value})")]
    NonFiniteCollectiveLoss {
        /// The value.
        value: f64,
    },
    /// A parameter vector or a tangent of the wrong length.
    #[error("{what} has {got} entries, but the game has {expected} parameters")]
    WrongLength {
        /// Which vector.
        what: &'static str,
        /// The game's number of parameters `d`.
        expected: usize,
        /// The length given.
        got: usize,
    },
    /// A parameter vector containing NaN or infinity.
    #[error("{what} contains a non-finite value at index {index} ({value})")]
    NonFiniteInput {
        /// Which vector.
        what: &'static str,
        /// First bad index.
        index: usize,
        /// The value there.
        value: f64,
    },
    /// A player index out of range.
    #[error(
        "player index {player} is out of range (the game has {players} players, indexed from 0)"
    )]
    NoSuchPlayer {
        /// The index asked for.
        player: usize,
        /// Number of players.
        players: usize,
    },
    /// A game whose per-loss pass (`n` copies of all `d` parameters) would exceed
    /// [`crate::MAX_PER_LOSS_VALUES`].
    #[error("the per-loss pass would hold players × parameters = {players} × {dim} values, above the limit of {max}; use fewer players or parameters")]
    TooLarge {
        /// Number of players `n`.
        players: usize,
        /// Number of parameters `d`.
        dim: usize,
        /// The limit on `n · d`.
        max: usize,
    },
    /// A game whose [`crate::Game::player_outputs`] returned a number of outputs different
    /// from its number of players.
    #[error("the game returned {got} player outputs for {expected} players")]
    WrongOutputCount {
        /// Number of players.
        expected: usize,
        /// Number of outputs returned.
        got: usize,
    },
    /// A per-player list of vectors of the wrong length.
    #[error("expected one vector per player ({expected}), got {got}")]
    WrongVectorCount {
        /// Number of players.
        expected: usize,
        /// Number of vectors given.
        got: usize,
    },
}
