//! Loss shaping: play the game with losses `l̃_i = f_i(l_1, …, l_n)` instead of `l_i`.
//!
//! A shaping `f : Rⁿ → Rⁿ` of the loss values turns one game into another, and every
//! derivative of the shaped game follows from the original's losses, per-loss gradients and
//! per-loss Hessian-vector products by the chain rule:
//!
//! * `∇ l̃_i = Σ_k J_ik ∇ l_k`, with `J_ik = ∂f_i/∂l_k`;
//! * `∇² l̃_i v = Σ_k J_ik ∇²l_k v + Σ_{k,m} D_ikm ∇l_k ⟨∇l_m, v⟩`, with
//!   `D_ikm = ∂²f_i/∂l_k∂l_m`.
//!
//! [`ShapedOracle`] wraps any [`GameOracle`] this way, so every rule (simgd, AgA, LOLA, …) runs
//! unchanged on the shaped game, with exact derivatives. [`Svo`] is the social value orientation
//! shaping of McKee et al. (2020), the baseline of MATH.md §5.

use crate::{GameOracle, GameVector};
use thiserror::Error;

/// The values and first two derivatives of a loss shaping `f` at one vector of losses.
#[derive(Debug, Clone, PartialEq)]
pub struct Shaped {
    /// `f_i(l)` for every player.
    pub values: Vec<f64>,
    /// `J[i][k] = ∂f_i/∂l_k`.
    pub jacobian: Vec<Vec<f64>>,
    /// `D[i][k][m] = ∂²f_i/∂l_k∂l_m`.
    pub hessians: Vec<Vec<Vec<f64>>>,
}

/// A smooth (almost everywhere) map from the players' losses to shaped losses.
pub trait LossShaping {
    /// `f`, `J` and `D` at the loss vector `losses`, or why the shaping is undefined there.
    fn shape(&self, losses: &[f64]) -> Result<Shaped, String>;
}

/// Social value orientation (McKee et al. 2020; MATH.md §5): player `i` maximises
/// `r_i − w · |θ_svo − atan2(r̄_{−i}, r_i)|`, where `r = −l` and `r̄_{−i}` is the mean reward of
/// the others. So `l̃_i = l_i + w · |θ_svo − φ_i|`, `φ_i = atan2(r̄_{−i}, r_i)`.
///
/// `θ_svo = π/4` asks for equal rewards, `0` is selfish, `π/2` fully altruistic. The kink of
/// `|·|` at `φ_i = θ_svo` takes the subgradient 0 (the shaping term is inactive exactly there).
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Svo {
    /// Target angle `θ_svo` in radians.
    pub angle: f64,
    /// Weight `w ≥ 0` of the angle penalty.
    pub weight: f64,
}

impl Default for Svo {
    /// `θ_svo = π/4` (prosocial), `w = 1`.
    fn default() -> Self {
        Self {
            angle: std::f64::consts::FRAC_PI_4,
            weight: 1.0,
        }
    }
}

impl LossShaping for Svo {
    fn shape(&self, losses: &[f64]) -> Result<Shaped, String> {
        let n = losses.len();
        if n < 2 {
            return Err("SVO needs at least two players".into());
        }
        if !(self.angle.is_finite() && self.weight.is_finite() && self.weight >= 0.0) {
            return Err(format!(
                "SVO needs a finite angle and a finite weight >= 0, got angle {} and weight {}",
                self.angle, self.weight
            ));
        }
        let others = (n - 1) as f64;
        let total: f64 = losses.iter().sum();
        let mut shaped = Shaped {
            values: Vec::with_capacity(n),
            jacobian: vec![vec![0.0; n]; n],
            hessians: vec![vec![vec![0.0; n]; n]; n],
        };
        for (i, &l_i) in losses.iter().enumerate() {
            // x = r_i = −l_i, y = r̄_{−i} = −(Σ_{j≠i} l_j)/(n−1); both linear in l.
            let x = -l_i;
            let y = -(total - l_i) / others;
            let rho2 = x * x + y * y;
            if rho2 == 0.0 {
                return Err(format!(
                    "the SVO angle of player {} is undefined: every reward is zero",
                    i + 1
                ));
            }
            let phi = y.atan2(x);
            let gap = self.angle - phi;
            let s = if gap > 0.0 {
                1.0
            } else if gap < 0.0 {
                -1.0
            } else {
                0.0
            };
            shaped.values.push(l_i + self.weight * gap.abs());
            // ∂x/∂l_k and ∂y/∂l_k.
            let dx = |k: usize| if k == i { -1.0 } else { 0.0 };
            let dy = |k: usize| if k == i { 0.0 } else { -1.0 / others };
            let (phi_x, phi_y) = (-y / rho2, x / rho2);
            let rho4 = rho2 * rho2;
            let (phi_xx, phi_xy, phi_yy) = (
                2.0 * x * y / rho4,
                (y * y - x * x) / rho4,
                -2.0 * x * y / rho4,
            );
            // d|θ − φ| = −s dφ.
            let c = -self.weight * s;
            for k in 0..n {
                let dphi_k = phi_x * dx(k) + phi_y * dy(k);
                shaped.jacobian[i][k] = if k == i { 1.0 } else { 0.0 } + c * dphi_k;
                for m in 0..n {
                    shaped.hessians[i][k][m] = c
                        * (phi_xx * dx(k) * dx(m)
                            + phi_xy * (dx(k) * dy(m) + dy(k) * dx(m))
                            + phi_yy * dy(k) * dy(m));
                }
            }
        }
        Ok(shaped)
    }
}

/// An error of a [`ShapedOracle`]: the wrapped oracle's, or an undefined shaping.
#[derive(Debug, Error)]
pub enum ShapingError<E: std::error::Error + 'static> {
    /// The wrapped game failed.
    #[error(transparent)]
    Game(E),
    /// The shaping is undefined at this point.
    #[error("{0}")]
    Undefined(String),
}

/// A [`GameOracle`] for the game with shaped losses `l̃ = f(l)`, built on another oracle.
///
/// Costs: `ξ`, `ξ_c` and the losses take the wrapped oracle's per-loss gradients; `H v`,
/// `Hᵀ v` and `H_c v` take one batched per-loss HVP each; `loss_hvps` takes `n`.
///
/// ```
/// use aga_core::{direction, Method, RuleConfig, ShapedOracle, Svo};
/// # use aga_testing::QuadraticGame;
/// let game = QuadraticGame::two_player_example();
/// let mut shaped = ShapedOracle::new(game.at(vec![1.0, 2.0]), Svo::default());
/// let d = direction(&RuleConfig::new(Method::Aga), &mut shaped).unwrap();
/// assert_eq!(d.value.len(), 2);
/// ```
pub struct ShapedOracle<O: GameOracle, S> {
    inner: O,
    shaping: Option<S>,
    cache: Option<(Shaped, Vec<O::Vector>)>,
}

type ShapedResult<T, O> = Result<T, ShapingError<<O as GameOracle>::Error>>;

impl<O: GameOracle, S: LossShaping> ShapedOracle<O, S> {
    /// Shape the game behind `inner` with `shaping`.
    pub fn new(inner: O, shaping: S) -> Self {
        Self::maybe(inner, Some(shaping))
    }

    /// Shape the game with `shaping` if there is one; with `None` every call goes straight to
    /// `inner` (same cost, errors wrapped in [`ShapingError::Game`]). This gives one oracle
    /// type for code that shapes only sometimes.
    pub fn maybe(inner: O, shaping: Option<S>) -> Self {
        Self {
            inner,
            shaping,
            cache: None,
        }
    }

    /// Whether a shaping is applied.
    pub fn is_shaped(&self) -> bool {
        self.shaping.is_some()
    }

    /// The wrapped oracle (e.g. to read the unshaped losses).
    pub fn inner(&mut self) -> &mut O {
        &mut self.inner
    }

    /// The shaping's derivatives and the wrapped per-loss gradients (computed once).
    fn base(&mut self) -> ShapedResult<&(Shaped, Vec<O::Vector>), O> {
        if self.cache.is_none() {
            let losses = self.inner.losses().map_err(ShapingError::Game)?;
            let shaping = self.shaping.as_ref().expect("only called when shaping");
            let shaped = shaping.shape(&losses).map_err(ShapingError::Undefined)?;
            let grads = self.inner.loss_gradients().map_err(ShapingError::Game)?;
            self.cache = Some((shaped, grads));
        }
        Ok(self.cache.as_ref().expect("just computed"))
    }

    /// `Σ_k coef_k · g_k` over the wrapped per-loss gradients.
    fn combine(grads: &[O::Vector], coef: impl Fn(usize) -> f64) -> O::Vector {
        let mut total = grads[0].scaled(coef(0));
        for (k, g) in grads.iter().enumerate().skip(1) {
            total = total.add_scaled(coef(k), g);
        }
        total
    }

    /// `∇² l̃_i v` given `u_k = ∇² l_k v` for every `k`.
    fn shaped_hvp(
        &mut self,
        i: usize,
        u: &[O::Vector],
        v: &O::Vector,
    ) -> ShapedResult<O::Vector, O> {
        let (shaped, grads) = self.base()?;
        let n = grads.len();
        let along: Vec<f64> = grads.iter().map(|g| g.dot(v)).collect(); // ⟨∇l_m, v⟩
        let first = Self::combine(u, |k| shaped.jacobian[i][k]);
        let second = Self::combine(grads, |k| {
            (0..n).map(|m| shaped.hessians[i][k][m] * along[m]).sum()
        });
        Ok(first.add_scaled(1.0, &second))
    }
}

impl<O: GameOracle, S: LossShaping> GameOracle for ShapedOracle<O, S> {
    type Vector = O::Vector;
    type Error = ShapingError<O::Error>;

    fn xi(&mut self) -> ShapedResult<O::Vector, O> {
        if self.shaping.is_none() {
            return self.inner.xi().map_err(ShapingError::Game);
        }
        let grads = self.loss_gradients()?;
        let mut xi = self.inner.project(&grads[0], 0);
        for (i, g) in grads.iter().enumerate().skip(1) {
            xi = xi.add_scaled(1.0, &self.inner.project(g, i));
        }
        Ok(xi)
    }

    fn xi_c(&mut self) -> ShapedResult<O::Vector, O> {
        if self.shaping.is_none() {
            return self.inner.xi_c().map_err(ShapingError::Game);
        }
        let (shaped, grads) = self.base()?;
        let n = grads.len();
        Ok(Self::combine(grads, |k| {
            (0..n).map(|i| shaped.jacobian[i][k]).sum()
        }))
    }

    fn hvp(&mut self, v: &O::Vector) -> ShapedResult<O::Vector, O> {
        if self.shaping.is_none() {
            return self.inner.hvp(v).map_err(ShapingError::Game);
        }
        let n = self.num_players();
        let u = self
            .inner
            .loss_hvps(&vec![v.clone(); n])
            .map_err(ShapingError::Game)?;
        let mut total: Option<O::Vector> = None;
        for i in 0..n {
            let full = self.shaped_hvp(i, &u, v)?;
            let block = self.inner.project(&full, i);
            total = Some(match total {
                None => block,
                Some(t) => t.add_scaled(1.0, &block),
            });
        }
        Ok(total.expect("at least one player"))
    }

    fn hvp_transpose(&mut self, v: &O::Vector) -> ShapedResult<O::Vector, O> {
        if self.shaping.is_none() {
            return self.inner.hvp_transpose(v).map_err(ShapingError::Game);
        }
        // Σ_i ∇²l̃_i P_i v = Σ_k ∇²l_k (Σ_i J_ik P_i v) + Σ_i Σ_{k,m} D_ikm ∇l_k ⟨∇l_m, P_i v⟩.
        let n = self.num_players();
        let blocks: Vec<O::Vector> = (0..n).map(|i| self.inner.project(v, i)).collect();
        let (shaped, grads) = self.base()?;
        let seeds: Vec<O::Vector> = (0..n)
            .map(|k| Self::combine(&blocks, |i| shaped.jacobian[i][k]))
            .collect();
        let second = Self::combine(grads, |k| {
            (0..n)
                .map(|i| {
                    (0..n)
                        .map(|m| shaped.hessians[i][k][m] * grads[m].dot(&blocks[i]))
                        .sum::<f64>()
                })
                .sum()
        });
        let u = self.inner.loss_hvps(&seeds).map_err(ShapingError::Game)?;
        let mut total = second;
        for uk in &u {
            total = total.add_scaled(1.0, uk);
        }
        Ok(total)
    }

    fn collective_curvature(&mut self) -> ShapedResult<(O::Vector, O::Vector), O> {
        if self.shaping.is_none() {
            return self
                .inner
                .collective_curvature()
                .map_err(ShapingError::Game);
        }
        let xi_c = self.xi_c()?;
        let hc_xi_c = self.hvp_collective(&xi_c)?;
        Ok((xi_c, hc_xi_c))
    }

    fn hvp_collective(&mut self, v: &O::Vector) -> ShapedResult<O::Vector, O> {
        if self.shaping.is_none() {
            return self.inner.hvp_collective(v).map_err(ShapingError::Game);
        }
        let n = self.num_players();
        let u = self
            .inner
            .loss_hvps(&vec![v.clone(); n])
            .map_err(ShapingError::Game)?;
        let mut total = self.shaped_hvp(0, &u, v)?;
        for i in 1..n {
            total = total.add_scaled(1.0, &self.shaped_hvp(i, &u, v)?);
        }
        Ok(total)
    }

    fn num_players(&self) -> usize {
        self.inner.num_players()
    }

    fn project(&self, v: &O::Vector, player: usize) -> O::Vector {
        self.inner.project(v, player)
    }

    fn losses(&mut self) -> ShapedResult<Vec<f64>, O> {
        if self.shaping.is_none() {
            return self.inner.losses().map_err(ShapingError::Game);
        }
        Ok(self.base()?.0.values.clone())
    }

    fn loss_gradients(&mut self) -> ShapedResult<Vec<O::Vector>, O> {
        if self.shaping.is_none() {
            return self.inner.loss_gradients().map_err(ShapingError::Game);
        }
        let (shaped, grads) = self.base()?;
        Ok((0..grads.len())
            .map(|i| Self::combine(grads, |k| shaped.jacobian[i][k]))
            .collect())
    }

    fn loss_hvps(&mut self, vs: &[O::Vector]) -> ShapedResult<Vec<O::Vector>, O> {
        if self.shaping.is_none() {
            return self.inner.loss_hvps(vs).map_err(ShapingError::Game);
        }
        // ∇²l̃_i v_i needs ∇²l_k v_i for every k: round r seeds copy k with v_{(k+r) mod n}.
        let n = self.num_players();
        let mut per_target: Vec<Vec<Option<O::Vector>>> = vec![vec![None; n]; n];
        for r in 0..n {
            let seeds: Vec<O::Vector> = (0..n).map(|k| vs[(k + r) % n].clone()).collect();
            let u = self.inner.loss_hvps(&seeds).map_err(ShapingError::Game)?;
            for (k, uk) in u.into_iter().enumerate() {
                per_target[(k + r) % n][k] = Some(uk);
            }
        }
        per_target
            .into_iter()
            .enumerate()
            .map(|(i, us)| {
                let us: Vec<O::Vector> = us.into_iter().map(|u| u.expect("every pair")).collect();
                self.shaped_hvp(i, &us, &vs[i])
            })
            .collect()
    }
}
