//! The `aga` facade re-exports the member crates: [`core`] (`aga-core`, the update rules),
//! [`burn_ext`] (`aga-burn`, the forward-mode backend, the game API and exact derivatives),
//! [`burn_backends`] (backend aliases) and [`games`] (`aga-games`), and adds the fixed-point
//! [`analysis`] of `aga hessian`, the paper's [`experiments`] and their [`plot`]s. The README
//! follows.

#![doc = include_str!("../README.md")]
#![warn(missing_docs)]

/// Using aga in your Burn training loop (`docs/guide.md`; its complete example runs as a test).
#[doc = include_str!("../docs/guide.md")]
pub mod guide {}

pub use aga_burn as burn_ext;
pub use aga_burn::backends as burn_backends;
pub use aga_core as core;
pub use aga_games as games;

pub mod analysis;
pub mod experiments;
pub mod plot;
