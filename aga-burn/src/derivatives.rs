//! Exact game derivatives by forward-over-reverse on `Autodiff<Dual<B>>`.
//!
//! Every quantity comes from one of two kinds of pass over the game's Burn code:
//!
//! * a **per-loss pass**: `n` copies of the parameters are made leaves of one graph, copy `i`
//!   carrying the tangent seed `s_i`; the sum `Σ_i l_i(copy i)` is differentiated once, so copy
//!   `i`'s gradient is `∇_w l_i` (all blocks) and its tangent is `∇²l_i · s_i`. This gives `ξ`
//!   (block `i` of `∇ l_i`), `H v` (seeds `v`, keep block `i`) and `Hᵀ v` (seeds `P_i v`, sum);
//! * a **collective pass**: one copy with seed `v`, differentiating `l_c` (`Σ_i l_i`, or the
//!   game's own [`Game::collective_loss`]), which gives `ξ_c` and `H_c v`.
//!
//! No Hessian is ever formed: a Hessian-vector product costs a small multiple of a gradient.

use crate::dual::tape::ReplayStats;
use crate::dual::{Dual, DualTensor};
use crate::{Game, GameError, ParamLayout, Params};
use aga_core::{GameOracle, GameVector};
use burn::backend::Autodiff;
use burn::tensor::{backend::Backend, ElementConversion, Tensor, TensorData, TensorPrimitive};

/// The backend on which games are differentiated: Burn's reverse mode over dual numbers.
pub type HvpBackend<B> = Autodiff<Dual<B>>;

/// A flat parameter-space vector on backend `B` (length `d`, layout of [`ParamLayout`]).
#[derive(Debug, Clone)]
pub struct FlatTensor<B: Backend>(pub Tensor<B, 1>);

impl<B: Backend> FlatTensor<B> {
    /// A flat vector from `f64` values (exact on an `f64` backend).
    pub fn from_f64(values: &[f64], device: &B::Device) -> Self {
        Self(Tensor::from_data(
            TensorData::new(values.to_vec(), [values.len()]),
            device,
        ))
    }

    /// The values as `f64`.
    pub fn to_vec(&self) -> Vec<f64> {
        self.0
            .clone()
            .into_data()
            .convert::<f64>()
            .to_vec::<f64>()
            .expect("a float tensor converts to f64")
    }

    /// Block `range` of the vector.
    pub fn block(&self, range: std::ops::Range<usize>) -> Self {
        Self(self.0.clone().slice(range))
    }
}

impl<B: Backend> GameVector for FlatTensor<B> {
    fn dim(&self) -> usize {
        self.0.dims()[0]
    }

    fn dot(&self, other: &Self) -> f64 {
        (self.0.clone() * other.0.clone())
            .sum()
            .into_scalar()
            .elem::<f64>()
    }

    fn dots(&self, others: &[&Self]) -> Vec<f64> {
        // Every inner product stays on the device until one transfer reads them all.
        let sums = others
            .iter()
            .map(|o| (self.0.clone() * o.0.clone()).sum())
            .collect();
        FlatTensor(Tensor::cat(sums, 0)).to_vec()
    }

    fn add_scaled(&self, alpha: f64, other: &Self) -> Self {
        Self(self.0.clone() + other.0.clone().mul_scalar(alpha))
    }

    fn scaled(&self, alpha: f64) -> Self {
        Self(self.0.clone().mul_scalar(alpha))
    }

    fn all_finite(&self) -> bool {
        // x · 0 is 0 for every finite x and NaN for ±∞ and NaN: one reduction, one read.
        self.0
            .clone()
            .mul_scalar(0.0)
            .sum()
            .into_scalar()
            .elem::<f64>()
            .is_finite()
    }
}

/// First-order quantities at a point: the losses, `ξ` and `ξ_c` (one per-loss pass).
#[derive(Debug, Clone)]
pub struct FirstOrder<B: Backend> {
    /// `l_i(w)` for every player.
    pub losses: Vec<f64>,
    /// Simultaneous gradient `ξ`.
    pub xi: FlatTensor<B>,
    /// Collective gradient `ξ_c`.
    pub xi_c: FlatTensor<B>,
}

/// One copy's reverse-mode result: per player block, the gradient and (if seeded) its tangent.
struct CopyResult<B: Backend> {
    /// `∇_{w_j} l` for each player `j`.
    grad: Vec<Tensor<B, 1>>,
    /// `(∇² l · s)_j` for each player `j`, if the copy was seeded.
    tangent: Option<Vec<Tensor<B, 1>>>,
}

/// The result of a shared-forward pass.
struct SharedPass<B: Backend> {
    /// `l_i(w)` for every player.
    values: Vec<f64>,
    /// `∇_{w_j} l_j` per player block: `ξ`.
    own: Vec<Tensor<B, 1>>,
    /// Seeded with `v`: `(∇²l_j · v)_j` per block, i.e. `H v`.
    own_tangent: Option<Vec<Tensor<B, 1>>>,
    /// Unseeded, when asked: `∇_{w_j} l_c` per block, i.e. `ξ_c`.
    collective: Option<Vec<Tensor<B, 1>>>,
}

/// Losses, `ξ` and the per-loss gradient blocks of one unseeded per-loss pass.
type PerLossFirstOrder<B> = (Vec<f64>, FlatTensor<B>, PerLossBlocks<B>);
/// Losses, `ξ` and, when they came from the per-loss pass, its gradient blocks.
type PerLossOptional<B> = (Vec<f64>, FlatTensor<B>, Option<PerLossBlocks<B>>);

/// One loss's result in a per-loss pass.
struct LossPass<B: Backend> {
    value: f64,
    result: CopyResult<B>,
}

/// Per loss `i`, per player block `j`: the gradient block `g_{ij} = ∇_{w_j} l_i`.
type PerLossBlocks<B> = Vec<Vec<Tensor<B, 1>>>;

/// The tangent seed of one copy of the parameters, per player block (`None`: zero).
type Seed<B> = Vec<Option<Tensor<B, 1>>>;

/// The derivative engine for one game on backend `B`.
///
/// ```
/// use aga_burn::{Derivatives, Game, ParamLayout, Params};
/// use burn::backend::NdArray;
/// use burn::tensor::{backend::Backend, Tensor};
///
/// /// l_1 = x² y, l_2 = −x y over scalar players x and y.
/// struct Small;
/// impl<B: Backend> Game<B> for Small {
///     fn layout(&self) -> ParamLayout {
///         ParamLayout::new(vec![vec![vec![1]], vec![vec![1]]]).unwrap()
///     }
///     fn losses(&self, p: &Params<B>) -> Vec<Tensor<B, 1>> {
///         let (x, y) = (p.flat(0, 0), p.flat(1, 0));
///         vec![x.clone() * x.clone() * y.clone(), -(x * y)]
///     }
/// }
///
/// let engine = Derivatives::<NdArray<f64>, _>::new(&Small, Default::default()).unwrap();
/// let w = engine.point(&[2.0, 3.0]).unwrap();
/// let first = engine.first_order(&w).unwrap();
/// assert_eq!(first.xi.to_vec(), vec![12.0, -2.0]); // (2xy, −x)
/// // H_c = [[2y, 2x − 1], [2x − 1, 0]] = [[6, 3], [3, 0]]; H_c (1, 0) = (6, 3), exactly.
/// let e1 = engine.vector("v", &[1.0, 0.0]).unwrap();
/// assert_eq!(engine.hvp_collective(&w, &e1).unwrap().to_vec(), vec![6.0, 3.0]);
/// ```
pub struct Derivatives<'g, B: Backend, G: ?Sized> {
    game: &'g G,
    layout: ParamLayout,
    device: B::Device,
    /// Use the game's shared forward pass ([`Game::player_outputs`]) where it offers one.
    shared_forward: bool,
    /// Whether the game offers outputs, learnt on the first pass (a game answers the same way
    /// at every point), so a game without them never pays for the question again.
    offers_outputs: std::sync::OnceLock<bool>,
    /// Keep the primal of the `ξ_c` pass for the `H_c ξ_c` pass ([`crate::dual::tape`]).
    primal_tape: bool,
}

/// `ξ_c` and `H_c ξ_c` at one point ([`Derivatives::collective_curvature`]).
pub struct CollectiveCurvature<B: Backend> {
    /// `ξ_c = ∇ l_c`.
    pub xi_c: FlatTensor<B>,
    /// `H_c ξ_c = ∇²l_c · ξ_c`.
    pub hvp: FlatTensor<B>,
    /// What the replay of the primal tape did (`None`: the tape was off).
    pub replay: Option<ReplayStats>,
}

/// The most values (`players × parameters`) the per-loss pass may hold: 10⁸, 800 MB in f64
/// before any activation.
pub const MAX_PER_LOSS_VALUES: usize = 100_000_000;

impl<'g, B, G> Derivatives<'g, B, G>
where
    B: Backend,
    G: Game<HvpBackend<B>> + ?Sized,
{
    /// An engine for `game` on `device`. (Every `ParamLayout` was validated when it was built.)
    ///
    /// Fails with [`GameError::TooLarge`] when the per-loss pass, which holds `n` copies of all
    /// `d` parameters, would exceed [`MAX_PER_LOSS_VALUES`] values.
    pub fn new(game: &'g G, device: B::Device) -> Result<Self, GameError> {
        let layout = game.layout();
        let (players, dim) = (layout.num_players(), layout.dim());
        if players.saturating_mul(dim) > MAX_PER_LOSS_VALUES {
            return Err(GameError::TooLarge {
                players,
                dim,
                max: MAX_PER_LOSS_VALUES,
            });
        }
        Ok(Self {
            game,
            layout,
            device,
            shared_forward: true,
            offers_outputs: std::sync::OnceLock::new(),
            primal_tape: crate::dual::tape::enabled_by_default(),
        })
    }

    /// The same engine with the primal tape turned on (the default, unless the environment
    /// variable `AGA_NO_PRIMAL_TAPE` is set) or off: on,
    /// [`Derivatives::collective_curvature`] keeps the primal values of its `ξ_c` pass and the
    /// `H_c ξ_c` pass runs only the tangent channel. Off is for A/B measurements and tests.
    pub fn with_primal_tape(mut self, on: bool) -> Self {
        self.primal_tape = on;
        self
    }

    /// The same engine with the shared forward pass ([`Game::player_outputs`]) turned on
    /// (the default) or off. Off, every quantity comes from the general `n`-copy pass, which
    /// is what [`Derivatives::shared_forward_error`] compares against.
    pub fn with_shared_forward(mut self, on: bool) -> Self {
        self.shared_forward = on;
        self
    }

    /// The game's parameter layout.
    pub fn layout(&self) -> &ParamLayout {
        &self.layout
    }

    /// The device.
    pub fn device(&self) -> &B::Device {
        &self.device
    }

    /// A point in parameter space from `f64` values, checked for length and finiteness.
    pub fn point(&self, values: &[f64]) -> Result<FlatTensor<B>, GameError> {
        self.vector("the parameter vector", values)
    }

    /// A direction vector from `f64` values, checked for length and finiteness.
    pub fn vector(&self, what: &'static str, values: &[f64]) -> Result<FlatTensor<B>, GameError> {
        if values.len() != self.layout.dim() {
            return Err(GameError::WrongLength {
                what,
                expected: self.layout.dim(),
                got: values.len(),
            });
        }
        if let Some((index, &value)) = values.iter().enumerate().find(|(_, x)| !x.is_finite()) {
            return Err(GameError::NonFiniteInput { what, index, value });
        }
        Ok(FlatTensor::from_f64(values, &self.device))
    }

    /// The players' losses at `w`.
    pub fn losses(&self, w: &FlatTensor<B>) -> Result<Vec<f64>, GameError> {
        self.check_len("w", w)?;
        let leaves = self.leaves(&w.0, &self.no_seed());
        let losses = self.eval(self.params(&leaves))?;
        self.loss_values(&losses)
    }

    /// Losses, `ξ` and `ξ_c` at `w`: one shared-forward pass where the game offers one
    /// (`ξ_c` then rides in the tangent channel of the reverse pass), else one per-loss pass.
    pub fn first_order(&self, w: &FlatTensor<B>) -> Result<FirstOrder<B>, GameError> {
        Ok(self.first_order_cached(w)?.0)
    }

    /// First-order quantities and, when they came from the per-loss pass, the per-loss
    /// gradient blocks (which [`Oracle`] keeps for `∇_w l_i`).
    fn first_order_cached(
        &self,
        w: &FlatTensor<B>,
    ) -> Result<(FirstOrder<B>, Option<PerLossBlocks<B>>), GameError> {
        self.check_len("w", w)?;
        if self.game.has_collective_loss() || self.game.is_separable() {
            // `ξ` as usual; `ξ_c` from the game's own collective loss, or, for a separable
            // game without one, `ξ_c = ξ` (block `j` of `Σ_i ∇ l_i` is `∇_{w_j} l_j`).
            let (losses, xi, blocks) = self.own_first_order(w)?;
            let xi_c = match self.game.has_collective_loss() {
                true => self.xi_c(w)?,
                false => xi.clone(),
            };
            return Ok((FirstOrder { losses, xi, xi_c }, blocks));
        }
        if let Some(pass) = self.shared(w, None, true)? {
            let xi_c = pass.collective.expect("asked for the collective gradient");
            return Ok((
                FirstOrder {
                    losses: pass.values,
                    xi: FlatTensor(Tensor::cat(pass.own, 0)),
                    xi_c: FlatTensor(Tensor::cat(xi_c, 0)),
                },
                None,
            ));
        }
        let (first, blocks) = self.first_order_with_blocks(w)?;
        Ok((first, Some(blocks)))
    }

    /// First-order quantities (with `ξ_c = Σ_i ∇_w l_i`: only for games without a collective
    /// loss of their own) and, per loss, the gradient blocks `g_{ij}` they came from.
    fn first_order_with_blocks(
        &self,
        w: &FlatTensor<B>,
    ) -> Result<(FirstOrder<B>, PerLossBlocks<B>), GameError> {
        let (losses, xi, blocks) = self.per_loss_first_order(w)?;
        let xi_c = FlatTensor(self.summed_blocks(blocks.iter()));
        Ok((FirstOrder { losses, xi, xi_c }, blocks))
    }

    /// Losses, `ξ` and the per-loss gradient blocks from one unseeded per-loss pass.
    fn per_loss_first_order(&self, w: &FlatTensor<B>) -> Result<PerLossFirstOrder<B>, GameError> {
        let n = self.layout.num_players();
        let passes = self.per_loss(w, (0..n).map(|_| self.no_seed()).collect())?;
        let losses = passes.iter().map(|p| p.value).collect();
        let xi = self.own_blocks(passes.iter().map(|p| &p.result.grad));
        let blocks = passes.into_iter().map(|p| p.result.grad).collect();
        Ok((losses, FlatTensor(xi), blocks))
    }

    /// `∇_w l_i` (all blocks) for every player `i` (one per-loss pass).
    pub fn loss_gradients(&self, w: &FlatTensor<B>) -> Result<Vec<FlatTensor<B>>, GameError> {
        let (_, _, blocks) = self.per_loss_first_order(w)?;
        Ok(full_gradients(&blocks))
    }

    /// `∇²l_i · v_i` for every player `i`, all in one per-loss pass.
    pub fn loss_hvps(
        &self,
        w: &FlatTensor<B>,
        vs: &[FlatTensor<B>],
    ) -> Result<Vec<FlatTensor<B>>, GameError> {
        let n = self.layout.num_players();
        if vs.len() != n {
            return Err(GameError::WrongVectorCount {
                expected: n,
                got: vs.len(),
            });
        }
        for v in vs {
            self.check_len("v", v)?;
        }
        let passes = self.per_loss(w, vs.iter().map(|v| self.full_seed(&v.0)).collect())?;
        Ok(passes
            .iter()
            .map(|p| FlatTensor(Tensor::cat(tangent_blocks(&p.result).clone(), 0)))
            .collect())
    }

    /// `P_i v`: `v` with every block but player `player`'s set to zero.
    pub fn project(&self, v: &FlatTensor<B>, player: usize) -> FlatTensor<B> {
        let block = self.layout.block(player);
        let d = self.layout.dim();
        let mut parts = Vec::with_capacity(3);
        if block.start > 0 {
            parts.push(Tensor::zeros([block.start], &self.device));
        }
        parts.push(v.0.clone().slice(block.clone()));
        if block.end < d {
            parts.push(Tensor::zeros([d - block.end], &self.device));
        }
        FlatTensor(cat_or_single(parts))
    }

    /// `ξ`, the simultaneous gradient: one pass of `Σ_i l_i` for a separable game, one
    /// shared-forward pass (about the cost of one gradient) where the game offers one, else one
    /// per-loss pass.
    pub fn xi(&self, w: &FlatTensor<B>) -> Result<FlatTensor<B>, GameError> {
        Ok(self.own_first_order(w)?.1)
    }

    /// `ξ_c`, the collective gradient (one collective pass).
    pub fn xi_c(&self, w: &FlatTensor<B>) -> Result<FlatTensor<B>, GameError> {
        let result = self.collective(w, self.no_seed(), true)?;
        Ok(FlatTensor(Tensor::cat(result.grad, 0)))
    }

    /// `H v`: block `i` of `∇²l_i · v`.
    pub fn hvp(&self, w: &FlatTensor<B>, v: &FlatTensor<B>) -> Result<FlatTensor<B>, GameError> {
        self.check_len("w", w)?;
        self.check_len("v", v)?;
        if self.game.is_separable() {
            let (_, result) = self.separable_pass(w, self.full_seed(&v.0))?;
            return Ok(FlatTensor(Tensor::cat(tangent_blocks(&result).clone(), 0)));
        }
        if let Some(pass) = self.shared(w, Some(&v.0), false)? {
            let tangent = pass.own_tangent.expect("a seeded pass has tangents");
            return Ok(FlatTensor(Tensor::cat(tangent, 0)));
        }
        let n = self.layout.num_players();
        let passes = self.per_loss(w, (0..n).map(|_| self.full_seed(&v.0)).collect())?;
        Ok(FlatTensor(self.own_blocks(
            passes.iter().map(|p| tangent_blocks(&p.result)),
        )))
    }

    /// `Hᵀ v = Σ_i ∇²l_i · P_i v`, `P_i v` keeping only block `i` of `v`.
    pub fn hvp_transpose(
        &self,
        w: &FlatTensor<B>,
        v: &FlatTensor<B>,
    ) -> Result<FlatTensor<B>, GameError> {
        self.check_len("v", v)?;
        if self.game.is_separable() {
            // A block-diagonal symmetric `H`: `Hᵀ v = H v`, one pass.
            return self.hvp(w, v);
        }
        let n = self.layout.num_players();
        let passes = self.per_loss(w, (0..n).map(|i| self.block_seed(&v.0, i)).collect())?;
        Ok(FlatTensor(self.summed_blocks(
            passes.iter().map(|p| tangent_blocks(&p.result)),
        )))
    }

    /// `H_c v = ∇²l_c · v` (one collective pass).
    pub fn hvp_collective(
        &self,
        w: &FlatTensor<B>,
        v: &FlatTensor<B>,
    ) -> Result<FlatTensor<B>, GameError> {
        self.check_len("v", v)?;
        let result = self.collective(w, self.full_seed(&v.0), false)?;
        Ok(FlatTensor(Tensor::cat(tangent_blocks(&result).clone(), 0)))
    }

    /// `ξ_c` and `H_c ξ_c` — what AgA needs — in two collective passes, the second taking
    /// every expensive primal value from the first ([`crate::dual::tape`]): its dual matrix
    /// products cost two products instead of three, its element-wise ops one pass instead of
    /// two. Exact: the same values as [`Derivatives::xi_c`] then
    /// [`Derivatives::hvp_collective`] (bit for bit in `f64`).
    pub fn collective_curvature(
        &self,
        w: &FlatTensor<B>,
    ) -> Result<CollectiveCurvature<B>, GameError> {
        self.check_len("w", w)?;
        if !self.primal_tape {
            let xi_c = self.xi_c(w)?;
            let hvp = self.hvp_collective(w, &xi_c)?;
            return Ok(CollectiveCurvature {
                xi_c,
                hvp,
                replay: None,
            });
        }
        let (first, tape) = crate::dual::tape::record(|| self.collective(w, self.no_seed(), true));
        let xi_c = FlatTensor(Tensor::cat(first?.grad, 0));
        let (second, stats) =
            crate::dual::tape::replay(&tape, || self.collective(w, self.full_seed(&xi_c.0), false));
        let hvp = FlatTensor(Tensor::cat(tangent_blocks(&second?).clone(), 0));
        Ok(CollectiveCurvature {
            xi_c,
            hvp,
            replay: Some(stats),
        })
    }

    /// `∇²l_i · v`, the full Hessian-vector product of one player's loss.
    pub fn loss_hvp(
        &self,
        w: &FlatTensor<B>,
        player: usize,
        v: &FlatTensor<B>,
    ) -> Result<FlatTensor<B>, GameError> {
        let n = self.layout.num_players();
        if player >= n {
            return Err(GameError::NoSuchPlayer { player, players: n });
        }
        self.check_len("v", v)?;
        let seeds = (0..n)
            .map(|i| {
                if i == player {
                    self.full_seed(&v.0)
                } else {
                    self.no_seed()
                }
            })
            .collect();
        let passes = self.per_loss(w, seeds)?;
        Ok(FlatTensor(Tensor::cat(
            tangent_blocks(&passes[player].result).clone(),
            0,
        )))
    }

    /// The oracle at `w`, for the rules of `aga-core`. It caches the first-order pass.
    pub fn oracle(&self, w: FlatTensor<B>) -> Result<Oracle<'_, 'g, B, G>, GameError> {
        self.check_len("w", &w)?;
        Ok(Oracle {
            engine: self,
            w,
            first: None,
            own: None,
            blocks: None,
            xi_c: None,
            replay: None,
        })
    }

    /// How far the shared forward pass is from the general `n`-copy pass at `w`: the largest
    /// relative error ([`relative_error`]) over the losses, `ξ`, `ξ_c` and `H v`. `None` when
    /// the game offers no shared forward pass, or when this engine has it turned off
    /// ([`Derivatives::with_shared_forward`]). A game whose [`Game::player_outputs`] breaks the
    /// contract (an output that depends on another player's parameters) shows here as an
    /// error far above rounding.
    pub fn shared_forward_error(
        &self,
        w: &FlatTensor<B>,
        v: &FlatTensor<B>,
    ) -> Result<Option<f64>, GameError> {
        self.check_len("w", w)?;
        self.check_len("v", v)?;
        let Some(first) = self.shared(w, None, true)? else {
            return Ok(None);
        };
        let seeded = self
            .shared(w, Some(&v.0), false)?
            .expect("the game offered outputs a moment ago");
        let general = Derivatives::<B, G> {
            game: self.game,
            layout: self.layout.clone(),
            device: self.device.clone(),
            shared_forward: false,
            offers_outputs: std::sync::OnceLock::new(),
            primal_tape: self.primal_tape,
        };
        let reference = general.first_order(w)?;
        let hv = general.hvp(w, v)?;
        let errors = [
            relative_error(&first.values, &reference.losses),
            relative_error(
                &FlatTensor(Tensor::cat(first.own, 0)).to_vec(),
                &reference.xi.to_vec(),
            ),
            if self.game.has_collective_loss() {
                // The shared pass's `ξ_c` is `Σ_i ∇ l_i`; such a game's `ξ_c` never comes
                // from it.
                0.0
            } else {
                relative_error(
                    &FlatTensor(Tensor::cat(first.collective.expect("asked for"), 0)).to_vec(),
                    &reference.xi_c.to_vec(),
                )
            },
            relative_error(
                &FlatTensor(Tensor::cat(seeded.own_tangent.expect("seeded"), 0)).to_vec(),
                &hv.to_vec(),
            ),
        ];
        // `+∞` marks a non-finite entry and survives `max`.
        Ok(Some(errors.into_iter().fold(0.0, f64::max)))
    }

    // ----- passes ---------------------------------------------------------------------------

    /// The shared-forward pass, or `None` when the game offers no outputs (or it is off).
    ///
    /// 1. The parameters become leaves (with tangent `seed` on every block, if given) and every
    ///    player's network runs once: outputs `o_j`.
    /// 2. Each loss's head runs on fresh leaves made from the outputs' values (tangents
    ///    included): one reverse pass over the heads gives `c_ij = ∂l_i/∂o_j` as dual numbers.
    /// 3. One reverse pass of `Σ_j ⟨o_j, C_j⟩` through the networks pulls the cotangents back:
    ///    with `C_j = c_jj`, leaf `j`'s gradient is `∇_{w_j} l_j` and its tangent
    ///    `(∇²l_j · seed)_j`. Unseeded, with `collective`, `C_j` carries `Σ_i c_ij` in its
    ///    tangent: the reverse pass is linear in the cotangent and the networks' values carry
    ///    no tangent, so leaf `j`'s tangent comes back as `∇_{w_j} l_c`.
    fn shared(
        &self,
        w: &FlatTensor<B>,
        seed: Option<&Tensor<B, 1>>,
        collective: bool,
    ) -> Result<Option<SharedPass<B>>, GameError> {
        if !self.shared_forward || self.offers_outputs.get() == Some(&false) {
            return Ok(None);
        }
        let n = self.layout.num_players();
        let seed = match seed {
            Some(v) => self.full_seed(v),
            None => self.no_seed(),
        };
        let seeded = seed.iter().any(Option::is_some);
        let leaves = self.leaves(&w.0, &seed);
        let outputs = self.game.player_outputs(&self.params(&leaves));
        let _ = self.offers_outputs.set(outputs.is_some());
        let Some(outputs) = outputs else {
            return Ok(None);
        };
        if outputs.len() != n {
            return Err(GameError::WrongOutputCount {
                expected: n,
                got: outputs.len(),
            });
        }
        // 2. The heads, loss `i` on its own copy of the outputs.
        let need_all = collective && !seeded;
        let mut heads = Vec::with_capacity(n);
        let mut own = Vec::with_capacity(n);
        for i in 0..n {
            let copy: Vec<Tensor<HvpBackend<B>, 1>> = outputs
                .iter()
                .enumerate()
                .map(|(j, o)| {
                    let value = Tensor::from_inner(o.clone().inner());
                    if j == i || need_all {
                        value.require_grad()
                    } else {
                        value
                    }
                })
                .collect();
            own.push(self.eval_head_one(&copy, i)?);
            heads.push(copy);
        }
        let values = self.loss_values(&own)?;
        let head_grads = sum(own).backward();
        let cotangent = |i: usize, j: usize| -> Option<DualTensor<B>> {
            heads[i][j]
                .grad(&head_grads)
                .map(|g| g.into_primitive().tensor())
        };
        // 3. One reverse pass through the networks.
        let mut pulled = Vec::with_capacity(n);
        for (j, output) in outputs.iter().enumerate() {
            let own_part = cotangent(j, j);
            let c = if need_all {
                let coll = (0..n)
                    .filter_map(|i| cotangent(i, j).map(|d| d.primal))
                    .reduce(B::float_add);
                match (own_part, coll) {
                    (None, None) => continue,
                    (own_part, coll) => {
                        let zeros = || {
                            Tensor::<B, 1>::zeros(output.dims(), &self.device)
                                .into_primitive()
                                .tensor()
                        };
                        let primal = own_part.map(|d| d.primal).unwrap_or_else(zeros);
                        DualTensor::new(primal, Some(coll.unwrap_or_else(zeros)))
                    }
                }
            } else {
                match own_part {
                    Some(d) => d,
                    None => continue,
                }
            };
            let c = Tensor::<HvpBackend<B>, 1>::from_inner(Tensor::from_primitive(
                TensorPrimitive::Float(c),
            ));
            pulled.push((output.clone() * c).sum());
        }
        let read_tangent = seeded || need_all;
        let result = if pulled.is_empty() {
            // No loss depends on any output: every gradient is zero.
            let zeros: Vec<Tensor<B, 1>> = (0..n)
                .map(|j| Tensor::zeros([self.layout.player_dim(j)], &self.device))
                .collect();
            CopyResult {
                grad: zeros.clone(),
                tangent: read_tangent.then_some(zeros),
            }
        } else {
            let grads = sum(pulled).backward();
            self.read(&leaves, &grads, read_tangent)
        };
        let (own_tangent, collective) = match (seeded, need_all) {
            (true, _) => (result.tangent, None),
            (false, true) => (None, result.tangent),
            (false, false) => (None, None),
        };
        Ok(Some(SharedPass {
            values,
            own: result.grad,
            own_tangent,
            collective,
        }))
    }

    /// Evaluate player `player`'s head on outputs `copy`, alone if the game offers it.
    fn eval_head_one(
        &self,
        copy: &[Tensor<HvpBackend<B>, 1>],
        player: usize,
    ) -> Result<Tensor<HvpBackend<B>, 1>, GameError> {
        let loss = match self.game.loss_of_outputs(player, copy) {
            Some(loss) => loss,
            None => {
                let mut losses = self.game.losses_of_outputs(copy);
                let n = self.layout.num_players();
                if losses.len() != n {
                    return Err(GameError::WrongLossCount {
                        expected: n,
                        got: losses.len(),
                    });
                }
                losses.swap_remove(player)
            }
        };
        if loss.dims() != [1] {
            return Err(GameError::NonScalarLoss {
                player,
                shape: loss.dims().to_vec(),
            });
        }
        Ok(loss)
    }

    /// Copy `i` of the parameters carries `seeds[i]`; differentiate `Σ_i l_i(copy i)` once.
    fn per_loss(
        &self,
        w: &FlatTensor<B>,
        seeds: Vec<Seed<B>>,
    ) -> Result<Vec<LossPass<B>>, GameError> {
        self.check_len("w", w)?;
        let copies: Vec<_> = seeds.iter().map(|s| self.leaves(&w.0, s)).collect();
        let mut own = Vec::with_capacity(copies.len());
        for (i, leaves) in copies.iter().enumerate() {
            own.push(self.eval_one(self.params(leaves), i)?);
        }
        let values = self.loss_values(&own)?;
        let grads = sum(own).backward();
        Ok(copies
            .iter()
            .zip(values)
            .zip(&seeds)
            .map(|((leaves, value), seed)| LossPass {
                value,
                result: self.read(leaves, &grads, seed.iter().any(Option::is_some)),
            })
            .collect())
    }

    /// One pass of `Σ_i l_i` over one copy of the parameters, for a separable game
    /// ([`Game::is_separable`]): its gradient is `ξ` and, seeded with `v` on every block, its
    /// tangent is `H v`. Unseeded, the losses are read back (and checked) too.
    fn separable_pass(
        &self,
        w: &FlatTensor<B>,
        seed: Seed<B>,
    ) -> Result<(Option<Vec<f64>>, CopyResult<B>), GameError> {
        self.check_len("w", w)?;
        let seeded = seed.iter().any(Option::is_some);
        let leaves = self.leaves(&w.0, &seed);
        let losses = self.eval(self.params(&leaves))?;
        let values = match seeded {
            true => None,
            false => Some(self.loss_values(&losses)?),
        };
        let grads = sum(losses).backward();
        Ok((values, self.read(&leaves, &grads, seeded)))
    }

    /// Losses and `ξ` without `ξ_c`, from the cheapest pass that gives them: the separable
    /// pass, the shared forward pass, or the per-loss pass (whose gradient blocks come too).
    fn own_first_order(&self, w: &FlatTensor<B>) -> Result<PerLossOptional<B>, GameError> {
        self.check_len("w", w)?;
        if self.game.is_separable() {
            let (values, result) = self.separable_pass(w, self.no_seed())?;
            let values = values.expect("an unseeded pass reads the losses");
            return Ok((values, FlatTensor(Tensor::cat(result.grad, 0)), None));
        }
        if let Some(pass) = self.shared(w, None, false)? {
            return Ok((pass.values, FlatTensor(Tensor::cat(pass.own, 0)), None));
        }
        let (losses, xi, blocks) = self.per_loss_first_order(w)?;
        Ok((losses, xi, Some(blocks)))
    }

    /// One copy with tangent `seed`, differentiating `l_c` (`Σ_i l_i`, or the game's own
    /// collective loss): `(∇ l_c, ∇²l_c · seed)`.
    fn collective(
        &self,
        w: &FlatTensor<B>,
        seed: Seed<B>,
        check_losses: bool,
    ) -> Result<CopyResult<B>, GameError> {
        self.check_len("w", w)?;
        let leaves = self.leaves(&w.0, &seed);
        let total = if self.game.has_collective_loss() {
            let loss = self
                .game
                .collective_loss(&self.params(&leaves))
                .ok_or(GameError::MissingCollectiveLoss)?;
            if loss.dims() != [1] {
                return Err(GameError::NonScalarCollectiveLoss {
                    shape: loss.dims().to_vec(),
                });
            }
            if check_losses {
                let value = loss
                    .clone()
                    .into_data()
                    .convert::<f64>()
                    .to_vec::<f64>()
                    .expect("a float tensor converts to f64")[0];
                if !value.is_finite() {
                    return Err(GameError::NonFiniteCollectiveLoss { value });
                }
            }
            loss
        } else {
            let losses = self.eval(self.params(&leaves))?;
            if check_losses {
                // Seeded passes skip the loss read-back (it is a measurable share of a small
                // game's HVP); a non-finite loss still shows in the returned vector, which
                // rules check.
                self.loss_values(&losses)?;
            }
            sum(losses)
        };
        let grads = total.backward();
        Ok(self.read(&leaves, &grads, seed.iter().any(Option::is_some)))
    }

    /// Every parameter tensor as its own leaf of the `Autodiff<Dual<B>>` graph, with primal from
    /// `w` and tangent from the player's seed block. (Separate leaves, rather than slices of
    /// one flat leaf, keep the backward pass free of `d`-sized zero-and-assign steps.)
    fn leaves(&self, w: &Tensor<B, 1>, seed: &Seed<B>) -> Vec<Vec<Tensor<HvpBackend<B>, 1>>> {
        (0..self.layout.num_players())
            .map(|player| {
                let block = self.layout.block(player);
                let mut offset = 0;
                self.layout
                    .shapes(player)
                    .iter()
                    .map(|shape| {
                        let size: usize = shape.iter().product();
                        let range = offset..offset + size;
                        offset += size;
                        let primal = w
                            .clone()
                            .slice(block.start + range.start..block.start + range.end);
                        let tangent = seed[player].as_ref().map(|s| s.clone().slice(range));
                        leaf::<B>(primal, tangent)
                    })
                    .collect()
            })
            .collect()
    }

    fn params(&self, leaves: &[Vec<Tensor<HvpBackend<B>, 1>>]) -> Params<HvpBackend<B>> {
        Params::from_parts(leaves.to_vec(), &self.layout)
    }

    /// Each player's gradient block (and tangent block, if `seeded`) from the leaves.
    fn read(
        &self,
        leaves: &[Vec<Tensor<HvpBackend<B>, 1>>],
        grads: &<HvpBackend<B> as burn::tensor::backend::AutodiffBackend>::Gradients,
        seeded: bool,
    ) -> CopyResult<B> {
        let mut grad = Vec::with_capacity(leaves.len());
        let mut tangent = Vec::with_capacity(leaves.len());
        for player_leaves in leaves {
            let (g, t): (Vec<_>, Vec<_>) = player_leaves
                .iter()
                .map(|leaf| split_grad::<B>(leaf, grads, seeded))
                .unzip();
            grad.push(cat_or_single(g));
            if seeded {
                tangent.push(cat_or_single(t.into_iter().map(Option::unwrap).collect()));
            }
        }
        CopyResult {
            grad,
            tangent: seeded.then_some(tangent),
        }
    }

    fn no_seed(&self) -> Seed<B> {
        vec![None; self.layout.num_players()]
    }

    /// Seed `v` on every block.
    fn full_seed(&self, v: &Tensor<B, 1>) -> Seed<B> {
        (0..self.layout.num_players())
            .map(|j| Some(v.clone().slice(self.layout.block(j))))
            .collect()
    }

    /// Seed `P_i v`: block `i` of `v`, zero elsewhere.
    fn block_seed(&self, v: &Tensor<B, 1>, player: usize) -> Seed<B> {
        (0..self.layout.num_players())
            .map(|j| (j == player).then(|| v.clone().slice(self.layout.block(j))))
            .collect()
    }

    /// Evaluate the game and validate the shape of its answer.
    fn eval(
        &self,
        params: Params<HvpBackend<B>>,
    ) -> Result<Vec<Tensor<HvpBackend<B>, 1>>, GameError> {
        let losses = self.game.losses(&params);
        let n = self.layout.num_players();
        if losses.len() != n {
            return Err(GameError::WrongLossCount {
                expected: n,
                got: losses.len(),
            });
        }
        for (player, loss) in losses.iter().enumerate() {
            if loss.dims() != [1] {
                return Err(GameError::NonScalarLoss {
                    player,
                    shape: loss.dims().to_vec(),
                });
            }
        }
        Ok(losses)
    }

    /// Evaluate player `player`'s loss, alone if the game offers it.
    fn eval_one(
        &self,
        params: Params<HvpBackend<B>>,
        player: usize,
    ) -> Result<Tensor<HvpBackend<B>, 1>, GameError> {
        match self.game.loss(player, &params) {
            Some(loss) if loss.dims() == [1] => Ok(loss),
            Some(loss) => Err(GameError::NonScalarLoss {
                player,
                shape: loss.dims().to_vec(),
            }),
            None => Ok(self.eval(params)?.swap_remove(player)),
        }
    }

    /// Read the losses' values (one transfer) and check that they are finite.
    fn loss_values(&self, losses: &[Tensor<HvpBackend<B>, 1>]) -> Result<Vec<f64>, GameError> {
        let values: Vec<f64> = Tensor::cat(losses.to_vec(), 0)
            .into_data()
            .convert::<f64>()
            .to_vec::<f64>()
            .expect("a float tensor converts to f64");
        if let Some((player, &value)) = values.iter().enumerate().find(|(_, v)| !v.is_finite()) {
            return Err(GameError::NonFiniteLoss { player, value });
        }
        Ok(values)
    }

    /// Concatenate block `i` of the `i`-th copy's blocks.
    fn own_blocks<'a>(&self, copies: impl Iterator<Item = &'a Vec<Tensor<B, 1>>>) -> Tensor<B, 1> {
        Tensor::cat(
            copies
                .enumerate()
                .map(|(i, blocks)| blocks[i].clone())
                .collect(),
            0,
        )
    }

    /// Concatenate, block by block, the sum over copies.
    fn summed_blocks<'a>(
        &self,
        copies: impl Iterator<Item = &'a Vec<Tensor<B, 1>>>,
    ) -> Tensor<B, 1> {
        let mut total: Option<Vec<Tensor<B, 1>>> = None;
        for blocks in copies {
            total = Some(match total {
                None => blocks.clone(),
                Some(acc) => acc
                    .into_iter()
                    .zip(blocks)
                    .map(|(a, b)| a + b.clone())
                    .collect(),
            });
        }
        Tensor::cat(total.expect("a game has at least one player"), 0)
    }

    fn check_len(&self, what: &'static str, v: &FlatTensor<B>) -> Result<(), GameError> {
        let got = v.dim();
        let expected = self.layout.dim();
        if got != expected {
            return Err(GameError::WrongLength {
                what,
                expected,
                got,
            });
        }
        Ok(())
    }
}

/// A leaf of the `Autodiff<Dual<B>>` graph with the given primal and tangent.
fn leaf<B: Backend>(
    primal: Tensor<B, 1>,
    tangent: Option<Tensor<B, 1>>,
) -> Tensor<HvpBackend<B>, 1> {
    let dual = DualTensor::new(
        primal.into_primitive().tensor(),
        tangent.map(|t| t.into_primitive().tensor()),
    );
    let inner = Tensor::<Dual<B>, 1>::from_primitive(TensorPrimitive::Float(dual));
    Tensor::from_inner(inner).require_grad()
}

/// A leaf's gradient split into primal (`∇ l`) and tangent (`∇² l · seed`). A loss that does
/// not depend on the leaf has a zero gradient; a seeded pass always returns a tangent.
fn split_grad<B: Backend>(
    leaf: &Tensor<HvpBackend<B>, 1>,
    grads: &<HvpBackend<B> as burn::tensor::backend::AutodiffBackend>::Gradients,
    seeded: bool,
) -> (Tensor<B, 1>, Option<Tensor<B, 1>>) {
    let zeros = || Tensor::<B, 1>::zeros([leaf.dims()[0]], &leaf.device());
    let (grad, tangent) = match leaf.grad(grads) {
        Some(g) => {
            let dual = g.into_primitive().tensor();
            (
                Tensor::from_primitive(TensorPrimitive::Float(dual.primal)),
                dual.tangent
                    .map(|t| Tensor::from_primitive(TensorPrimitive::Float(t))),
            )
        }
        None => (zeros(), None),
    };
    let tangent = seeded.then(|| tangent.unwrap_or_else(zeros));
    (grad, tangent)
}

/// The tangent blocks of a seeded copy.
fn tangent_blocks<B: Backend>(result: &CopyResult<B>) -> &Vec<Tensor<B, 1>> {
    result.tangent.as_ref().expect("a seeded copy has tangents")
}

/// `∇_w l_i` for every `i`, from the per-loss gradient blocks.
fn full_gradients<B: Backend>(blocks: &PerLossBlocks<B>) -> Vec<FlatTensor<B>> {
    blocks
        .iter()
        .map(|b| FlatTensor(Tensor::cat(b.clone(), 0)))
        .collect()
}

/// The largest `|a_k − b_k| / max(1, |b_k|)`; `+∞` on a length mismatch or if any entry is NaN
/// or infinite (so a comparison `error < tol` fails on them, as `aga_testing::rel_err` does).
pub fn relative_error(a: &[f64], b: &[f64]) -> f64 {
    if a.len() != b.len() {
        return f64::INFINITY;
    }
    let mut worst = 0.0_f64;
    for (x, y) in a.iter().zip(b) {
        let e = (x - y).abs() / y.abs().max(1.0);
        if !e.is_finite() {
            return f64::INFINITY;
        }
        worst = worst.max(e);
    }
    worst
}

fn cat_or_single<B: Backend>(mut parts: Vec<Tensor<B, 1>>) -> Tensor<B, 1> {
    if parts.len() == 1 {
        parts.pop().expect("one part")
    } else {
        Tensor::cat(parts, 0)
    }
}

fn sum<B: Backend>(tensors: impl IntoIterator<Item = Tensor<B, 1>>) -> Tensor<B, 1> {
    tensors
        .into_iter()
        .reduce(|a, b| a + b)
        .expect("a game has at least one player")
}

/// The derivatives of a game at one point, for the rules of `aga-core`.
///
/// `ξ` and `ξ_c` come from a single cached per-loss pass; each Hessian-vector product is one
/// further pass.
pub struct Oracle<'e, 'g, B: Backend, G: ?Sized> {
    engine: &'e Derivatives<'g, B, G>,
    w: FlatTensor<B>,
    first: Option<FirstOrder<B>>,
    /// Losses and `ξ` from a pass that skips `ξ_c` where skipping it saves work (a collective
    /// loss of the game's own, the shared forward pass): a rule that never asks for `ξ_c`
    /// never pays for it.
    own: Option<(Vec<f64>, FlatTensor<B>)>,
    /// The per-loss gradient blocks of the cached first-order pass.
    blocks: Option<PerLossBlocks<B>>,
    /// `ξ_c` alone, from the collective pass of [`GameOracle::collective_curvature`] (then `ξ`
    /// comes from a pass that skips `ξ_c`).
    xi_c: Option<FlatTensor<B>>,
    /// What the primal tape's replay did in `collective_curvature`, if it ran.
    replay: Option<ReplayStats>,
}

impl<B, G> Oracle<'_, '_, B, G>
where
    B: Backend,
    G: Game<HvpBackend<B>> + ?Sized,
{
    /// Losses, `ξ` and `ξ_c` (computed once).
    pub fn first_order(&mut self) -> Result<&FirstOrder<B>, GameError> {
        if self.first.is_none() {
            if self.xi_c.is_some() {
                // `ξ_c` came alone (`collective_curvature`): `ξ` from a pass without it.
                self.own()?;
            }
            let first = match self.own.clone() {
                Some((losses, xi)) => FirstOrder {
                    losses,
                    xi,
                    xi_c: match self.free_xi_c() {
                        Some(xi_c) => xi_c,
                        None => self.engine.xi_c(&self.w)?,
                    },
                },
                None => {
                    let (first, blocks) = self.engine.first_order_cached(&self.w)?;
                    self.blocks = blocks;
                    first
                }
            };
            self.first = Some(first);
        }
        Ok(self.first.as_ref().expect("just computed"))
    }

    /// `ξ_c` if it has been computed (or came free with `ξ`), without computing it.
    pub fn computed_xi_c(&self) -> Option<&FlatTensor<B>> {
        self.first.as_ref().map(|f| &f.xi_c).or(self.xi_c.as_ref())
    }

    /// `ξ_c` where what is cached already holds it: computed, or — for a game without a
    /// collective loss of its own — `ξ` itself (separable games) or the sum of the per-loss
    /// gradient blocks (then kept). `None` where it needs a pass of its own (never runs one).
    pub fn free_xi_c(&mut self) -> Option<FlatTensor<B>> {
        if let Some(xi_c) = self.computed_xi_c() {
            return Some(xi_c.clone());
        }
        if self.engine.game.has_collective_loss() {
            return None;
        }
        let (_, xi) = self.own.as_ref()?;
        let xi_c = match self.engine.game.is_separable() {
            true => xi.clone(),
            false => FlatTensor(self.engine.summed_blocks(self.blocks.as_ref()?.iter())),
        };
        self.xi_c = Some(xi_c.clone());
        Some(xi_c)
    }

    /// Losses and `ξ` from the cheapest pass that gives them — the separable pass, the shared
    /// forward pass without `ξ_c`, or the per-loss pass (whose blocks give `ξ_c` for free) —
    /// unless the first-order quantities are cached (computed once).
    fn own(&mut self) -> Result<(Vec<f64>, FlatTensor<B>), GameError> {
        if let Some(first) = &self.first {
            return Ok((first.losses.clone(), first.xi.clone()));
        }
        if self.own.is_none() {
            let (losses, xi, blocks) = self.engine.own_first_order(&self.w)?;
            self.blocks = blocks;
            self.own = Some((losses, xi));
        }
        Ok(self.own.clone().expect("just computed"))
    }

    /// What the primal tape's replay did for `H_c ξ_c` at this point (`None`: no replay ran —
    /// the tape is off, or `ξ_c` came free with `ξ`).
    pub fn replay_stats(&self) -> Option<ReplayStats> {
        self.replay
    }

    /// The point.
    pub fn point(&self) -> &FlatTensor<B> {
        &self.w
    }
}

impl<B, G> GameOracle for Oracle<'_, '_, B, G>
where
    B: Backend,
    G: Game<HvpBackend<B>> + ?Sized,
{
    type Vector = FlatTensor<B>;
    type Error = GameError;

    fn xi(&mut self) -> Result<FlatTensor<B>, GameError> {
        Ok(self.own()?.1)
    }

    fn xi_c(&mut self) -> Result<FlatTensor<B>, GameError> {
        if let Some(xi_c) = self.free_xi_c() {
            return Ok(xi_c);
        }
        Ok(self.first_order()?.xi_c.clone())
    }

    fn hvp(&mut self, v: &FlatTensor<B>) -> Result<FlatTensor<B>, GameError> {
        self.engine.hvp(&self.w, v)
    }

    fn hvp_transpose(&mut self, v: &FlatTensor<B>) -> Result<FlatTensor<B>, GameError> {
        self.engine.hvp_transpose(&self.w, v)
    }

    fn hvp_collective(&mut self, v: &FlatTensor<B>) -> Result<FlatTensor<B>, GameError> {
        self.engine.hvp_collective(&self.w, v)
    }

    /// For a game with a collective loss of its own, where `ξ_c` costs a pass of its own: one
    /// collective pass for `ξ_c` whose primal values the `H_c ξ_c` pass replays
    /// ([`Derivatives::collective_curvature`]). Otherwise `ξ_c` comes with `ξ` — `ξ` itself
    /// (separable games), the per-loss blocks, or the shared pass's tangent channel, which was
    /// measured cheaper than a recorded pass of its own (docs/performance.md) — and one plain
    /// `H_c ξ_c` pass follows.
    fn collective_curvature(&mut self) -> Result<(FlatTensor<B>, FlatTensor<B>), GameError> {
        if self.free_xi_c().is_none()
            && !(self.engine.primal_tape && self.engine.game.has_collective_loss())
        {
            self.first_order()?;
        }
        if let Some(xi_c) = self.free_xi_c() {
            let hvp = self.engine.hvp_collective(&self.w, &xi_c)?;
            return Ok((xi_c, hvp));
        }
        let curvature = self.engine.collective_curvature(&self.w)?;
        self.xi_c = Some(curvature.xi_c.clone());
        self.replay = curvature.replay;
        Ok((curvature.xi_c, curvature.hvp))
    }

    fn num_players(&self) -> usize {
        self.engine.layout.num_players()
    }

    fn is_separable(&self) -> bool {
        self.engine.game.is_separable()
    }

    fn project(&self, v: &FlatTensor<B>, player: usize) -> FlatTensor<B> {
        self.engine.project(v, player)
    }

    /// The players' losses at this point.
    fn losses(&mut self) -> Result<Vec<f64>, GameError> {
        Ok(self.own()?.0)
    }

    fn loss_gradients(&mut self) -> Result<Vec<FlatTensor<B>>, GameError> {
        self.own()?;
        match &self.blocks {
            Some(blocks) => Ok(full_gradients(blocks)),
            // The first-order pass was shared: `∇_w l_i` needs the per-loss pass.
            None => self.engine.loss_gradients(&self.w),
        }
    }

    fn loss_hvps(&mut self, vs: &[FlatTensor<B>]) -> Result<Vec<FlatTensor<B>>, GameError> {
        self.engine.loss_hvps(&self.w, vs)
    }
}
