//! The configuration of a training run: the method and its `λ`, PPO's hyperparameters, the
//! budget and the seed. Every value is checked by [`TrainConfig::validate`] before any work.

use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;
use thiserror::Error;

/// How the agents' updates are formed (MATH.md §6).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum RlMethod {
    /// Simul-Ind: each agent descends its own surrogate `l_i` (independent PPO).
    SimulInd,
    /// Simul-Co: each agent descends the collective-advantage surrogate (`l_c`).
    SimulCo,
    /// Simul-Ind on SVO-shaped rewards.
    Svo,
    /// Consensus (CGA): `ξ + λ Hᵀ ξ`.
    Consensus,
    /// Symplectic gradient adjustment: `ξ + λ Aᵀ ξ`, sign aligned.
    Sga,
    /// Altruistic gradient adjustment: `ξ_c + λ (ξ + H_c ξ_c)`, sign rule.
    Aga,
}

impl RlMethod {
    /// Every method, in the order tables list them.
    pub const ALL: [RlMethod; 6] = [
        RlMethod::SimulInd,
        RlMethod::SimulCo,
        RlMethod::Svo,
        RlMethod::Consensus,
        RlMethod::Sga,
        RlMethod::Aga,
    ];

    /// The method's name on the command line and in files.
    pub fn name(self) -> &'static str {
        match self {
            RlMethod::SimulInd => "simul-ind",
            RlMethod::SimulCo => "simul-co",
            RlMethod::Svo => "svo",
            RlMethod::Consensus => "consensus",
            RlMethod::Sga => "sga",
            RlMethod::Aga => "aga",
        }
    }

    /// Whether the method has an adjustment strength `λ`.
    pub fn uses_lambda(self) -> bool {
        matches!(self, RlMethod::Consensus | RlMethod::Sga | RlMethod::Aga)
    }
}

impl fmt::Display for RlMethod {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for RlMethod {
    type Err = ConfigError;

    fn from_str(s: &str) -> Result<Self, ConfigError> {
        RlMethod::ALL
            .into_iter()
            .find(|m| m.name() == s)
            .ok_or_else(|| ConfigError::UnknownMethod(s.to_string()))
    }
}

/// The actors' surrogate objective: what each agent's loss `l_i` (and the collective `l_c`) is
/// on a minibatch.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Surrogate {
    /// PPO's clipped surrogate of each agent's own probability ratio: `l_i` depends on agent
    /// `i`'s parameters only, so the game is separable and every Hessian block diagonal (SGA
    /// is simul-ind; consensus and LOLA-style shaping see no interaction). All agents form one
    /// stacked player ([`crate::PpoGame`]).
    #[default]
    Ppo,
    /// The joint (DiCE) surrogate: each agent's advantage weighted by the probability ratio of
    /// the *joint* action, DiCE's magic box of every agent's log-probabilities, clipped as
    /// PPO's. `∂²l_i/∂w_i∂w_j ≠ 0`: the rules see the agents' interactions. One player per
    /// agent ([`crate::DiceGame`]).
    Dice,
}

impl Surrogate {
    /// Both surrogates, PPO's first.
    pub const ALL: [Surrogate; 2] = [Surrogate::Ppo, Surrogate::Dice];

    /// The name on the command line and in files.
    pub fn name(self) -> &'static str {
        match self {
            Surrogate::Ppo => "ppo",
            Surrogate::Dice => "dice",
        }
    }

    /// What run and experiment folders of this surrogate append to their names: nothing for
    /// PPO's (the folders it always had), `-dice` for the joint one.
    pub fn folder_suffix(self) -> &'static str {
        match self {
            Surrogate::Ppo => "",
            Surrogate::Dice => "-dice",
        }
    }
}

impl fmt::Display for Surrogate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Surrogate {
    type Err = ConfigError;

    fn from_str(s: &str) -> Result<Self, ConfigError> {
        Surrogate::ALL
            .into_iter()
            .find(|m| m.name() == s)
            .ok_or_else(|| ConfigError::UnknownSurrogate(s.to_string()))
    }
}

/// PPO's hyperparameters. Defaults: the ones the issue fixes (GAE γ = 0.99, λ = 0.95, clip 0.2,
/// Adam with linear annealing, global gradient-norm clipping 0.5) and CleanRL's PPO defaults for
/// the rest (learning rate 2.5e-4, value coefficient 0.5, entropy coefficient 0.01, 4 epochs of
/// 4 minibatches, 128 steps per rollout).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct PpoConfig {
    /// Adam's learning rate (annealed linearly to 0 over the run when `anneal_lr`).
    pub lr: f64,
    /// Anneal the learning rate linearly to 0.
    pub anneal_lr: bool,
    /// The environment steps over which the learning rate anneals to 0 (default: the run's
    /// `steps`). Fix it when a run will be resumed with a larger budget, so that its schedule
    /// does not depend on where it was stopped.
    pub anneal_steps: Option<u64>,
    /// Discount `γ` in (0, 1].
    pub gamma: f64,
    /// GAE's `λ` in [0, 1].
    pub gae_lambda: f64,
    /// Clipping `ε` of the probability ratio (> 0).
    pub clip: f64,
    /// Weight of the value losses (≥ 0).
    pub value_coef: f64,
    /// Weight of the entropy bonus (≥ 0).
    pub entropy_coef: f64,
    /// Passes over each rollout (≥ 1).
    pub epochs: usize,
    /// Minibatches per pass (≥ 1, at most the rollout's size).
    pub minibatches: usize,
    /// Global gradient-norm clipping (> 0).
    pub max_grad_norm: f64,
    /// Environment steps per rollout, per environment copy (≥ 1).
    pub rollout_steps: usize,
    /// Environment copies stepped together (≥ 1).
    pub envs: usize,
    /// Clip the value heads' change per update to `±clip` around the rollout's values and take
    /// the larger of the clipped and unclipped squared errors (CleanRL's `clip_vloss`, on by
    /// default there, in JaxMARL's IPPO and in MAPPO).
    pub clip_value: bool,
    /// At a *truncated* episode end (a time limit, as every Cleanup/Harvest episode end), add
    /// `γ V(s_T)` of the state the episode ended in to the last reward instead of treating the
    /// end as terminal (the value of a state does not drop to zero because a clock ran out).
    /// Terminated episodes never bootstrap.
    pub bootstrap_truncation: bool,
}

impl Default for PpoConfig {
    fn default() -> Self {
        Self {
            lr: 2.5e-4,
            anneal_lr: true,
            anneal_steps: None,
            gamma: 0.99,
            gae_lambda: 0.95,
            clip: 0.2,
            value_coef: 0.5,
            entropy_coef: 0.01,
            epochs: 4,
            minibatches: 4,
            max_grad_norm: 0.5,
            rollout_steps: 128,
            envs: 8,
            clip_value: true,
            bootstrap_truncation: true,
        }
    }
}

/// Everything a training run needs besides the environment's own configuration.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TrainConfig {
    /// The method.
    pub method: RlMethod,
    /// `|λ|` of consensus, SGA and AgA (default 1); an error for the other methods.
    #[serde(default)]
    pub lambda: Option<f64>,
    /// SVO's target angle in radians (default π/4); an error for the other methods.
    #[serde(default)]
    pub svo_angle: Option<f64>,
    /// SVO's weight ≥ 0 (default 1); an error for the other methods.
    #[serde(default)]
    pub svo_weight: Option<f64>,
    /// The agents' networks (default: the CNN).
    #[serde(default = "default_policy")]
    pub policy: crate::PolicyKind,
    /// A centralised collective critic `V_c(s)` (MAPPO): one network over every agent's view
    /// gives the collective advantages of all agents, instead of each agent's own collective
    /// value head.
    #[serde(default)]
    pub centralised_critic: bool,
    /// Report `‖ξ_c‖` and `cos(ξ, ξ_c)` for methods that do not need `ξ_c` (simul-ind, svo,
    /// consensus, sga): one more pass of the collective surrogate per minibatch. Off by
    /// default: those diagnostics are then NaN (empty in `metrics.csv`) for those methods.
    #[serde(default)]
    pub diagnostics: bool,
    /// The actors' surrogate (default: PPO's, per agent).
    #[serde(default)]
    pub surrogate: Surrogate,
    /// PPO's hyperparameters.
    #[serde(default)]
    pub ppo: PpoConfig,
    /// Total environment steps (per copy, summed over copies).
    pub steps: u64,
    /// Seed of everything random in the run.
    #[serde(default)]
    pub seed: u64,
}

fn default_policy() -> crate::PolicyKind {
    crate::PolicyKind::Cnn
}

/// The most environment copies one run steps.
pub const MAX_ENVS: usize = 4096;
/// The most samples (per agent) one update collects, `envs × rollout_steps`.
pub const MAX_SAMPLES: usize = 1 << 20;

/// What is wrong with a configuration.
#[derive(Debug, Clone, PartialEq, Error)]
pub enum ConfigError {
    /// A method name that is not one of [`RlMethod::ALL`].
    #[error(
        "unknown method `{0}` (expected one of: simul-ind, simul-co, svo, consensus, sga, aga)"
    )]
    UnknownMethod(String),
    /// A number outside its range.
    #[error("{name} must be {expected}, got {value}")]
    OutOfRange {
        /// The option.
        name: &'static str,
        /// The allowed range, in words.
        expected: &'static str,
        /// The value given.
        value: f64,
    },
    /// An option that the chosen method does not use.
    #[error("{option} has no meaning for method {method} (it is used by {used_by})")]
    NotUsedBy {
        /// The option.
        option: &'static str,
        /// The method chosen.
        method: RlMethod,
        /// The methods that use it.
        used_by: &'static str,
    },
    /// More minibatches than samples in a rollout.
    #[error("{minibatches} minibatches cannot be drawn from a rollout of {samples} samples (envs × rollout_steps)")]
    EmptyMinibatch {
        /// Minibatches asked for.
        minibatches: usize,
        /// Samples per rollout and agent.
        samples: usize,
    },
    /// A surrogate name that is not `ppo` or `dice`.
    #[error("unknown surrogate `{0}` (expected ppo or dice)")]
    UnknownSurrogate(String),
    /// A policy name that is not `cnn` or `mlp`.
    #[error("unknown policy `{0}` (expected cnn or mlp)")]
    UnknownPolicy(String),
    /// Options that do not fit together (e.g. the CNN on a small observation window).
    #[error("{0}")]
    Incompatible(String),
    /// A JSON configuration that does not parse.
    #[error("invalid training configuration: {0}")]
    Json(String),
}

fn check(
    name: &'static str,
    expected: &'static str,
    value: f64,
    ok: bool,
) -> Result<(), ConfigError> {
    if ok && value.is_finite() {
        Ok(())
    } else {
        Err(ConfigError::OutOfRange {
            name,
            expected,
            value,
        })
    }
}

impl TrainConfig {
    /// A configuration with PPO's defaults.
    pub fn new(method: RlMethod, steps: u64) -> Self {
        Self {
            method,
            lambda: None,
            svo_angle: None,
            svo_weight: None,
            policy: default_policy(),
            centralised_critic: false,
            diagnostics: false,
            surrogate: Surrogate::Ppo,
            ppo: PpoConfig::default(),
            steps,
            seed: 0,
        }
    }

    /// Parse a JSON configuration and validate it.
    pub fn from_json(text: &str) -> Result<Self, ConfigError> {
        let config: Self =
            serde_json::from_str(text).map_err(|e| ConfigError::Json(e.to_string()))?;
        config.validate()?;
        Ok(config)
    }

    /// This configuration with the fields of a JSON object on top (nested objects such as
    /// `ppo` are merged field by field), validated. Unknown fields are errors.
    pub fn patched(&self, json: &str) -> Result<Self, ConfigError> {
        let patch: serde_json::Value =
            serde_json::from_str(json).map_err(|e| ConfigError::Json(e.to_string()))?;
        if !patch.is_object() {
            return Err(ConfigError::Json(
                "the training configuration must be a JSON object".into(),
            ));
        }
        let mut base = serde_json::to_value(self).map_err(|e| ConfigError::Json(e.to_string()))?;
        merge(&mut base, patch);
        let config: Self =
            serde_json::from_value(base).map_err(|e| ConfigError::Json(e.to_string()))?;
        config.validate()?;
        Ok(config)
    }

    /// `|λ|` as used: the given one, or 1 for the methods that have one; `None` otherwise.
    pub fn effective_lambda(&self) -> Option<f64> {
        self.method
            .uses_lambda()
            .then(|| self.lambda.unwrap_or(1.0))
    }

    /// The actors' game optimiser: the rule of `aga-core` behind the method (simul-ind and
    /// svo: `simgd`; simul-co: `collective`; consensus, sga, aga with `|λ|` and their sign
    /// rules) and per-agent global-norm clipping at `max_grad_norm`.
    pub fn rule(&self) -> aga_burn::GameOptimizerConfig {
        use aga_core::Method;
        let method = match self.method {
            RlMethod::SimulInd | RlMethod::Svo => Method::Simgd,
            RlMethod::SimulCo => Method::Collective,
            RlMethod::Consensus => Method::Consensus,
            RlMethod::Sga => Method::Sga,
            RlMethod::Aga => Method::Aga,
        };
        let mut rule = aga_burn::GameOptimizerConfig::new(method)
            .with_max_grad_norm(Some(self.ppo.max_grad_norm))
            .with_diagnostics(self.diagnostics);
        if let Some(lambda) = self.effective_lambda() {
            rule = rule.with_lambda(lambda);
        }
        rule
    }

    /// Updates in the whole run: `steps` over `envs × rollout_steps` environment steps per
    /// update, rounded up (the last update may pass `steps` by less than one rollout).
    pub fn total_updates(&self) -> u64 {
        let per_update = (self.ppo.envs * self.ppo.rollout_steps).max(1) as u64;
        self.steps.div_ceil(per_update)
    }

    /// Check every value; the first problem found is the error.
    pub fn validate(&self) -> Result<(), ConfigError> {
        let p = &self.ppo;
        check("lr", "> 0", p.lr, p.lr > 0.0)?;
        check(
            "gamma",
            "in (0, 1]",
            p.gamma,
            p.gamma > 0.0 && p.gamma <= 1.0,
        )?;
        check(
            "gae_lambda",
            "in [0, 1]",
            p.gae_lambda,
            (0.0..=1.0).contains(&p.gae_lambda),
        )?;
        check("clip", "> 0", p.clip, p.clip > 0.0)?;
        check("value_coef", ">= 0", p.value_coef, p.value_coef >= 0.0)?;
        check(
            "entropy_coef",
            ">= 0",
            p.entropy_coef,
            p.entropy_coef >= 0.0,
        )?;
        check(
            "max_grad_norm",
            "> 0",
            p.max_grad_norm,
            p.max_grad_norm > 0.0,
        )?;
        for (name, value) in [
            ("epochs", p.epochs),
            ("minibatches", p.minibatches),
            ("rollout_steps", p.rollout_steps),
            ("envs", p.envs),
        ] {
            check(name, ">= 1", value as f64, value >= 1)?;
        }
        check("steps", ">= 1", self.steps as f64, self.steps >= 1)?;
        if let Some(a) = p.anneal_steps {
            check("anneal_steps", ">= 1", a as f64, a >= 1)?;
        }
        check("envs", "at most 4096", p.envs as f64, p.envs <= MAX_ENVS)?;
        check("epochs", "at most 1000", p.epochs as f64, p.epochs <= 1000)?;
        let samples = p.envs.saturating_mul(p.rollout_steps);
        check(
            "envs × rollout_steps",
            "at most 2^20 samples per update",
            samples as f64,
            samples <= MAX_SAMPLES,
        )?;
        if p.minibatches > samples {
            return Err(ConfigError::EmptyMinibatch {
                minibatches: p.minibatches,
                samples,
            });
        }
        match self.lambda {
            Some(_) if !self.method.uses_lambda() => {
                return Err(ConfigError::NotUsedBy {
                    option: "lambda",
                    method: self.method,
                    used_by: "consensus, sga and aga",
                })
            }
            Some(l) => check("lambda", "> 0", l, l > 0.0)?,
            None => {}
        }
        for (option, value) in [
            ("svo_angle", self.svo_angle),
            ("svo_weight", self.svo_weight),
        ] {
            if value.is_some() && self.method != RlMethod::Svo {
                return Err(ConfigError::NotUsedBy {
                    option,
                    method: self.method,
                    used_by: "svo",
                });
            }
        }
        if let Some(a) = self.svo_angle {
            check("svo_angle", "finite", a, true)?;
        }
        if let Some(w) = self.svo_weight {
            check("svo_weight", ">= 0", w, w >= 0.0)?;
        }
        Ok(())
    }
}

/// Merge `patch` into `base`: objects field by field, anything else replaced.
fn merge(base: &mut serde_json::Value, patch: serde_json::Value) {
    match (base, patch) {
        (serde_json::Value::Object(b), serde_json::Value::Object(p)) => {
            for (k, v) in p {
                match b.get_mut(&k) {
                    Some(slot) if slot.is_object() && v.is_object() => merge(slot, v),
                    _ => {
                        b.insert(k, v);
                    }
                }
            }
        }
        (b, p) => *b = p,
    }
}
