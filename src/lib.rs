//! The `aga` facade: [`prelude`] (one import for a user's first hour), and the member crates
//! re-exported as [`rules`] (`aga-core`, the update rules), [`burn_ext`] (`aga-burn`, the
//! forward-mode backend, the game API, exact derivatives and the optimiser wrapper),
//! [`burn_backends`] (backend aliases) and [`games`] (`aga-games`).
//!
//! With the default cargo feature `cli` it also has the command line ([`cli`]), the fixed-point
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
pub use aga_games as games;

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
