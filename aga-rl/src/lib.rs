//! Multi-agent reinforcement learning for `aga` (MATH.md §6): each agent is a player with its
//! own policy, and the update rules of `aga-core` act on the agents' PPO surrogates.
//!
//! This crate holds the learner's pieces so far:
//!
//! * [`gae`]: generalised advantage estimation over a rollout of one environment copy, with
//!   episode ends inside the rollout;
//! * [`svo_shaped`]: social-value-orientation reward shaping, the paper's SVO baseline;
//! * [`ppo_surrogate`] and [`normalise_advantages`]: PPO's clipped surrogate with advantages
//!   and old log-probabilities that are constants at every order;
//! * [`dice_surrogate_rows`] and [`DiceGame`]: the joint (DiCE) surrogate, whose Hessians couple
//!   the agents ([`Surrogate`]);
//! * [`TrainConfig`]: every hyperparameter of a training run, validated before anything runs,
//!   with the method ([`RlMethod`]) and its `λ`.
#![warn(missing_docs)]

mod config;
mod error;
mod gae;
mod losses;
mod policy;
mod rollout;
mod surrogate;
mod svo;
mod trainer;

/// Data-parallel transports ([`Trainer::with_env_parallel`]), re-exported.
pub use aga_parallel as parallel;
pub use config::{ConfigError, PpoConfig, RlMethod, Surrogate, TrainConfig};
pub use error::RlError;
pub use gae::{gae, Advantages};
pub use losses::{CriticLoss, DiceGame, Minibatch, PpoGame};
pub use policy::{
    Actors, Critics, NetShape, PolicyKind, StackedConv2d, StackedLinear, StackedTorso, CHANNELS,
    HIDDEN, MASKED_LOGIT,
};
pub use rollout::{explained_variance, Rollout};
pub use surrogate::{
    dice_surrogate_rows, kl_and_clipped, normalise_advantage_rows, normalise_advantages,
    ppo_surrogate, ppo_surrogate_rows,
};
pub use svo::svo_shaped;
pub use trainer::{checkpoint_updates, PpoMetrics, RuleMetrics, Trainer, UpdateMetrics};
