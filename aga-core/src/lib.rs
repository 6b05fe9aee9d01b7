//! Update rules for differentiable games: `simgd`, `collective`, `consensus`, `sga`, `aga`
//! (altruistic gradient adjustment, Li et al., NeurIPS 2024), the opponent-shaping rules `la`,
//! `lola` and `sos`, and loss shaping (the SVO baseline) that composes with any of them.
//!
//! The rules know nothing about tensors or Burn. Each one is a short function from the
//! derivative quantities of `MATH.md` — the simultaneous gradient `ξ`, the collective gradient
//! `ξ_c`, and the Hessian-vector products `H v`, `Hᵀ v`, `H_c v` — to an adjusted direction `ξ̃`.
//! Those quantities come from a [`GameOracle`] evaluated at the current parameters, over any
//! vector type that implements [`GameVector`] (a `Vec<f64>` here, a flat Burn tensor in
//! `aga-burn`). Plain gradient descent is `w ← w − α ξ̃` ([`descend`]); any optimiser can consume
//! `ξ̃` in place of a gradient.
//!
//! ```
//! use aga_core::{direction, GameOracle, Method, RuleConfig};
//! # use aga_testing::QuadraticGame;
//! // l_1 = ½ x² + x y, l_2 = ½ y² − x y at (x, y) = (1, 2): ξ = (3, 1).
//! let game = QuadraticGame::two_player_example();
//! let mut oracle = game.at(vec![1.0, 2.0]);
//! let d = direction(&RuleConfig::new(Method::Simgd), &mut oracle).unwrap();
//! assert_eq!(d.value, vec![3.0, 1.0]);
//! ```
#![warn(missing_docs)]

mod config;
mod error;
mod oracle;
mod reduce;
mod rules;
mod shaping;
mod vector;

pub use config::{AlignDivisor, Method, RuleConfig};
pub use error::{ConfigError, RuleError, StepError};
pub use oracle::GameOracle;
pub use reduce::{
    thread_reducers, ReducedError, ReducedOracle, Reducer, ThreadReduceError, ThreadReducer,
};
pub use rules::{
    aga, collective, consensus, descend, direction, la, lola, sga, sgn, simgd, sos, Alignment,
    Direction, Step,
};
pub use shaping::{LossShaping, Shaped, ShapedOracle, ShapingError, Svo};
pub use vector::GameVector;
