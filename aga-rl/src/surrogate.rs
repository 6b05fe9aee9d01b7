//! PPO's clipped surrogate (MATH.md §6), written once for every backend.
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
    let advantages = stop_gradient(advantages);
    let ratio = (log_probs - stop_gradient(old_log_probs)).exp();
    let unclipped = ratio.clone() * advantages.clone();
    let clipped = ratio.clamp(1.0 - clip, 1.0 + clip) * advantages;
    -unclipped.min_pair(clipped).mean()
}

/// Advantages normalised over a minibatch, `(A − mean A) / (std A + 1e-8)` (population
/// standard deviation, as CleanRL and JaxMARL), as constants. A minibatch of one sample is
/// centred only (its standard deviation is 0).
pub fn normalise_advantages<B: StopGradient>(advantages: Tensor<B, 1>) -> Tensor<B, 1> {
    let a = stop_gradient(advantages);
    let centred = a.clone() - a.mean().unsqueeze();
    let std = centred.clone().powi_scalar(2).mean().sqrt();
    centred / (std + 1e-8).unsqueeze()
}
