//! Differentiable games with known answers, each written once as Burn code generic over the
//! backend, with a documented parameter layout.
//!
//! * [`Toy`]: the two-player toy game of the AgA paper (Fig. 1), MATH.md §5;
//! * [`Bilinear`]: the zero-sum game `l_1 = xᵀ M y = −l_2`;
//! * [`MlpGame`]: the MLP benchmark game of MATH.md §5 (players are small neural networks).

mod bilinear;
mod error;
mod mlp;
pub mod registry;
mod toy;

pub use bilinear::Bilinear;
pub use error::GamesError;
pub use mlp::MlpGame;
pub use registry::{build, GameInfo, GameOptions, GAMES};
pub use toy::Toy;
