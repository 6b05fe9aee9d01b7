//! Generalised advantage estimation (Schulman et al. 2016), as MAPPO, JaxMARL and CleanRL
//! compute it.

/// Advantages and the value targets (`returns = advantages + values`) of one rollout.
#[derive(Debug, Clone, PartialEq)]
pub struct Advantages {
    /// `A_t`.
    pub advantages: Vec<f32>,
    /// `A_t + V(s_t)`, the value head's target.
    pub returns: Vec<f32>,
}

/// GAE over one environment copy's rollout of `T` steps.
///
/// `rewards[t]`, `values[t] = V(s_t)` and `dones[t]` (the episode ended with step `t`, so
/// `s_{t+1}` starts a new one) for `t < T`, and `last_value = V(s_T)` for the state after the
/// rollout. With `m_t = 1 − dones[t]`:
///
/// `δ_t = r_t + γ m_t V(s_{t+1}) − V(s_t)`, `A_t = δ_t + γ λ m_t A_{t+1}`, `A_T = 0`.
///
/// The sums run backwards in `f64` and are rounded once.
///
/// # Panics
/// If the three slices differ in length (a bug in the caller, never user input).
pub fn gae(
    rewards: &[f32],
    values: &[f32],
    dones: &[bool],
    last_value: f32,
    gamma: f64,
    lambda: f64,
) -> Advantages {
    assert_eq!(rewards.len(), values.len(), "one value per reward");
    assert_eq!(rewards.len(), dones.len(), "one done flag per reward");
    let steps = rewards.len();
    let mut advantages = vec![0.0_f32; steps];
    let mut next_advantage = 0.0_f64;
    let mut next_value = f64::from(last_value);
    for t in (0..steps).rev() {
        let live = if dones[t] { 0.0 } else { 1.0 };
        let value = f64::from(values[t]);
        let delta = f64::from(rewards[t]) + gamma * live * next_value - value;
        next_advantage = delta + gamma * lambda * live * next_advantage;
        advantages[t] = next_advantage as f32;
        next_value = value;
    }
    let returns = advantages
        .iter()
        .zip(values)
        .map(|(a, v)| (f64::from(*a) + f64::from(*v)) as f32)
        .collect();
    Advantages {
        advantages,
        returns,
    }
}
