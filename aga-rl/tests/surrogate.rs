//! PPO's clipped surrogate on `Autodiff<Dual<NdArray<f64>>>`: its value, gradient and
//! Hessian-vector product by hand, and the advantages and old log-probabilities constant at
//! every order.

use aga_burn::{backends::CpuF64, DualTensor, HvpBackend};
use aga_rl::{normalise_advantages, ppo_surrogate};
use burn::tensor::{Tensor, TensorData, TensorPrimitive};

type B = HvpBackend<CpuF64>;

/// A leaf of `Autodiff<Dual<…>>` with a tangent.
fn leaf(values: &[f64], tangent: &[f64]) -> Tensor<B, 1> {
    let device = Default::default();
    let t = |v: &[f64]| {
        Tensor::<CpuF64, 1>::from_data(TensorData::new(v.to_vec(), [v.len()]), &device)
            .into_primitive()
            .tensor()
    };
    let dual = DualTensor::new(t(values), Some(t(tangent)));
    Tensor::from_inner(Tensor::from_primitive(TensorPrimitive::Float(dual))).require_grad()
}

fn read(t: Tensor<CpuF64, 1>) -> Vec<f64> {
    t.into_data().to_vec::<f64>().unwrap()
}

fn assert_near(got: &[f64], expected: &[f64]) {
    assert_eq!(got.len(), expected.len());
    for (g, e) in got.iter().zip(expected) {
        assert!((g - e).abs() <= 1e-12, "{got:?} vs {expected:?}"); // NaN fails
    }
}

/// ρ = (1.1, 0.7, 1.5), A = (1, −2, 0.5), ε = 0.2: clip(ρ) = (1.1, 0.8, 1.2); ρA = (1.1, −1.4,
/// 0.75), clip(ρ)A = (1.1, −1.6, 0.6); the minima (1.1, −1.6, 0.6) give L = −0.1/3. Only the
/// first sample's minimum moves with ρ (the others sit on the clipped, flat branch), so
/// ∂L/∂log π = (−1.1/3, 0, 0), and ∂²L/∂(log π)² = diag(−1.1/3, 0, 0): with tangent (1, 1, 1)
/// on the log-probabilities the gradient's tangent is (−1.1/3, 0, 0).
///
/// The advantages and old log-probabilities carry tangents *unlike* the log-probabilities'
/// (equal ones would cancel in `log π − log π_old`): were they not constants in forward mode
/// (Burn's reverse-only `detach`), the gradient's tangent would be −(ρ̇A + ρȦ)/3 with
/// ρ̇ = ρ (1 − 0.5) and Ȧ = 0.3, i.e. −0.88/3, not −1.1/3.
#[test]
fn value_gradient_and_hvp_by_hand() {
    let lp = [1.1f64.ln(), 0.7f64.ln(), 1.5f64.ln()];
    let none = ([0.0; 3], [0.0; 3]);
    let unequal = ([0.5, -0.25, 2.0], [0.3, 0.6, -0.9]);
    for (old_tangent, adv_tangent) in [none, unequal] {
        let log_probs = leaf(&lp, &[1.0, 1.0, 1.0]);
        // Tangents (and gradients) on the advantages and old log-probabilities must not count.
        let old = leaf(&[0.0; 3], &old_tangent);
        let advantages = leaf(&[1.0, -2.0, 0.5], &adv_tangent);
        let loss = ppo_surrogate(log_probs.clone(), old.clone(), advantages.clone(), 0.2);
        let value = loss.clone().inner().into_primitive().tensor().primal;
        assert_near(
            &read(Tensor::from_primitive(TensorPrimitive::Float(value))),
            &[-0.1 / 3.0],
        );
        let grads = loss.backward();
        let g = log_probs.grad(&grads).unwrap().into_primitive().tensor();
        assert_near(
            &read(Tensor::from_primitive(TensorPrimitive::Float(g.primal))),
            &[-1.1 / 3.0, 0.0, 0.0],
        );
        assert_near(
            &read(Tensor::from_primitive(TensorPrimitive::Float(
                g.tangent.unwrap(),
            ))),
            &[-1.1 / 3.0, 0.0, 0.0],
        );
        assert!(old.grad(&grads).is_none(), "old log-probs are constants");
        assert!(
            advantages.grad(&grads).is_none(),
            "advantages are constants"
        );
    }
}

/// (1, 2, 3) has mean 2 and population standard deviation √(2/3).
#[test]
fn advantages_are_normalised_per_minibatch() {
    let a = Tensor::<CpuF64, 1>::from_data(
        TensorData::new(vec![1.0, 2.0, 3.0], [3]),
        &Default::default(),
    );
    let s = (1.5f64).sqrt(); // 1 / √(2/3)
    let got = read(normalise_advantages(a));
    for (g, e) in got.iter().zip([-s, 0.0, s]) {
        assert!((g - e).abs() < 1e-7, "{got:?}");
    }
}
