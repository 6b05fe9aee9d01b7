//! Everything a user's first hour needs, in one import: `use aga::prelude::*;`.
//!
//! The update rules and their configuration (from `aga-core`), the game API, the exact
//! derivative engine, the optimiser wrapper and the stop-gradient (from `aga-burn`), and the
//! CPU backend aliases. Nothing here is named like a `std` item.

pub use aga_burn::backends::{CpuF32, CpuF64};
pub use aga_burn::{
    detach_reverse_only, initialized, stop_gradient, Adjusted, Derivatives, Game, GameError,
    GameOptimizer, GameOptimizerConfig, GameStep, HvpBackend, ModuleGame, ParamLayout, Params,
    StepDiagnostics, StopGradient, TransformError,
};
pub use aga_core::{
    direction, AlignDivisor, Direction, GameOracle, GameVector, Method, RuleConfig, ShapedOracle,
    Svo,
};
