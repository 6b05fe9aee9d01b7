//! The derivative quantities a rule may ask for.

use crate::GameVector;

/// The derivatives of a game at one point `w` (MATH.md §2), computed on demand.
///
/// An implementation may cache: a rule asks for `ξ` and `ξ_c` before any Hessian-vector
/// product, and asks for each quantity at most once.
///
/// The first five methods serve the gradient-adjustment rules (simgd … aga). The per-loss
/// methods serve the opponent-shaping rules (la, lola, sos) and loss shaping (SVO): every term
/// those need is a Hessian-vector product of one player's loss, so no Hessian is ever formed.
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
    /// `ξ_c` and `H_c ξ_c` together, what AgA needs. The default asks for one, then the other;
    /// an oracle that can share work between the two passes overrides it (`aga-burn`'s keeps
    /// the primal values of the `ξ_c` pass for the Hessian-vector product).
    fn collective_curvature(&mut self) -> Result<(Self::Vector, Self::Vector), Self::Error> {
        let xi_c = self.xi_c()?;
        let hc_xi_c = self.hvp_collective(&xi_c)?;
        Ok((xi_c, hc_xi_c))
    }

    /// The number of players `n`.
    fn num_players(&self) -> usize;
    /// Whether every loss depends on its own player's parameters only (`∂l_i/∂w_j = 0` for
    /// `j ≠ i`): then `H` is block diagonal and symmetric, `Hᵀ v = H v`, and SGA's
    /// antisymmetric part `A` is zero, so SGA needs no Hessian-vector product. Default: no.
    fn is_separable(&self) -> bool {
        false
    }
    /// `P_i v`: `v` with every block but player `player`'s set to zero.
    fn project(&self, v: &Self::Vector, player: usize) -> Self::Vector;
    /// The losses `l_1, …, l_n` at this point.
    fn losses(&mut self) -> Result<Vec<f64>, Self::Error>;
    /// `∇_w l_i` for every player `i`, all blocks (block `j` of entry `i` is `g_{ij}`).
    fn loss_gradients(&mut self) -> Result<Vec<Self::Vector>, Self::Error>;
    /// `∇² l_i · v_i` for every player `i`: one vector per player, each multiplied by that
    /// player's loss Hessian (an implementation can do all `n` in one pass).
    fn loss_hvps(&mut self, vs: &[Self::Vector]) -> Result<Vec<Self::Vector>, Self::Error>;
}
