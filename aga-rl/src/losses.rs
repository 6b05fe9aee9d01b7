//! The game the update rules see on one minibatch (MATH.md §6), and the critics' regression,
//! each over every agent at once (the networks are stacked along a leading agent axis).

use crate::{
    dice_surrogate_rows, normalise_advantage_rows, ppo_surrogate_rows, Actors, Critics, Surrogate,
};
use aga_burn::stacking::stack_agents;
use aga_burn::{HvpBackend, ModuleLosses, StopGradient};
use burn::tensor::backend::Backend;
use burn::tensor::{Int, Tensor};

/// Every agent's share of a minibatch, stacked agent-major, on the learner's backend (`k`
/// agents, `m` samples each).
#[derive(Debug, Clone)]
pub struct Minibatch<B: Backend> {
    /// Observations `[k, m, obs_len]`.
    pub obs: Tensor<B, 3>,
    /// Actions taken `[k, m, 1]`.
    pub actions: Tensor<B, 3, Int>,
    /// Log-probabilities of the actions under the rollout's policy `[k, m]`.
    pub old_log_probs: Tensor<B, 2>,
    /// GAE advantages of each agent's own (possibly shaped) reward `[k, m]`.
    pub advantages: Tensor<B, 2>,
    /// GAE advantages of the collective reward, from each agent's collective head `[k, m]`.
    pub collective_advantages: Tensor<B, 2>,
    /// Targets of the individual value heads `[k, m]`.
    pub returns: Tensor<B, 2>,
    /// Targets of the collective value heads `[k, m]`.
    pub collective_returns: Tensor<B, 2>,
    /// The critics' `[V, V_c]` at rollout time `[k, m, 2]` (for value clipping).
    pub old_values: Tensor<B, 3>,
    /// Additive action masks `[k, m, actions]` (0 allowed, [`crate::MASKED_LOGIT`] forbidden),
    /// for environments with action masks.
    pub masks: Option<Tensor<B, 3>>,
    /// The advantages are already normalised over the whole minibatch (a data-parallel
    /// worker's shard, normalised with every worker's statistics): the surrogates use them as
    /// they are instead of normalising over these rows.
    pub normalised_advantages: bool,
}

impl<B: Backend> Minibatch<B> {
    /// Agents in the minibatch.
    pub fn agents(&self) -> usize {
        self.obs.dims()[0]
    }

    /// The samples `rows` (indices along the sample axis) of every agent.
    pub fn select(&self, rows: &Tensor<B, 1, Int>) -> Self {
        Self {
            obs: self.obs.clone().select(1, rows.clone()),
            actions: self.actions.clone().select(1, rows.clone()),
            old_log_probs: self.old_log_probs.clone().select(1, rows.clone()),
            advantages: self.advantages.clone().select(1, rows.clone()),
            collective_advantages: self.collective_advantages.clone().select(1, rows.clone()),
            returns: self.returns.clone().select(1, rows.clone()),
            collective_returns: self.collective_returns.clone().select(1, rows.clone()),
            old_values: self.old_values.clone().select(1, rows.clone()),
            masks: self.masks.clone().map(|m| m.select(1, rows.clone())),
            normalised_advantages: self.normalised_advantages,
        }
    }
}

/// The agents' PPO game on one minibatch:
/// `l_i = L(w_i; Â_i) − c_H H(π_i)` and `l_c = Σ_i [L(w_i; Â_c,i) − c_H H(π_i)]`, with `L` the
/// clipped surrogate, `Â` advantages normalised over the minibatch (per agent), `H` the mean
/// policy entropy.
///
/// Every agent's actor is a slice of one [`Actors`] stack, so the game has **one** module
/// holding every agent ([`ModuleLosses::stacked_agents`]): its loss is `Σ_i l_i`, computed in
/// one batched pass. Each `l_i` depends on agent `i`'s slice only (the game is separable), so
/// `ξ = ∇ Σ_i l_i` and every Hessian-vector product are those of the `n`-player game.
pub struct PpoGame<B: Backend> {
    /// The minibatch, every agent's rows.
    pub batch: Minibatch<B>,
    /// PPO's clipping `ε`.
    pub clip: f64,
    /// Entropy coefficient `c_H`.
    pub entropy_coef: f64,
}

impl<B: Backend + StopGradient> PpoGame<B> {
    /// Per agent `L(w_i; Â) − c_H H(π_i)`, `[k]`, with the individual or the collective
    /// advantages.
    pub fn agent_losses(&self, actors: &Actors<B>, collective: bool) -> Tensor<B, 1> {
        surrogate_losses(
            &self.batch,
            actors,
            collective,
            self.clip,
            self.entropy_coef,
            Surrogate::Ppo,
        )
    }
}

/// Per agent surrogate minus `c_H` times the mean policy entropy, `[k]`, of the stack
/// `actors` on `batch`, with the individual or the collective advantages (normalised per agent
/// over the minibatch).
fn surrogate_losses<B: Backend + StopGradient>(
    batch: &Minibatch<B>,
    actors: &Actors<B>,
    collective: bool,
    clip: f64,
    entropy_coef: f64,
    surrogate: Surrogate,
) -> Tensor<B, 1> {
    let [k, m, _] = batch.obs.dims();
    let log_probs = actors.masked_log_probs(batch.obs.clone(), batch.masks.clone());
    let taken = log_probs
        .clone()
        .gather(2, batch.actions.clone())
        .reshape([k, m]);
    let advantages = if collective {
        batch.collective_advantages.clone()
    } else {
        batch.advantages.clone()
    };
    let rows = match surrogate {
        Surrogate::Ppo => ppo_surrogate_rows,
        Surrogate::Dice => dice_surrogate_rows,
    };
    let advantages = match batch.normalised_advantages {
        true => advantages,
        false => normalise_advantage_rows(advantages),
    };
    let surrogate = rows(taken, batch.old_log_probs.clone(), advantages, clip);
    if entropy_coef == 0.0 {
        return surrogate;
    }
    let entropy = -(log_probs.clone().exp() * log_probs)
        .sum_dim(2)
        .mean_dim(1)
        .reshape([k]);
    surrogate - entropy.mul_scalar(entropy_coef)
}

/// The agents' game under the joint (DiCE) surrogate on one minibatch ([`Surrogate::Dice`]):
/// `l_i = D(w; Â_i) − c_H H(π_i)` and `l_c = Σ_i [D(w; Â_c,i) − c_H H(π_i)]`, with `D` the
/// surrogate of [`dice_surrogate_rows`] — every agent's loss depends on every agent's policy
/// through the joint action's probability ratio.
///
/// The game is not separable, so each agent is a player of its own: a module of one agent
/// ([`aga_burn::stacking::split_agents`] of the trainer's stack). Every loss re-stacks the
/// players' parameters ([`aga_burn::stacking::stack_agents`], differentiable) and runs the
/// batched forward pass of all agents once; the engine takes `∇_{w_i} l_i`, `H v`, `Hᵀ v` and
/// `H_c v` over the players' blocks as for any game.
pub struct DiceGame<B: Backend> {
    /// The minibatch, every agent's rows.
    pub batch: Minibatch<B>,
    /// The clipping `ε` of the joint ratio.
    pub clip: f64,
    /// Entropy coefficient `c_H`.
    pub entropy_coef: f64,
    /// The stack the players were split from (its structure and ids).
    pub template: Actors<B>,
}

impl<B: Backend + StopGradient> DiceGame<B> {
    /// Per agent `D(w; Â) − c_H H(π_i)`, `[k]`, of the stacked actors, with the individual or
    /// the collective advantages.
    pub fn agent_losses(&self, actors: &Actors<B>, collective: bool) -> Tensor<B, 1> {
        surrogate_losses(
            &self.batch,
            actors,
            collective,
            self.clip,
            self.entropy_coef,
            Surrogate::Dice,
        )
    }

    /// The players (one agent each) stacked again, as a function of their parameters.
    fn stacked(&self, players: &[Actors<B>]) -> Actors<B> {
        stack_agents(&self.template, players, false)
    }
}

impl<B: Backend> ModuleLosses<HvpBackend<B>, Actors<HvpBackend<B>>> for DiceGame<HvpBackend<B>> {
    fn losses(&self, players: &[Actors<HvpBackend<B>>]) -> Vec<Tensor<HvpBackend<B>, 1>> {
        let k = players.len();
        let losses = self.agent_losses(&self.stacked(players), false);
        (0..k).map(|i| losses.clone().slice(i..i + 1)).collect()
    }

    fn has_collective_loss(&self) -> bool {
        true
    }

    fn collective_loss(
        &self,
        players: &[Actors<HvpBackend<B>>],
    ) -> Option<Tensor<HvpBackend<B>, 1>> {
        Some(self.agent_losses(&self.stacked(players), true).sum())
    }
}

impl<B: Backend> ModuleLosses<HvpBackend<B>, Actors<HvpBackend<B>>> for PpoGame<HvpBackend<B>> {
    /// `Σ_i l_i` for each module (one module holding every agent).
    fn losses(&self, actors: &[Actors<HvpBackend<B>>]) -> Vec<Tensor<HvpBackend<B>, 1>> {
        actors
            .iter()
            .map(|a| self.agent_losses(a, false).sum())
            .collect()
    }

    fn loss(
        &self,
        player: usize,
        actors: &[Actors<HvpBackend<B>>],
    ) -> Option<Tensor<HvpBackend<B>, 1>> {
        Some(self.agent_losses(&actors[player], false).sum())
    }

    fn is_separable(&self) -> bool {
        true
    }

    fn stacked_agents(&self) -> usize {
        self.batch.agents()
    }

    fn has_collective_loss(&self) -> bool {
        true
    }

    fn collective_loss(
        &self,
        actors: &[Actors<HvpBackend<B>>],
    ) -> Option<Tensor<HvpBackend<B>, 1>> {
        actors
            .iter()
            .map(|a| self.agent_losses(a, true).sum())
            .reduce(|a, b| a + b)
    }
}

/// The critics' regression on one minibatch: agent `i`'s loss is
/// `c_V · ½ mean(e(V_i, R_i) + e(V_c,i, R_c))` over both heads, with `e(V, R) = (V − R)²`, or
/// with value clipping (CleanRL's `clip_vloss`) `e = max((V − R)², (V_old + clip(V − V_old,
/// −ε, ε) − R)²)`. The critics are not players of the rules' game: they descend their own
/// losses (one stacked module, `Σ_i` of the agents' losses, as [`PpoGame`]).
pub struct CriticLoss<B: Backend> {
    /// The minibatch (the targets are read from here).
    pub batch: Minibatch<B>,
    /// Value coefficient `c_V`.
    pub value_coef: f64,
    /// Value clipping `ε`, if any.
    pub clip: Option<f64>,
}

impl<B: Backend> CriticLoss<B> {
    /// Per agent loss, `[k]`.
    pub fn agent_losses(&self, critics: &Critics<B>) -> Tensor<B, 1> {
        let batch = &self.batch;
        let values = critics.values(batch.obs.clone());
        let [k, _, _] = batch.obs.dims();
        let targets = Tensor::stack::<3>(
            vec![batch.returns.clone(), batch.collective_returns.clone()],
            2,
        );
        let err = (values.clone() - targets.clone()).powi_scalar(2);
        let err = match self.clip {
            None => err,
            Some(eps) => {
                let old = batch.old_values.clone().detach();
                let clipped = old.clone() + (values - old).clamp(-eps, eps);
                err.max_pair((clipped - targets).powi_scalar(2))
            }
        };
        err.sum_dim(2)
            .mean_dim(1)
            .reshape([k])
            .mul_scalar(0.5 * self.value_coef)
    }
}

impl<B: Backend> ModuleLosses<HvpBackend<B>, Critics<HvpBackend<B>>> for CriticLoss<HvpBackend<B>> {
    fn losses(&self, critics: &[Critics<HvpBackend<B>>]) -> Vec<Tensor<HvpBackend<B>, 1>> {
        critics.iter().map(|c| self.agent_losses(c).sum()).collect()
    }

    fn loss(
        &self,
        player: usize,
        critics: &[Critics<HvpBackend<B>>],
    ) -> Option<Tensor<HvpBackend<B>, 1>> {
        Some(self.agent_losses(&critics[player]).sum())
    }

    fn is_separable(&self) -> bool {
        true
    }

    fn stacked_agents(&self) -> usize {
        self.batch.agents()
    }
}
