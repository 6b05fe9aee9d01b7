//! Differentiable games with known answers, each written once as Burn code generic over the
//! backend, with a documented parameter layout.
//!
//! * [`Toy`]: the two-player toy game of the AgA paper (Fig. 1), MATH.md §5;
//! * [`Bilinear`]: the zero-sum game `l_1 = xᵀ M y = −l_2`;
//! * [`MatrixGame`]: matching pennies and stag hunt (sigmoid policies over two actions);
//! * [`Ipd`]: the iterated prisoner's dilemma with the exact discounted value (γ = 0.96);
//! * [`Tandem`]: the tandem game of the SOS paper;
//! * [`PublicGoods`]: the n-player public goods game of MATH.md §5;
//! * [`MlpGame`]: the MLP benchmark game of MATH.md §5 (players are small neural networks).
//!
//! [`registry`] builds any of them by name (`--game NAME`, `aga games`).
#![warn(missing_docs)]

mod bilinear;
mod error;
mod ipd;
pub mod limits;
mod matrix;
mod mlp;
mod public_goods;
pub mod registry;
mod tandem;
mod toy;

pub use bilinear::Bilinear;
pub use error::GamesError;
pub use ipd::{Ipd, IPD_REWARDS};
pub use matrix::MatrixGame;
pub use mlp::MlpGame;
pub use public_goods::PublicGoods;
pub use registry::{build, GameInfo, GameOptions, GAMES};
pub use tandem::Tandem;
pub use toy::Toy;
