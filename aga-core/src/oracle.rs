//! The derivative quantities a rule may ask for.

use crate::GameVector;

/// The derivatives of a game at one point `w` (MATH.md §2), computed on demand.
///
/// An implementation may cache: a rule asks for `ξ` and `ξ_c` before any Hessian-vector
/// product, and asks for each quantity at most once.
pub trait GameOracle {
    /// The flat parameter-space vector type.
    type Vector: GameVector;
    /// What can go wrong while evaluating the game.
    type Error: std::error::Error + Send + Sync + 'static;

    /// Simultaneous gradient `ξ = (∇_{w_1} l_1, …, ∇_{w_n} l_n)`.
    fn xi(&mut self) -> Result<Self::Vector, Self::Error>;
    /// Collective gradient `ξ_c = ∇_w Σ_i l_i`.
    fn xi_c(&mut self) -> Result<Self::Vector, Self::Error>;
    /// `H v`, the game Hessian (Jacobian of `ξ`) times `v`.
    fn hvp(&mut self, v: &Self::Vector) -> Result<Self::Vector, Self::Error>;
    /// `Hᵀ v = ∇_w ⟨ξ(w), v⟩` with `v` held fixed.
    fn hvp_transpose(&mut self, v: &Self::Vector) -> Result<Self::Vector, Self::Error>;
    /// `H_c v`, the collective Hessian `∇² l_c` times `v`.
    fn hvp_collective(&mut self, v: &Self::Vector) -> Result<Self::Vector, Self::Error>;
}
