//! Stop-gradients at second order: `sg(·)` is a constant for the gradient and for the
//! Hessian-vector product (as `jax.lax.stop_gradient`), while Burn's `detach` on
//! `Autodiff<Dual<B>>` cuts the reverse graph only. Expected values are closed forms and central
//! finite differences of closed-form gradients of the *detached* function (h frozen).

use aga::burn_backends::CpuF64;
use aga_burn::{
    detach_reverse_only, stop_gradient, Derivatives, Game, ParamLayout, Params, StopGradient,
};
use aga_testing::assert_close;
use burn::tensor::{activation::log_softmax, Int, Tensor, TensorData};

type Engine<'g, G> = Derivatives<'g, CpuF64, G>;

/// Which cut the loss uses on `h`.
#[derive(Clone, Copy)]
enum Cut {
    StopGradient,
    ReverseOnly,
}

fn cut<B: StopGradient, const D: usize>(how: Cut, t: Tensor<B, D>) -> Tensor<B, D> {
    match how {
        Cut::StopGradient => stop_gradient(t),
        Cut::ReverseOnly => detach_reverse_only(t),
    }
}

/// Scalar case, one player with `x ∈ R²`: `f(x) = g(x) · sg(h(x))`,
/// `g = x0² x1 + sin(x1)`, `h = x0 x1 + x1³`.
struct Scalar(Cut);

impl Scalar {
    fn g(x: &[f64]) -> f64 {
        x[0] * x[0] * x[1] + x[1].sin()
    }
    fn grad_g(x: &[f64]) -> Vec<f64> {
        vec![2.0 * x[0] * x[1], x[0] * x[0] + x[1].cos()]
    }
    fn h(x: &[f64]) -> f64 {
        x[0] * x[1] + x[1].powi(3)
    }
    fn grad_h(x: &[f64]) -> Vec<f64> {
        vec![x[1], x[0] + 3.0 * x[1] * x[1]]
    }
}

impl<B: StopGradient> Game<B> for Scalar {
    fn layout(&self) -> ParamLayout {
        ParamLayout::new(vec![vec![vec![2]]]).unwrap()
    }
    fn losses(&self, p: &Params<B>) -> Vec<Tensor<B, 1>> {
        let x = p.flat(0, 0);
        let (x0, x1) = (x.clone().slice(0..1), x.slice(1..2));
        let g = x0.clone() * x0.clone() * x1.clone() + x1.clone().sin();
        let h = x0 * x1.clone() + x1.powi_scalar(3);
        vec![g * cut(self.0, h)]
    }
}

/// Tensor case, `x ∈ R^{2×2}` (one tensor): `f = Σ g(x) ⊙ sg(h(x))` elementwise, with
/// `g = x tanh(x)` and `h = exp(0.3 x) + x²`.
struct Elementwise(Cut);

impl Elementwise {
    fn grad_g(x: &[f64]) -> Vec<f64> {
        x.iter()
            .map(|&a| a.tanh() + a * (1.0 - a.tanh().powi(2)))
            .collect()
    }
    fn h(x: &[f64]) -> Vec<f64> {
        x.iter().map(|&a| (0.3 * a).exp() + a * a).collect()
    }
    fn grad_h(x: &[f64]) -> Vec<f64> {
        x.iter().map(|&a| 0.3 * (0.3 * a).exp() + 2.0 * a).collect()
    }
}

impl<B: StopGradient> Game<B> for Elementwise {
    fn layout(&self) -> ParamLayout {
        ParamLayout::new(vec![vec![vec![2, 2]]]).unwrap()
    }
    fn losses(&self, p: &Params<B>) -> Vec<Tensor<B, 1>> {
        let x = p.get::<2>(0, 0);
        let g = x.clone() * x.clone().tanh();
        let h = (x.clone() * 0.3).exp() + x.clone() * x;
        vec![(g * cut(self.0, h)).sum()]
    }
}

/// A policy-gradient surrogate over one state's action logits `θ ∈ R³`:
/// `L(θ) = −Σ_t log π_θ(a_t) · sg(A_t(θ))` with a θ-dependent advantage
/// `A_t(θ) = r_t − θ·u` (a baseline that shares the parameters).
struct Surrogate(Cut);

const ACTIONS: [i64; 4] = [0, 2, 2, 1];
const RETURNS: [f64; 4] = [1.0, -0.5, 2.0, 0.25];
const BASELINE: [f64; 3] = [0.4, -0.2, 0.7];

impl<B: StopGradient> Game<B> for Surrogate {
    fn layout(&self) -> ParamLayout {
        ParamLayout::new(vec![vec![vec![3]]]).unwrap()
    }
    fn losses(&self, p: &Params<B>) -> Vec<Tensor<B, 1>> {
        let theta = p.flat(0, 0);
        let device = theta.device();
        let t = ACTIONS.len();
        let logits = theta.clone().unsqueeze::<2>().repeat_dim(0, t); // [T, 3]
        let actions =
            Tensor::<B, 2, Int>::from_data(TensorData::new(ACTIONS.to_vec(), [t, 1]), &device);
        let log_probs = log_softmax(logits, 1).gather(1, actions).reshape([t]);
        let u = Tensor::<B, 1>::from_data(TensorData::new(BASELINE.to_vec(), [3]), &device);
        let returns = Tensor::<B, 1>::from_data(TensorData::new(RETURNS.to_vec(), [t]), &device);
        let advantages = returns - (theta * u).sum().expand([t]);
        vec![-(log_probs * cut(self.0, advantages)).sum()]
    }
}

fn dot(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

/// Central differences of `grad` along `v` at `x`.
fn fd(grad: impl Fn(&[f64]) -> Vec<f64>, x: &[f64], v: &[f64]) -> Vec<f64> {
    let h = 1e-5;
    let shifted = |s: f64| -> Vec<f64> { x.iter().zip(v).map(|(a, b)| a + s * b).collect() };
    let (p, m) = (grad(&shifted(h)), grad(&shifted(-h)));
    p.iter().zip(&m).map(|(a, b)| (a - b) / (2.0 * h)).collect()
}

/// The engine's gradient and `H_c v` (one player: the loss's Hessian) at `x` along `v`.
fn engine_grad_hvp<G: Game<aga_burn::HvpBackend<CpuF64>>>(
    game: &G,
    x: &[f64],
    v: &[f64],
) -> (Vec<f64>, Vec<f64>) {
    let engine = Engine::new(game, Default::default()).unwrap();
    let w = engine.point(x).unwrap();
    let grad = engine.first_order(&w).unwrap().xi.to_vec();
    let hvp = engine
        .hvp_collective(&w, &engine.vector("v", v).unwrap())
        .unwrap()
        .to_vec();
    (grad, hvp)
}

#[test]
fn scalar_stop_gradient_is_constant_at_second_order() {
    for (x, v) in [
        ([0.7, -1.2], [1.0, 0.3]),
        ([-0.4, 0.9], [-0.6, 2.0]),
        ([1.5, 0.2], [0.0, 1.0]),
    ] {
        let (grad, hvp) = engine_grad_hvp(&Scalar(Cut::StopGradient), &x, &v);
        let h0 = Scalar::h(&x);
        // ∇f = h(x) ∇g(x), with h not differentiated.
        let expected_grad: Vec<f64> = Scalar::grad_g(&x).iter().map(|g| h0 * g).collect();
        assert_close(&grad, &expected_grad, 1e-13);
        // H v = sg(h) ∇²g v: finite differences of the detached function's gradient.
        let detached =
            |y: &[f64]| -> Vec<f64> { Scalar::grad_g(y).iter().map(|g| h0 * g).collect() };
        assert_close(&hvp, &fd(detached, &x, &v), 1e-8);
        // And the closed form: ∇²g = [[2x1, 2x0], [2x0, −sin x1]].
        let hess_g_v = [
            2.0 * x[1] * v[0] + 2.0 * x[0] * v[1],
            2.0 * x[0] * v[0] - x[1].sin() * v[1],
        ];
        assert_close(&hvp, &[h0 * hess_g_v[0], h0 * hess_g_v[1]], 1e-13);
        // Scalar::g is the primal value the losses use.
        assert!(Scalar::g(&x).is_finite());
    }
}

#[test]
fn burn_detach_cuts_the_reverse_graph_only() {
    // Under Autodiff<Dual<B>>, Burn's detach keeps the tangent: the gradient is the same as with
    // sg, but its tangent picks up ∇g (∇h · v), the forward derivative through h.
    let (x, v) = ([0.7, -1.2], [1.0, 0.3]);
    let (grad, hvp) = engine_grad_hvp(&Scalar(Cut::ReverseOnly), &x, &v);
    let h0 = Scalar::h(&x);
    let gg = Scalar::grad_g(&x);
    assert_close(&grad, &[h0 * gg[0], h0 * gg[1]], 1e-13);
    let (_, exact) = engine_grad_hvp(&Scalar(Cut::StopGradient), &x, &v);
    let cross = dot(&Scalar::grad_h(&x), &v);
    let expected: Vec<f64> = exact.iter().zip(&gg).map(|(e, g)| e + g * cross).collect();
    assert_close(&hvp, &expected, 1e-13);
    assert!(
        (hvp[0] - exact[0]).abs() > 1e-3,
        "the two cuts must differ here"
    );
}

#[test]
fn tensor_stop_gradient_is_constant_at_second_order() {
    let x = [0.3, -0.8, 1.1, -0.2];
    for v in [[1.0, 0.0, 0.0, 0.0], [0.5, -1.0, 0.25, 2.0]] {
        let (grad, hvp) = engine_grad_hvp(&Elementwise(Cut::StopGradient), &x, &v);
        let h0 = Elementwise::h(&x);
        let detached = |y: &[f64]| -> Vec<f64> {
            Elementwise::grad_g(y)
                .iter()
                .zip(&h0)
                .map(|(g, h)| g * h)
                .collect()
        };
        assert_close(&grad, &detached(&x), 1e-13);
        assert_close(&hvp, &fd(detached, &x, &v), 1e-8);
        // With Burn's detach the HVP also has the elementwise cross term g'(x) h'(x) v.
        let (_, reverse_only) = engine_grad_hvp(&Elementwise(Cut::ReverseOnly), &x, &v);
        let cross: Vec<f64> = Elementwise::grad_g(&x)
            .iter()
            .zip(Elementwise::grad_h(&x))
            .zip(&v)
            .map(|((g, h), vi)| g * h * vi)
            .collect();
        let expected: Vec<f64> = hvp.iter().zip(&cross).map(|(a, c)| a + c).collect();
        assert_close(&reverse_only, &expected, 1e-12);
    }
}

#[test]
fn policy_gradient_surrogate_hvp_treats_the_advantage_as_constant() {
    // ∇² log π(a) = −(diag p − p pᵀ) for every action, so
    // H v = Σ_t A_t(θ0) (diag p − p pᵀ) v with p = softmax(θ0): a closed form.
    let theta = [0.2, -0.7, 1.3];
    let v = [1.0, -0.5, 0.8];
    let (grad, hvp) = engine_grad_hvp(&Surrogate(Cut::StopGradient), &theta, &v);
    let z: f64 = theta.iter().map(|t| t.exp()).sum();
    let p: Vec<f64> = theta.iter().map(|t| t.exp() / z).collect();
    let baseline = dot(&theta, &BASELINE);
    let advantages: Vec<f64> = RETURNS.iter().map(|r| r - baseline).collect();
    let total_a: f64 = advantages.iter().sum();
    let pv = dot(&p, &v);
    let expected_hvp: Vec<f64> = (0..3).map(|k| total_a * p[k] * (v[k] - pv)).collect();
    assert_close(&hvp, &expected_hvp, 1e-13);
    // The gradient: −Σ_t A_t (e_{a_t} − p).
    let expected_grad: Vec<f64> = (0..3)
        .map(|k| {
            -ACTIONS
                .iter()
                .zip(&advantages)
                .map(|(&a, adv)| adv * ((a as usize == k) as u8 as f64 - p[k]))
                .sum::<f64>()
        })
        .collect();
    assert_close(&grad, &expected_grad, 1e-13);
    // Finite differences of the detached surrogate's gradient agree too.
    let detached = |th: &[f64]| -> Vec<f64> {
        let z: f64 = th.iter().map(|t| t.exp()).sum();
        let q: Vec<f64> = th.iter().map(|t| t.exp() / z).collect();
        (0..3)
            .map(|k| {
                -ACTIONS
                    .iter()
                    .zip(&advantages)
                    .map(|(&a, adv)| adv * ((a as usize == k) as u8 as f64 - q[k]))
                    .sum::<f64>()
            })
            .collect()
    };
    assert_close(&hvp, &fd(detached, &theta, &v), 1e-8);
    // Burn's detach would differentiate through the baseline once: a different HVP.
    let (_, reverse_only) = engine_grad_hvp(&Surrogate(Cut::ReverseOnly), &theta, &v);
    assert!(aga_testing::rel_err(&reverse_only, &hvp) > 1e-3);
}
