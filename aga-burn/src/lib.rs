//! Exact derivatives of differentiable games on Burn 0.21.
//!
//! * [`dual`]: `Dual<B>`, a forward-mode backend decorator (dual numbers);
//! * [`Game`]: players own parameter tensors of any shape, losses are Burn code generic over
//!   the backend;
//! * [`Derivatives`]: `ξ`, `ξ_c`, `H v`, `Hᵀ v`, `H_c v` by forward-over-reverse on
//!   `Autodiff<Dual<B>>`, never forming a Hessian; its [`Oracle`] feeds the rules of `aga-core`;
//! * [`backends`]: the backends `aga` is tested on (ndarray f64/f32; wgpu behind a feature).
#![warn(missing_docs)]

pub mod backends;
mod derivatives;
pub mod dual;
mod error;
mod game;
mod modules;
mod transform;

pub use derivatives::{
    Derivatives, FirstOrder, FlatTensor, HvpBackend, Oracle, MAX_PER_LOSS_VALUES,
};
pub use dual::{Dual, DualTensor};
pub use error::GameError;
pub use game::{Game, ParamLayout, Params};
pub use modules::{constant, initialized, primal, ModuleGame, ModuleLosses};
pub use transform::{
    Adjusted, GameOptimizer, GameOptimizerConfig, GameStep, StepDiagnostics, TransformError,
};
