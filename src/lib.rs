//! `aga`: Altruistic Gradient Adjustment and friends for differentiable multi-agent games, on
//! Burn. This facade re-exports the member crates:
//!
//! * [`core`] (`aga-core`): the update rules and their configuration;
//! * [`burn_ext`] (`aga-burn`): the forward-mode backend, the game API and exact derivatives;
//! * [`games`] (`aga-games`): games with known answers.

pub use aga_burn as burn_ext;
pub use aga_burn::backends as burn_backends;
pub use aga_core as core;
pub use aga_games as games;
