//! Exact derivatives of differentiable games on Burn 0.21.
//!
//! * [`dual`]: `Dual<B>`, a forward-mode backend decorator (dual numbers);
//! * [`Game`]: players own parameter tensors of any shape, losses are Burn code generic over
//!   the backend;
//! * [`Derivatives`]: `ξ`, `ξ_c`, `H v`, `Hᵀ v`, `H_c v` by forward-over-reverse on
//!   `Autodiff<Dual<B>>`, never forming a Hessian; its [`Oracle`] feeds the rules of `aga-core`;
//! * [`stop_gradient`]: a stop-gradient that is a constant at every order (Burn's `detach` is
//!   not, under `Autodiff<Dual<B>>`);
//! * [`stacking`]: agents stacked in one module, split into one player each and back;
//! * [`backends`]: the backends `aga` is tested on (ndarray f64/f32; wgpu behind a feature).
#![warn(missing_docs)]

pub mod backends;
mod derivatives;
pub mod dual;
mod error;
mod game;
mod modules;
pub mod stacking;
mod stop_gradient;
mod transform;

pub use derivatives::{
    relative_error, CollectiveCurvature, Derivatives, FirstOrder, FlatTensor, HvpBackend, Oracle,
    MAX_PER_LOSS_VALUES,
};
pub use dual::tape::{PrimalTape, ReplayStats};
pub use dual::{Dual, DualTensor};
pub use error::GameError;
pub use game::{Game, IdentityOutputs, ParamLayout, Params};
pub use modules::{constant, initialized, primal, ModuleGame, ModuleLosses};
pub use stop_gradient::{detach_reverse_only, stop_gradient, StopGradient};
pub use transform::{
    Adjusted, GameOptimizer, GameOptimizerConfig, GameStep, StepDiagnostics, TransformError,
};
