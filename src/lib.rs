//! The `aga` facade re-exports the member crates: [`core`] (`aga-core`, the update rules),
//! [`burn_ext`] (`aga-burn`, the forward-mode backend, the game API and exact derivatives),
//! [`burn_backends`] (backend aliases) and [`games`] (`aga-games`). The README follows.

#![doc = include_str!("../README.md")]

pub use aga_burn as burn_ext;
pub use aga_burn::backends as burn_backends;
pub use aga_core as core;
pub use aga_games as games;
