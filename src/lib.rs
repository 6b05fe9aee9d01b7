//! The `aga` facade: [`prelude`] (one import for a user's first hour), and the member crates
//! re-exported as [`rules`] (`aga-core`, the update rules), [`burn_ext`] (`aga-burn`, the
//! forward-mode backend, the game API, exact derivatives and the optimiser wrapper),
//! [`burn_backends`] (backend aliases) and [`games`] (`aga-games`).
//!
//! With the cargo feature `rl` (on by default) it re-exports the environments ([`envs`]) and the
//! multi-agent learner ([`rl`]). With the default cargo feature `cli` it also has the command line ([`cli`]), the fixed-point
//! analysis of `aga hessian` (`analysis`), the paper's experiments (`experiments`) and their
//! plots (`plot`). A library user turns it off — `aga = { …, default-features = false }` — and
//! compiles none of clap, plotters, nalgebra, csv or indicatif. The README follows.

#![doc = include_str!("../README.md")]
#![warn(missing_docs)]

/// Using aga in your Burn training loop (`docs/guide.md`; its complete example runs as a test).
#[doc = include_str!("../docs/guide.md")]
pub mod guide {}

pub use aga_burn as burn_ext;
pub use aga_burn::backends as burn_backends;
pub use aga_core as rules;
/// The environments (`aga-envs`): the [`MultiAgentEnv`](aga_envs::MultiAgentEnv) trait, the
/// vectorised runner, Cleanup and Harvest (cargo feature `rl`).
#[cfg(feature = "rl")]
pub use aga_envs as envs;
pub use aga_games as games;
/// The multi-agent learner (`aga-rl`): PPO agents on any [`MultiAgentEnv`](aga_envs::MultiAgentEnv)
/// trained with any rule (cargo feature `rl`).
#[cfg(feature = "rl")]
pub use aga_rl as rl;

pub mod prelude;

#[cfg(feature = "cli")]
pub mod analysis;
#[cfg(feature = "cli")]
pub mod cli;
#[cfg(feature = "cli")]
pub mod experiments;
#[cfg(feature = "cli")]
pub mod plot;
#[cfg(feature = "cli")]
pub mod render;
#[cfg(feature = "cli")]
pub mod training;
