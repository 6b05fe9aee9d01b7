//! Social value orientation (McKee et al. 2020): the paper's SVO baseline shapes each agent's
//! reward towards a target angle between its own reward and the others' mean (MATH.md §5–§6).

/// `r̃_i = r_i − w · |θ − atan2(r̄_{−i}, r_i)|` for every agent `i` at one step, where `r̄_{−i}` is
/// the mean reward of the other agents, `θ` the target angle (radians; π/4 weighs both alike)
/// and `w ≥ 0` the weight. A single agent has no others: its reward is returned unchanged.
///
/// When `r_i = r̄_{−i} = 0` the reward angle is undefined (`atan2(0, 0)` would read as 0, the
/// purely selfish angle) and the reward is left unshaped: in Cleanup and Harvest most steps
/// reward nobody, and charging `w · θ` on each of them penalised doing nothing. McKee et al.
/// (2020) compute the angle from reward histories instead of one step's rewards; that needs a
/// per-copy history carried through rollouts and checkpoints, which this learner does not keep
/// yet (docs/marl.md).
pub fn svo_shaped(rewards: &[f32], angle: f64, weight: f64) -> Vec<f32> {
    let n = rewards.len();
    if n < 2 {
        return rewards.to_vec();
    }
    let total: f64 = rewards.iter().map(|r| f64::from(*r)).sum();
    rewards
        .iter()
        .map(|&r| {
            let own = f64::from(r);
            let others = (total - own) / (n - 1) as f64;
            if own == 0.0 && others == 0.0 {
                return r;
            }
            (own - weight * (angle - others.atan2(own)).abs()) as f32
        })
        .collect()
}
