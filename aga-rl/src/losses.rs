//! The game the update rules see on one minibatch (MATH.md §6), and the critics' regression.

use crate::{normalise_advantages, ppo_surrogate, Actor, Critic};
use aga_burn::{HvpBackend, ModuleLosses, StopGradient};
use burn::tensor::backend::Backend;
use burn::tensor::{Int, Tensor};

/// One agent's share of a minibatch, on the learner's backend.
#[derive(Debug, Clone)]
pub struct AgentBatch<B: Backend> {
    /// Observations `[m, obs_len]`.
    pub obs: Tensor<B, 2>,
    /// Actions taken `[m, 1]`.
    pub actions: Tensor<B, 2, Int>,
    /// Log-probabilities of the actions under the rollout's policy `[m]`.
    pub old_log_probs: Tensor<B, 1>,
    /// GAE advantages of the agent's own (possibly shaped) reward `[m]`.
    pub advantages: Tensor<B, 1>,
    /// GAE advantages of the collective reward, from the agent's collective head `[m]`.
    pub collective_advantages: Tensor<B, 1>,
    /// Targets of the individual value head `[m]`.
    pub returns: Tensor<B, 1>,
    /// Targets of the collective value head `[m]`.
    pub collective_returns: Tensor<B, 1>,
    /// The critic's `[V, V_c]` at rollout time `[m, 2]` (for value clipping).
    pub old_values: Tensor<B, 2>,
    /// Additive action masks `[m, actions]` (0 allowed, [`crate::MASKED_LOGIT`] forbidden),
    /// for environments with action masks.
    pub masks: Option<Tensor<B, 2>>,
}

/// The agents' PPO game on one minibatch:
/// `l_i = L(w_i; Â_i) − c_H H(π_i)` and `l_c = Σ_i [L(w_i; Â_c,i) − c_H H(π_i)]`, with `L` the
/// clipped surrogate, `Â` advantages normalised over the minibatch, `H` the mean policy
/// entropy. Each agent's losses depend on its own parameters only, so [`ModuleLosses::loss`]
/// evaluates one agent's network alone.
pub struct PpoGame<B: Backend> {
    /// Per agent.
    pub batches: Vec<AgentBatch<B>>,
    /// PPO's clipping `ε`.
    pub clip: f64,
    /// Entropy coefficient `c_H`.
    pub entropy_coef: f64,
}

impl<B: Backend + StopGradient> PpoGame<B> {
    /// `L(w_i; Â) − c_H H(π_i)` for agent `i` with advantages `advantages`.
    fn agent_loss(&self, actor: &Actor<B>, i: usize, collective: bool) -> Tensor<B, 1> {
        let batch = &self.batches[i];
        let log_probs = actor.masked_log_probs(batch.obs.clone(), batch.masks.clone());
        let m = batch.obs.dims()[0];
        let taken = log_probs
            .clone()
            .gather(1, batch.actions.clone())
            .reshape([m]);
        let advantages = if collective {
            batch.collective_advantages.clone()
        } else {
            batch.advantages.clone()
        };
        let surrogate = ppo_surrogate(
            taken,
            batch.old_log_probs.clone(),
            normalise_advantages(advantages),
            self.clip,
        );
        if self.entropy_coef == 0.0 {
            return surrogate;
        }
        let entropy = -(log_probs.clone().exp() * log_probs).sum_dim(1).mean();
        surrogate - entropy.mul_scalar(self.entropy_coef)
    }
}

impl<B: Backend> ModuleLosses<HvpBackend<B>, Actor<HvpBackend<B>>> for PpoGame<HvpBackend<B>> {
    fn losses(&self, actors: &[Actor<HvpBackend<B>>]) -> Vec<Tensor<HvpBackend<B>, 1>> {
        (0..actors.len())
            .map(|i| self.agent_loss(&actors[i], i, false))
            .collect()
    }

    fn loss(
        &self,
        player: usize,
        actors: &[Actor<HvpBackend<B>>],
    ) -> Option<Tensor<HvpBackend<B>, 1>> {
        Some(self.agent_loss(&actors[player], player, false))
    }

    fn is_separable(&self) -> bool {
        true
    }

    fn has_collective_loss(&self) -> bool {
        true
    }

    fn collective_loss(&self, actors: &[Actor<HvpBackend<B>>]) -> Option<Tensor<HvpBackend<B>, 1>> {
        (0..actors.len())
            .map(|i| self.agent_loss(&actors[i], i, true))
            .reduce(|a, b| a + b)
    }
}

/// The critics' regression on one minibatch: agent `i`'s loss is
/// `c_V · ½ mean(e(V_i, R_i) + e(V_c,i, R_c))` over both heads, with `e(V, R) = (V − R)²`, or
/// with value clipping (CleanRL's `clip_vloss`) `e = max((V − R)², (V_old + clip(V − V_old,
/// −ε, ε) − R)²)`. The critics are not players of the rules' game: they descend their own
/// losses.
pub struct CriticLoss<B: Backend> {
    /// Per agent (the targets are read from here).
    pub batches: Vec<AgentBatch<B>>,
    /// Value coefficient `c_V`.
    pub value_coef: f64,
    /// Value clipping `ε`, if any.
    pub clip: Option<f64>,
}

impl<B: Backend> CriticLoss<B> {
    fn agent_loss(&self, critic: &Critic<B>, i: usize) -> Tensor<B, 1> {
        let batch = &self.batches[i];
        let values = critic.values(batch.obs.clone());
        let m = batch.obs.dims()[0];
        let targets = Tensor::stack::<2>(
            vec![batch.returns.clone(), batch.collective_returns.clone()],
            1,
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
        err.sum_dim(1)
            .reshape([m])
            .mean()
            .mul_scalar(0.5 * self.value_coef)
    }
}

impl<B: Backend> ModuleLosses<HvpBackend<B>, Critic<HvpBackend<B>>> for CriticLoss<HvpBackend<B>> {
    fn losses(&self, critics: &[Critic<HvpBackend<B>>]) -> Vec<Tensor<HvpBackend<B>, 1>> {
        (0..critics.len())
            .map(|i| self.agent_loss(&critics[i], i))
            .collect()
    }

    fn loss(
        &self,
        player: usize,
        critics: &[Critic<HvpBackend<B>>],
    ) -> Option<Tensor<HvpBackend<B>, 1>> {
        Some(self.agent_loss(&critics[player], player))
    }

    fn is_separable(&self) -> bool {
        true
    }
}
