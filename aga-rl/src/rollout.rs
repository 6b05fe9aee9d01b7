//! What one rollout leaves for PPO's epochs, and the arithmetic between the environments and
//! the networks: sampling, advantages per agent, explained variance.

use crate::{gae, svo_shaped, RlMethod, TrainConfig};
use aga_envs::{MultiAgentEnv, StepOutcome};
use rand_chacha::ChaCha8Rng;

/// Per agent: advantages, value targets, collective advantages, collective value targets.
pub(crate) type AgentTargets = (Vec<f32>, Vec<f32>, Vec<f32>, Vec<f32>);

/// A rollout with its advantages, ready for PPO's epochs (see `Trainer::collect`). Samples are
/// numbered `s = t · copies + e` (step `t`, copy `e`).
pub struct Rollout<E: MultiAgentEnv> {
    /// Every step's observation batch as the environments wrote them, `[t, e, agent, obs]`.
    pub(crate) obs: Vec<E::Obs>,
    /// The centralised critic's input per sample, `[t, e, width]`, where it is not `obs`
    /// itself (environments with a global state).
    pub(crate) states: Option<Vec<E::Obs>>,
    /// Action masks `[t, e, agent, action]` (environments with masks).
    pub(crate) masks: Option<Vec<bool>>,
    /// Actions `[t, e, agent]`.
    pub(crate) actions: Vec<u8>,
    /// Their log-probabilities under the rollout's policies.
    pub(crate) log_probs: Vec<f32>,
    /// Per agent, the critic's `[V, V_c]` of every sample (`2 · samples`).
    pub(crate) values: Vec<Vec<f32>>,
    /// The centralised critic's `[V, V_c]` of every sample, where there is one.
    pub(crate) central: Option<Vec<f32>>,
    pub(crate) per_agent: Vec<AgentTargets>,
    pub(crate) reward_per_step: f64,
    pub(crate) episodes_ended: usize,
    /// Mean over agents of the individual heads' explained variance, and of the collective.
    pub(crate) explained_variance: (f64, f64),
    /// The update's generator, continued by the minibatch shuffles.
    pub(crate) rng: ChaCha8Rng,
}

impl<E: MultiAgentEnv> Rollout<E> {
    /// Agent `agent`'s GAE advantages of its own (possibly shaped) reward, one per sample.
    pub fn advantages(&self, agent: usize) -> &[f32] {
        &self.per_agent[agent].0
    }

    /// Agent `agent`'s GAE advantages of the collective reward (from its own collective head,
    /// or from the centralised critic, which gives every agent the same).
    pub fn collective_advantages(&self, agent: usize) -> &[f32] {
        &self.per_agent[agent].2
    }

    /// Agent `agent`'s value targets `(R_i, R_c)` (advantages plus the rollout's values).
    pub fn returns(&self, agent: usize) -> (&[f32], &[f32]) {
        (&self.per_agent[agent].1, &self.per_agent[agent].3)
    }

    /// The rollout's `[V_i, V_c]` of agent `agent`, interleaved, one pair per sample.
    pub fn values(&self, agent: usize) -> &[f32] {
        &self.values[agent]
    }

    /// Actions `[t, e, agent]`.
    pub fn actions(&self) -> &[u8] {
        &self.actions
    }

    /// Action masks `[t, e, agent, action]`, for environments with masks.
    pub fn masks(&self) -> Option<&[bool]> {
        self.masks.as_deref()
    }
}

/// Rewards and episode ends of a rollout, the inputs of [`targets`].
pub(crate) struct RolloutRewards {
    /// `[t, e, agent]`.
    pub rewards: Vec<f32>,
    /// `[t, e]`.
    pub outcomes: Vec<StepOutcome>,
    /// Per sample that truncated an episode (with bootstrapping on): `γ V_i` of the state it
    /// ended in, per agent, and `γ V_c` (collective head per agent, or the central critic).
    pub bootstrap: Vec<(usize, Vec<f32>, Vec<f32>)>,
}

/// Advantages and value targets of every agent from the rollout's rewards and values.
///
/// `values[i]` holds agent `i`'s `[V, V_c]` of every sample and then of the state after the
/// rollout, one pair per copy; `central` (the centralised critic's pairs, laid out alike)
/// replaces every agent's `V_c` when present. A truncated episode end adds its bootstrap value to the last reward and
/// ends the episode for GAE.
pub(crate) fn targets(
    config: &TrainConfig,
    copies: usize,
    rewards: &RolloutRewards,
    values: &[Vec<f32>],
    central: Option<&[f32]>,
) -> Vec<AgentTargets> {
    let p = &config.ppo;
    let n = values.len();
    let samples = rewards.outcomes.len();
    let steps = samples / copies;
    let mut bonus_i = vec![0f32; samples * n];
    let mut bonus_c = vec![0f32; samples * n];
    for (s, v_i, v_c) in &rewards.bootstrap {
        bonus_i[s * n..(s + 1) * n].copy_from_slice(v_i);
        bonus_c[s * n..(s + 1) * n].copy_from_slice(v_c);
    }
    (0..n)
        .map(|i| {
            let value = |s: usize, head: usize| match (head, central) {
                (1, Some(c)) => c[2 * s + 1],
                _ => values[i][2 * s + head],
            };
            let mut t_out: AgentTargets = (
                vec![0f32; samples],
                vec![0f32; samples],
                vec![0f32; samples],
                vec![0f32; samples],
            );
            for e in 0..copies {
                let mut r_i = Vec::with_capacity(steps);
                let mut r_c = Vec::with_capacity(steps);
                let mut v_i = Vec::with_capacity(steps);
                let mut v_c = Vec::with_capacity(steps);
                let mut d = Vec::with_capacity(steps);
                for t in 0..steps {
                    let s = t * copies + e;
                    let step_rewards = &rewards.rewards[s * n..(s + 1) * n];
                    let own = match config.method {
                        RlMethod::Svo => svo_shaped(
                            step_rewards,
                            config.svo_angle.unwrap_or(std::f64::consts::FRAC_PI_4),
                            config.svo_weight.unwrap_or(1.0),
                        )[i],
                        _ => step_rewards[i],
                    };
                    r_i.push(own + bonus_i[s * n + i]);
                    r_c.push(step_rewards.iter().sum::<f32>() + bonus_c[s * n + i]);
                    v_i.push(value(s, 0));
                    v_c.push(value(s, 1));
                    d.push(rewards.outcomes[s].done());
                }
                let last = samples + e;
                let gi = gae(&r_i, &v_i, &d, value(last, 0), p.gamma, p.gae_lambda);
                let gc = gae(&r_c, &v_c, &d, value(last, 1), p.gamma, p.gae_lambda);
                for t in 0..steps {
                    let s = t * copies + e;
                    t_out.0[s] = gi.advantages[t];
                    t_out.1[s] = gi.returns[t];
                    t_out.2[s] = gc.advantages[t];
                    t_out.3[s] = gc.returns[t];
                }
            }
            t_out
        })
        .collect()
}

/// `1 − Var(R − V) / Var(R)` (CleanRL's explained variance; NaN when the targets do not vary).
pub fn explained_variance(values: impl Iterator<Item = f32>, targets: &[f32]) -> f64 {
    let v: Vec<f64> = values.map(f64::from).collect();
    let r: Vec<f64> = targets.iter().map(|&x| f64::from(x)).collect();
    let var = |x: &[f64]| {
        let m = x.iter().sum::<f64>() / x.len().max(1) as f64;
        x.iter().map(|a| (a - m) * (a - m)).sum::<f64>() / x.len().max(1) as f64
    };
    let var_r = var(&r);
    if var_r == 0.0 {
        return f64::NAN;
    }
    let diff: Vec<f64> = r.iter().zip(&v).map(|(a, b)| a - b).collect();
    1.0 - var(&diff) / var_r
}

/// Inverse-CDF sampling from log-probabilities with a uniform draw `u ∈ [0, 1)`.
pub(crate) fn sample(log_probs: &[f32], u: f64) -> usize {
    let mut acc = 0.0;
    for (a, &lp) in log_probs.iter().enumerate() {
        acc += f64::from(lp).exp();
        if u < acc {
            return a;
        }
    }
    // Rounding left `u` above the total: the last action with any probability.
    log_probs
        .iter()
        .rposition(|&lp| lp > crate::MASKED_LOGIT / 2.0)
        .unwrap_or(log_probs.len() - 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// One agent, one copy, three steps; the episode is truncated with step 1 (the state it
    /// ended in is worth 5 individually and 7 collectively) and a new one runs at step 2. By
    /// hand, with `δ_t = r_t + γ m_t V_{t+1} − V_t` and `A_t = δ_t + γλ m_t A_{t+1}`:
    /// step 2: δ = 1 + γ·4 − 3; step 1 (done, bootstrapped): δ = 1 + γ·5 − 2; step 0:
    /// δ = 1 + γ·2 − 1 and A_0 = δ_0 + γλ A_1. Without bootstrapping, step 1 has no γ·5.
    #[test]
    fn a_truncated_episode_bootstraps_from_the_state_it_ended_in() {
        let (g, l) = (0.9f64, 0.8f64);
        let mut config = TrainConfig::new(RlMethod::SimulInd, 3);
        config.ppo.gamma = g;
        config.ppo.gae_lambda = l;
        let truncated = StepOutcome {
            terminated: false,
            truncated: true,
        };
        let outcomes = vec![StepOutcome::default(), truncated, StepOutcome::default()];
        // [V, V_c] per sample, then of the state after the rollout.
        let values = vec![vec![1.0, 10.0, 2.0, 20.0, 3.0, 30.0, 4.0, 40.0]];
        for bootstrap in [true, false] {
            let rewards = RolloutRewards {
                rewards: vec![1.0; 3],
                outcomes: outcomes.clone(),
                bootstrap: if bootstrap {
                    vec![(1, vec![(g * 5.0) as f32], vec![(g * 7.0) as f32])]
                } else {
                    Vec::new()
                },
            };
            let t = &targets(&config, 1, &rewards, &values, None)[0];
            let b = if bootstrap { 1.0 } else { 0.0 };
            let a2 = 1.0 + g * 4.0 - 3.0;
            let a1 = 1.0 + b * g * 5.0 - 2.0;
            let a0 = 1.0 + g * 2.0 - 1.0 + g * l * a1;
            let c2 = 1.0 + g * 40.0 - 30.0;
            let c1 = 1.0 + b * g * 7.0 - 20.0;
            let c0 = 1.0 + g * 20.0 - 10.0 + g * l * c1;
            for (got, want) in
                t.0.iter()
                    .zip([a0, a1, a2])
                    .chain(t.2.iter().zip([c0, c1, c2]))
            {
                assert!((f64::from(*got) - want).abs() < 1e-5, "{t:?}");
            }
        }
    }
}
