//! PPO's clipped surrogate (MATH.md §6), written once for every backend, and its statistics.
//!
//! The advantages and the old log-probabilities are constants of the surrogate — for the
//! gradient *and* for Hessian-vector products — so both pass through [`stop_gradient`], which
//! on `Autodiff<Dual<B>>` cuts the reverse graph and the forward tangent (Burn's `detach` cuts
//! only the former).

use aga_burn::{stop_gradient, StopGradient};
use burn::tensor::Tensor;

/// `L(w; A) = −mean_t min(ρ_t A_t, clip(ρ_t, 1 − ε, 1 + ε) A_t)` with
/// `ρ_t = exp(log π_w(a_t|o_t) − log π_old(a_t|o_t))`, `ε = clip`.
///
/// `log_probs` depend on the parameters; `old_log_probs` and `advantages` are made constants
/// here, whatever graph they come from.
pub fn ppo_surrogate<B: StopGradient>(
    log_probs: Tensor<B, 1>,
    old_log_probs: Tensor<B, 1>,
    advantages: Tensor<B, 1>,
    clip: f64,
) -> Tensor<B, 1> {
    let m = log_probs.dims()[0];
    ppo_surrogate_rows(
        log_probs.reshape([1, m]),
        old_log_probs.reshape([1, m]),
        advantages.reshape([1, m]),
        clip,
    )
}

/// [`ppo_surrogate`] of every row of `[k, m]` inputs (one row per agent): `[k]`.
pub fn ppo_surrogate_rows<B: StopGradient>(
    log_probs: Tensor<B, 2>,
    old_log_probs: Tensor<B, 2>,
    advantages: Tensor<B, 2>,
    clip: f64,
) -> Tensor<B, 1> {
    let ratio = (log_probs - stop_gradient(old_log_probs)).exp();
    clipped_objective(ratio, advantages, clip)
}

/// `−mean_t min(ρ_t A_t, clip(ρ_t, 1 − ε, 1 + ε) A_t)` of every row of `[k, m]` ratios and
/// advantages (made constants here): `[k]`. PPO's and the joint surrogate differ only in `ρ`.
fn clipped_objective<B: StopGradient>(
    ratio: Tensor<B, 2>,
    advantages: Tensor<B, 2>,
    clip: f64,
) -> Tensor<B, 1> {
    let k = ratio.dims()[0];
    let advantages = stop_gradient(advantages);
    let unclipped = ratio.clone() * advantages.clone();
    let clipped = ratio.clamp(1.0 - clip, 1.0 + clip) * advantages;
    -unclipped.min_pair(clipped).mean_dim(1).reshape([k])
}

/// The joint (DiCE) surrogate of every row of `[k, m]` inputs (row `i` agent `i`'s
/// log-probabilities of its actions, the rollout's, and its advantages): `[k]`,
///
/// `l_i = −mean_t min(□_t A_{i,t}, clip(□_t, 1 − ε, 1 + ε) A_{i,t})`,
/// `□_t = exp(Σ_j (log π_j(a_{j,t}) − log π_j^old(a_{j,t})))`.
///
/// `□_t` is the probability ratio of the step's *joint* action. At the rollout's policy it is
/// DiCE's magic box of every agent's log-probabilities (Foerster et al. 2018): value 1,
/// `∇□ = □ ∇ Σ_j log π_j`, `∇²□ = □ (∇Σ log π ∇Σ log πᵀ + ∇² Σ log π)`; after the first steps of
/// an update it is the joint importance weight, as PPO's ratio continues REINFORCE, and it is
/// clipped as PPO's is. The advantage is DiCE's baseline form `□(R − b) + b` with `b` the
/// critic's value (the constant `b` has no derivative). So
/// `∂²l_i/∂w_i∂w_j = −mean_t □_t A_{i,t} ∇log π_i ∇log π_jᵀ` (where unclipped) is not zero:
/// agent `i`'s gradient depends on the other agents' policies. With one agent it is
/// [`ppo_surrogate_rows`].
pub fn dice_surrogate_rows<B: StopGradient>(
    log_probs: Tensor<B, 2>,
    old_log_probs: Tensor<B, 2>,
    advantages: Tensor<B, 2>,
    clip: f64,
) -> Tensor<B, 1> {
    let [k, m] = log_probs.dims();
    let magic_box = (log_probs - stop_gradient(old_log_probs))
        .sum_dim(0)
        .exp()
        .expand([k, m]);
    clipped_objective(magic_box, advantages, clip)
}

/// Advantages normalised over a minibatch, `(A − mean A) / (std A + 1e-8)` (population
/// standard deviation, as CleanRL's JAX PPO and JaxMARL; CleanRL's PyTorch `ppo.py` divides by
/// the sample standard deviation, `n − 1`, larger by `√(m/(m − 1))`: 0.2% at `m = 256`), as
/// constants. A minibatch of one sample is
/// centred only (its standard deviation is 0).
pub fn normalise_advantages<B: StopGradient>(advantages: Tensor<B, 1>) -> Tensor<B, 1> {
    let m = advantages.dims()[0];
    normalise_advantage_rows(advantages.reshape([1, m])).reshape([m])
}

/// [`normalise_advantages`] of every row of `[k, m]` advantages (one row per agent), each
/// over its own row.
pub fn normalise_advantage_rows<B: StopGradient>(advantages: Tensor<B, 2>) -> Tensor<B, 2> {
    let a = stop_gradient(advantages);
    let centred = a.clone() - a.mean_dim(1);
    let std = centred.clone().powi_scalar(2).mean_dim(1).sqrt();
    centred / (std + 1e-8)
}

/// PPO's statistics of one sample, as CleanRL logs them: with `r = log π(a|o) − log π_old(a|o)`
/// and `ρ = eʳ`, the approximate-KL term `(ρ − 1) − r` (Schulman's unbiased, non-negative
/// estimator of `KL(π_old ‖ π)`) and whether the sample is clipped, `|ρ − 1| > ε`. Means over
/// samples give `approx_kl` and the clip fraction.
pub fn kl_and_clipped(log_prob: f64, old_log_prob: f64, clip: f64) -> (f64, bool) {
    let log_ratio = log_prob - old_log_prob;
    let ratio = log_ratio.exp();
    ((ratio - 1.0) - log_ratio, (ratio - 1.0).abs() > clip)
}
