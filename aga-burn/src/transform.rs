//! Every update rule as a gradient transform around any Burn optimiser.
//!
//! A [`GameOptimizer`] replaces "one optimiser step per player" by "one adjusted step for the
//! game": it computes `ξ`, `ξ_c` and the Hessian-vector products the rule needs over **all**
//! players' parameters (the sign rules use inner products over everything), applies the rule of
//! `aga-core` — the same function the vector-level API uses — splits the adjusted direction `ξ̃`
//! into one [`GradientsParams`] per player, and hands each to the wrapped optimiser's `step`.
//! Gradient clipping, weight decay and momentum therefore act on `ξ̃`, exactly as they would on a
//! gradient; learning-rate schedules stay in the caller's loop, as with any Burn optimiser.

use crate::{Derivatives, FlatTensor, GameError, HvpBackend, ModuleGame, ModuleLosses};
use aga_core::{
    direction, GameOracle, Method, ReducedError, ReducedOracle, Reducer, RuleConfig, RuleError,
};
use burn::config::Config;
use burn::module::AutodiffModule;
use burn::optim::LearningRate;
use burn::optim::{GradientsParams, Optimizer};
use burn::tensor::backend::Backend;
use burn::tensor::{Tensor, TensorData};
use serde::{Deserialize, Serialize};
use thiserror::Error;

/// The reducer type of a step that reduces nothing (never built).
enum NoReduction {}

impl<V> Reducer<V> for NoReduction {
    type Error = std::convert::Infallible;

    fn weighted_sum(&mut self, _: V) -> Result<V, Self::Error> {
        match *self {}
    }

    fn weighted_sum_scalars(&mut self, _: Vec<f64>) -> Result<Vec<f64>, Self::Error> {
        match *self {}
    }
}

/// Configuration of a [`GameOptimizer`] (Burn's `Config` convention).
///
/// ```
/// use aga_burn::GameOptimizerConfig;
/// use aga_core::Method;
/// let config = GameOptimizerConfig::new(Method::Aga).with_lambda(0.5);
/// assert!(config.align);
/// ```
#[derive(Config, Debug, PartialEq)]
pub struct GameOptimizerConfig {
    /// The update rule.
    pub method: Method,
    /// Adjustment strength `λ` (consensus, sga, aga).
    #[config(default = 1.0)]
    pub lambda: f64,
    /// SGA's alignment / AgA's sign rule; off is the ablation.
    #[config(default = true)]
    pub align: bool,
    /// SGA's alignment `ε`.
    #[config(default = 0.1)]
    pub sga_epsilon: f64,
    /// Look-ahead rate `α` (la, lola, sos).
    #[config(default = 1.0)]
    pub alpha: f64,
    /// SOS's `a`.
    #[config(default = 0.5)]
    pub sos_a: f64,
    /// SOS's `b`.
    #[config(default = 0.1)]
    pub sos_b: f64,
    /// SOS's `k` in `p_2 = k ‖ξ‖²`.
    #[config(default = 1.0)]
    pub sos_k: f64,
    /// Opt-in guard against runaway losses: when set, a step whose losses (before the step)
    /// include one with `|l_i| > max_abs_loss` fails with [`TransformError::RunawayLoss`]
    /// instead of moving the players further (e.g. LOLA with a too-large `α` can run off).
    #[config(default = "None")]
    pub max_abs_loss: Option<f64>,
    /// Per-player global-norm clipping of the adjusted direction: when set, each player's
    /// block of `ξ̃` (each agent's slice, where a module stacks agents) whose Euclidean norm
    /// (over all of that player's parameters) exceeds it is scaled down to it, as `optax.clip_by_global_norm` does for one agent's gradients. This
    /// is PPO's gradient clipping (0.5); Burn's own `GradientClipping::Norm` clips each
    /// parameter tensor separately, which is a different rule.
    #[config(default = "None")]
    pub max_grad_norm: Option<f64>,
    /// Report `‖ξ_c‖` and `cos(ξ, ξ_c)` at every step even when the rule does not need `ξ_c`
    /// and it costs a pass of its own (games with their own collective loss, e.g. the PPO
    /// game under simgd). Off, those two diagnostics are NaN for such steps; every other
    /// diagnostic, and every diagnostic of a rule that computes `ξ_c` anyway, is reported.
    #[config(default = true)]
    pub diagnostics: bool,
}

impl GameOptimizerConfig {
    /// The vector-level rule this configuration describes.
    pub fn rule(&self) -> RuleConfig {
        RuleConfig::new(self.method)
            .with_lambda(self.lambda)
            .with_align(self.align)
            .with_sga_epsilon(self.sga_epsilon)
            .with_alpha(self.alpha)
            .with_sos(self.sos_a, self.sos_b)
            .with_sos_k(self.sos_k)
    }

    /// Wrap one optimiser per player (`optimizers.len() == n`) or one shared by all players
    /// (`optimizers.len() == 1`; Burn's optimisers keep their state per parameter id).
    pub fn init<O>(&self, optimizers: Vec<O>) -> Result<GameOptimizer<O>, TransformError> {
        self.rule().validate().map_err(RuleError::Config)?;
        if optimizers.is_empty() {
            return Err(TransformError::NoOptimizer);
        }
        if let Some(limit) = self.max_abs_loss {
            if !(limit.is_finite() && limit > 0.0) {
                return Err(TransformError::BadLossLimit(limit));
            }
        }
        if let Some(limit) = self.max_grad_norm {
            if !(limit.is_finite() && limit > 0.0) {
                return Err(TransformError::BadGradNorm(limit));
            }
        }
        Ok(GameOptimizer {
            rule: self.rule(),
            optimizers,
            max_abs_loss: self.max_abs_loss,
            max_grad_norm: self.max_grad_norm,
            diagnostics: self.diagnostics,
        })
    }
}

/// Errors of the game optimiser.
#[derive(Debug, Error)]
pub enum TransformError {
    /// The game could not be evaluated (names the player where one is at fault).
    #[error(transparent)]
    Game(#[from] GameError),
    /// The rule failed (bad configuration or non-finite direction).
    #[error(transparent)]
    Rule(#[from] RuleError<GameError>),
    /// Combining this worker's derivatives with the other workers' failed
    /// ([`GameOptimizer::step_reduced`]).
    #[error("data-parallel reduction failed: {0}")]
    Reduce(Box<dyn std::error::Error + Send + Sync>),
    /// A player's adjusted gradient contains NaN or infinity.
    #[error("player {}'s adjusted gradient is not finite", player + 1)]
    NonFiniteGradient {
        /// The player (0-based), counting each agent of a stacked module
        /// ([`ModuleLosses::stacked_agents`]) as a player.
        player: usize,
    },
    /// A player's loss beyond the configured [`GameOptimizerConfig::max_abs_loss`].
    #[error("player {}'s loss {loss} exceeds the runaway guard |l| <= {limit}; lower the learning rate, lambda or alpha", player + 1)]
    RunawayLoss {
        /// The player (0-based).
        player: usize,
        /// Its loss.
        loss: f64,
        /// The configured limit.
        limit: f64,
    },
    /// A runaway-guard limit that is not a positive finite number.
    #[error("the runaway guard max_abs_loss must be positive and finite, got {0}")]
    BadLossLimit(f64),
    /// A gradient-norm clipping limit that is not a positive finite number.
    #[error("max_grad_norm must be positive and finite, got {0}")]
    BadGradNorm(f64),
    /// A learning rate that is not a positive finite number.
    #[error("player {}'s learning rate must be positive and finite, got {lr}", player + 1)]
    BadLearningRate {
        /// The player (0-based).
        player: usize,
        /// The rate given.
        lr: f64,
    },
    /// A list of per-player learning rates of the wrong length.
    #[error("{got} learning rates for {players} players: give one per player")]
    LearningRateCount {
        /// Rates given.
        got: usize,
        /// Players in the game.
        players: usize,
    },
    /// No optimiser was given.
    #[error("a game optimiser needs at least one inner optimiser")]
    NoOptimizer,
    /// The number of optimisers fits neither one shared nor one per player.
    #[error("{optimizers} optimisers for {players} players: give one shared or one per player")]
    OptimizerCount {
        /// Optimisers given.
        optimizers: usize,
        /// Players in the game.
        players: usize,
    },
    /// A record for a different number of optimisers.
    #[error("the record holds {got} optimiser states, this game optimiser has {expected}")]
    RecordCount {
        /// Optimisers in this game optimiser.
        expected: usize,
        /// States in the record.
        got: usize,
    },
}

/// What a step saw: the quantities the AgA paper reasons about, all at the parameters
/// *before* the step.
///
/// | field | simgd, collective | consensus | sga | aga | la, lola | sos |
/// |---|---|---|---|---|---|---|
/// | `lambda` | `None` | `λ` | `λ` after alignment | `λ` after the sign rule | `None` | `None` |
/// | `reference_norm` | `None` | `None` | `‖∇ℋ‖ = ‖Hᵀξ‖` | `‖∇ℋ_c‖ = ‖H_c ξ_c‖` | `None` | `None` |
/// | `alignment_sign` | `None` | `None` | sign of SGA's product | sign of AgA's product | `None` | `None` |
/// | `sos_p` | `None` | `None` | `None` | `None` | `None` | `p ∈ [0, 1]` |
///
/// `xi_norm`, `xi_c_norm`, `cos_xi_xi_c` and `direction_norms` are reported for every rule.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StepDiagnostics {
    /// The `λ` used, after the sign rule (`None` for simgd, collective).
    pub lambda: Option<f64>,
    /// `‖ξ‖`.
    pub xi_norm: f64,
    /// `‖ξ_c‖` (NaN when not computed: see [`GameOptimizerConfig::diagnostics`]).
    pub xi_c_norm: f64,
    /// `cos(ξ, ξ_c)` (0 when either is zero; NaN when `ξ_c` was not computed).
    pub cos_xi_xi_c: f64,
    /// `‖∇ℋ_c‖ = ‖H_c ξ_c‖` for AgA, `‖∇ℋ‖ = ‖Hᵀ ξ‖` for SGA; `None` otherwise.
    pub reference_norm: Option<f64>,
    /// The sign (±1) of the alignment product that chose `sign(λ)` (AgA, SGA); `None` otherwise.
    pub alignment_sign: Option<f64>,
    /// SOS's `p`, the share of LOLA's shaping term it kept; `None` for other rules.
    pub sos_p: Option<f64>,
    /// `‖ξ̃_i‖` per player (per agent where a module stacks agents), before any
    /// gradient-norm clipping.
    pub direction_norms: Vec<f64>,
}

/// The adjusted gradients of one step, before any optimiser acts on them.
#[derive(Debug)]
pub struct Adjusted {
    /// `ξ̃` split per player, registered by parameter id.
    pub grads: Vec<GradientsParams>,
    /// The players' losses at the current parameters.
    pub losses: Vec<f64>,
    /// Diagnostics.
    pub diagnostics: StepDiagnostics,
}

/// The result of one game step.
#[derive(Debug)]
pub struct GameStep<M> {
    /// The players after the step.
    pub players: Vec<M>,
    /// The players' losses at the parameters the step started from (the adjusted direction was
    /// computed there); the new players' losses are the next step's `losses_before`.
    pub losses_before: Vec<f64>,
    /// Diagnostics of the step.
    pub diagnostics: StepDiagnostics,
}

/// An update rule wrapped around Burn optimisers: one adjusted step for the whole game.
///
/// Build it with [`GameOptimizerConfig::init`]. See `docs/guide.md` for a complete training loop.
#[derive(Clone)]
pub struct GameOptimizer<O> {
    rule: RuleConfig,
    optimizers: Vec<O>,
    max_abs_loss: Option<f64>,
    max_grad_norm: Option<f64>,
    diagnostics: bool,
}

impl<O> GameOptimizer<O> {
    /// The rule applied at every step.
    pub fn rule(&self) -> &RuleConfig {
        &self.rule
    }

    /// `ξ̃` for every player at the players' current parameters, as `GradientsParams`.
    pub fn adjusted_gradients<B, M, L>(
        &self,
        players: &[M],
        losses: &L,
    ) -> Result<Adjusted, TransformError>
    where
        B: Backend,
        M: AutodiffModule<HvpBackend<B>>,
        L: ModuleLosses<HvpBackend<B>, M>,
    {
        self.adjusted_gradients_with::<B, M, L, NoReduction>(players, losses, None)
    }

    /// [`GameOptimizer::adjusted_gradients`] of a data-parallel worker: every derivative the
    /// rule asks for is summed over the workers by `reducer` ([`aga_core::ReducedOracle`]), so
    /// `ξ̃`, the losses and the diagnostics are the whole batch's, the same on every worker.
    pub fn adjusted_gradients_reduced<B, M, L, R>(
        &self,
        players: &[M],
        losses: &L,
        reducer: &mut R,
    ) -> Result<Adjusted, TransformError>
    where
        B: Backend,
        M: AutodiffModule<HvpBackend<B>>,
        L: ModuleLosses<HvpBackend<B>, M>,
        R: Reducer<FlatTensor<B>>,
    {
        self.adjusted_gradients_with::<B, M, L, R>(players, losses, Some(reducer))
    }

    fn adjusted_gradients_with<B, M, L, R>(
        &self,
        players: &[M],
        losses: &L,
        reducer: Option<&mut R>,
    ) -> Result<Adjusted, TransformError>
    where
        B: Backend,
        M: AutodiffModule<HvpBackend<B>>,
        L: ModuleLosses<HvpBackend<B>, M>,
        R: Reducer<FlatTensor<B>>,
    {
        let game = ModuleGame::new::<B>(players, losses)?;
        let k = losses.stacked_agents().max(1);
        let w = game.point::<B>();
        let engine = Derivatives::<B, _>::new(&game, w.device())?;
        let mut oracle = engine.oracle(FlatTensor(w))?;
        let (d, losses, xi, xi_c) = match reducer {
            None => {
                let d = direction(&self.rule, &mut oracle).map_err(|e| match e {
                    RuleError::Oracle(game) => TransformError::Game(game),
                    other => TransformError::Rule(other),
                })?;
                let (losses, xi, xi_c) = if self.diagnostics {
                    let first = oracle.first_order()?.clone();
                    (first.losses, first.xi, Some(first.xi_c))
                } else {
                    let (losses, xi) = (oracle.losses()?, oracle.xi()?);
                    (losses, xi, oracle.free_xi_c())
                };
                (d, losses, xi, xi_c)
            }
            Some(reducer) => {
                let reduce = |e: ReducedError<GameError, R::Error>| match e {
                    ReducedError::Game(game) => TransformError::Game(game),
                    ReducedError::Reduce(e) => TransformError::Reduce(Box::new(e)),
                };
                let mut reduced = ReducedOracle::new(oracle, reducer);
                let d = direction(&self.rule, &mut reduced).map_err(|e| match e {
                    RuleError::Oracle(e) => reduce(e),
                    RuleError::Config(c) => TransformError::Rule(RuleError::Config(c)),
                    RuleError::NonFinite(what) => TransformError::Rule(RuleError::NonFinite(what)),
                    RuleError::NonFiniteAlignment { rule, product } => {
                        TransformError::Rule(RuleError::NonFiniteAlignment { rule, product })
                    }
                })?;
                // The diagnostics of the whole batch: the reduced values the rule used (kept by
                // the reduced oracle), `ξ_c` reduced on purpose only when asked for.
                let losses = reduced.losses().map_err(reduce)?;
                let xi = reduced.xi().map_err(reduce)?;
                let xi_c = match (self.diagnostics, reduced.reduced_xi_c()) {
                    (_, Some(xi_c)) => Some(xi_c.clone()),
                    (true, None) => Some(reduced.xi_c().map_err(reduce)?),
                    (false, None) => None,
                };
                (d, losses, xi, xi_c)
            }
        };
        let layout = engine.layout();
        // Each agent's slice of ξ̃ as rows: a player's whole block as one row (one agent), or
        // one row per agent of every tensor of a module that stacks `k` agents.
        let n = layout.num_players();
        let mut rows: Vec<Vec<Tensor<B, 2>>> = Vec::with_capacity(n);
        for player in 0..n {
            let block = layout.block(player);
            if k == 1 {
                let len = block.len();
                rows.push(vec![d.value.0.clone().slice(block).reshape([1, len])]);
                continue;
            }
            layout.check_stacked(player, k)?;
            let mut offset = block.start;
            let mut player_rows = Vec::with_capacity(layout.shapes(player).len());
            for shape in layout.shapes(player) {
                let numel: usize = shape.iter().product();
                let slice = d.value.0.clone().slice(offset..offset + numel);
                player_rows.push(slice.reshape([k, numel / k]));
                offset += numel;
            }
            rows.push(player_rows);
        }
        // Per agent (player-major) the sum over its slices of `f(rows)`.
        let per_agent = |f: &dyn Fn(Tensor<B, 2>) -> Tensor<B, 2>| -> Vec<Tensor<B, 1>> {
            rows.iter()
                .map(|player_rows| {
                    player_rows
                        .iter()
                        .map(|r| f(r.clone()).sum_dim(1))
                        .reduce(|a, b| a + b)
                        .expect("a player has parameters")
                        .reshape([k])
                })
                .collect()
        };
        // One read-back for every check and diagnostic: per agent `Σ 0·x` (NaN exactly when
        // its slice holds a NaN or ±∞), then ‖ξ‖², ‖ξ_c‖², ⟨ξ, ξ_c⟩ (where ξ_c is known), then
        // per agent ‖ξ̃_i‖².
        let agents = n * k;
        let mut sums: Vec<Tensor<B, 1>> = per_agent(&|r| r.mul_scalar(0.0));
        let xi = &xi.0;
        sums.push((xi.clone() * xi.clone()).sum());
        if let Some(xi_c) = &xi_c {
            let xi_c = &xi_c.0;
            sums.push((xi_c.clone() * xi_c.clone()).sum());
            sums.push((xi.clone() * xi_c.clone()).sum());
        }
        // The first `n` tensors hold `k` values each.
        let norms_at = agents + sums.len() - n;
        sums.extend(per_agent(&|r| r.clone() * r));
        let values = FlatTensor(Tensor::cat(sums, 0)).to_vec();
        if let Some(player) = (0..agents).find(|&p| !values[p].is_finite()) {
            return Err(TransformError::NonFiniteGradient { player });
        }
        let direction_norms: Vec<f64> = values[norms_at..].iter().map(|x| x.sqrt()).collect();
        let xi_norm = values[agents].sqrt();
        let (xi_c_norm, cos) = match xi_c {
            None => (f64::NAN, f64::NAN),
            Some(_) => {
                let xi_c_norm = values[agents + 1].sqrt();
                let cos = if xi_norm > 0.0 && xi_c_norm > 0.0 {
                    values[agents + 2] / (xi_norm * xi_c_norm)
                } else {
                    0.0
                };
                (xi_c_norm, cos)
            }
        };
        let diagnostics = StepDiagnostics {
            lambda: d.lambda,
            xi_norm,
            xi_c_norm,
            cos_xi_xi_c: cos,
            reference_norm: d.alignment.map(|a| a.reference_norm),
            alignment_sign: d.alignment.map(|a| a.sign).filter(|s| !s.is_nan()),
            sos_p: d.sos_p,
            direction_norms,
        };
        let value = match self.max_grad_norm {
            Some(limit) if diagnostics.direction_norms.iter().any(|&x| x > limit) => {
                let device = d.value.0.device();
                let mut parts = Vec::with_capacity(layout.num_tensors());
                for (player, player_rows) in rows.into_iter().enumerate() {
                    let scales: Vec<f64> = diagnostics.direction_norms
                        [player * k..(player + 1) * k]
                        .iter()
                        .map(|&norm| if norm > limit { limit / norm } else { 1.0 })
                        .collect();
                    let scale = Tensor::<B, 2>::from_data(TensorData::new(scales, [k, 1]), &device);
                    for r in player_rows {
                        let numel = r.dims()[0] * r.dims()[1];
                        parts.push((r * scale.clone()).reshape([numel]));
                    }
                }
                Tensor::cat(parts, 0)
            }
            _ => d.value.0,
        };
        Ok(Adjusted {
            grads: game.to_gradients::<B>(&value),
            losses,
            diagnostics,
        })
    }

    /// One game step: adjust, then one inner optimiser step per player with learning rate `lr`.
    pub fn step<B, M, L>(
        &mut self,
        lr: LearningRate,
        players: Vec<M>,
        losses: &L,
    ) -> Result<GameStep<M>, TransformError>
    where
        B: Backend,
        M: AutodiffModule<HvpBackend<B>>,
        L: ModuleLosses<HvpBackend<B>, M>,
        O: Optimizer<M, HvpBackend<B>>,
    {
        let rates = vec![lr; players.len()];
        self.step_with_rates::<B, M, L>(&rates, players, losses)
    }

    /// One game step of a data-parallel worker: as [`GameOptimizer::step`], with `players` the
    /// same on every worker, `losses` this worker's shard of the batch (means over its samples)
    /// and `reducer` weighing each worker by its share of the samples
    /// ([`GameOptimizer::adjusted_gradients_reduced`]). Every worker then takes the same
    /// step, the whole batch's. Every worker must call it with the same configuration.
    pub fn step_reduced<B, M, L, R>(
        &mut self,
        lr: LearningRate,
        players: Vec<M>,
        losses: &L,
        reducer: &mut R,
    ) -> Result<GameStep<M>, TransformError>
    where
        B: Backend,
        M: AutodiffModule<HvpBackend<B>>,
        L: ModuleLosses<HvpBackend<B>, M>,
        O: Optimizer<M, HvpBackend<B>>,
        R: Reducer<FlatTensor<B>>,
    {
        let rates = vec![lr; players.len()];
        self.step_with::<B, M, L, R>(&rates, players, losses, Some(reducer))
    }

    /// One game step with a learning rate per player (`rates[i]` for player `i`): adjust over
    /// all players, then player `i`'s inner optimiser steps with `rates[i]`.
    pub fn step_with_rates<B, M, L>(
        &mut self,
        rates: &[LearningRate],
        players: Vec<M>,
        losses: &L,
    ) -> Result<GameStep<M>, TransformError>
    where
        B: Backend,
        M: AutodiffModule<HvpBackend<B>>,
        L: ModuleLosses<HvpBackend<B>, M>,
        O: Optimizer<M, HvpBackend<B>>,
    {
        self.step_with::<B, M, L, NoReduction>(rates, players, losses, None)
    }

    fn step_with<B, M, L, R>(
        &mut self,
        rates: &[LearningRate],
        players: Vec<M>,
        losses: &L,
        reducer: Option<&mut R>,
    ) -> Result<GameStep<M>, TransformError>
    where
        B: Backend,
        M: AutodiffModule<HvpBackend<B>>,
        L: ModuleLosses<HvpBackend<B>, M>,
        O: Optimizer<M, HvpBackend<B>>,
        R: Reducer<FlatTensor<B>>,
    {
        let n = players.len();
        if self.optimizers.len() != 1 && self.optimizers.len() != n {
            return Err(TransformError::OptimizerCount {
                optimizers: self.optimizers.len(),
                players: n,
            });
        }
        if rates.len() != n {
            return Err(TransformError::LearningRateCount {
                got: rates.len(),
                players: n,
            });
        }
        if let Some((player, &lr)) = rates
            .iter()
            .enumerate()
            .find(|(_, lr)| !(lr.is_finite() && **lr > 0.0))
        {
            return Err(TransformError::BadLearningRate { player, lr });
        }
        let adjusted = self.adjusted_gradients_with::<B, M, L, R>(&players, losses, reducer)?;
        if let Some(limit) = self.max_abs_loss {
            if let Some((player, &loss)) = adjusted
                .losses
                .iter()
                .enumerate()
                .find(|(_, l)| l.abs() > limit)
            {
                return Err(TransformError::RunawayLoss {
                    player,
                    loss,
                    limit,
                });
            }
        }
        let shared = self.optimizers.len() == 1;
        let players = players
            .into_iter()
            .zip(adjusted.grads)
            .enumerate()
            .map(|(i, (module, grads))| {
                let optimizer = &mut self.optimizers[if shared { 0 } else { i }];
                optimizer.step(rates[i], module, grads)
            })
            .collect();
        Ok(GameStep {
            players,
            losses_before: adjusted.losses,
            diagnostics: adjusted.diagnostics,
        })
    }

    /// The inner optimisers' states, in order (save them with any Burn recorder).
    pub fn to_record<B, M>(&self) -> Vec<O::Record>
    where
        B: Backend,
        M: AutodiffModule<HvpBackend<B>>,
        O: Optimizer<M, HvpBackend<B>>,
    {
        self.optimizers.iter().map(|o| o.to_record()).collect()
    }

    /// Restore the inner optimisers' states saved by [`GameOptimizer::to_record`].
    pub fn load_record<B, M>(self, record: Vec<O::Record>) -> Result<Self, TransformError>
    where
        B: Backend,
        M: AutodiffModule<HvpBackend<B>>,
        O: Optimizer<M, HvpBackend<B>>,
    {
        if record.len() != self.optimizers.len() {
            return Err(TransformError::RecordCount {
                expected: self.optimizers.len(),
                got: record.len(),
            });
        }
        Ok(Self {
            rule: self.rule,
            max_abs_loss: self.max_abs_loss,
            max_grad_norm: self.max_grad_norm,
            diagnostics: self.diagnostics,
            optimizers: self
                .optimizers
                .into_iter()
                .zip(record)
                .map(|(o, r)| o.load_record(r))
                .collect(),
        })
    }
}
