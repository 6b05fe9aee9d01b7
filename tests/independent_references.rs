//! Results checked against references that share no code with what they check: the optimiser
//! wrapper against Adam and SGD-with-momentum written out from their published formulas on the
//! closed-form toy game, the command line's CSV against the closed-form losses, the README's
//! headline run, and orderings that docs/experiments.md reports, at tiny sizes.

use crate::common;

use aga_burn::{backends::CpuF64, GameOptimizerConfig, HvpBackend};
use aga_core::Method;
use burn::module::{Module, Param};
use burn::optim::{momentum::MomentumConfig, AdamConfig, SgdConfig};
use burn::tensor::{backend::Backend, Tensor, TensorData};
use common::cli::{aga, json};
use common::{assert_close, matvec, toy};

type AD = HvpBackend<CpuF64>;

#[derive(Module, Debug)]
struct Scalar<B: Backend> {
    a: Param<Tensor<B, 1>>,
}

fn player(value: f64) -> Scalar<AD> {
    let t = Tensor::from_data(TensorData::new(vec![value], [1]), &Default::default());
    Scalar {
        a: Param::from_tensor(t),
    }
}

fn value(p: &Scalar<AD>) -> f64 {
    p.a.val().into_data().to_vec::<f64>().unwrap()[0]
}

fn toy_losses(p: &[Scalar<AD>]) -> Vec<Tensor<AD, 1>> {
    let (a1, a2) = (p[0].a.val(), p[1].a.val());
    let l1 = -(a1.clone() * a2.clone() + a2.clone() * a2.clone()).sin();
    let inner = (a1.clone() + 1.0) - (a2.clone() + 1.0).powi_scalar(2) + a1 * a2.clone() * a2;
    vec![l1, -inner.cos()]
}

/// The AgA direction (λ = 1, sign rule) of the toy game from its closed-form derivatives.
fn aga_direction(w: [f64; 2]) -> [f64; 2] {
    let (xi, xi_c) = toy::xi(w[0], w[1]);
    let g = matvec(&toy::collective_hessian(w[0], w[1]), &xi_c);
    let dot = |a: &[f64], b: &[f64]| a[0] * b[0] + a[1] * b[1];
    let product = dot(&xi_c, &g) * (dot(&xi, &g) + dot(&g, &g));
    let lambda = if product < 0.0 { -1.0 } else { 1.0 };
    [
        xi_c[0] + lambda * (xi[0] + g[0]),
        xi_c[1] + lambda * (xi[1] + g[1]),
    ]
}

/// Adam (Kingma & Ba 2015, Algorithm 1) on `g`, one parameter at a time:
/// `m ← β1 m + (1−β1) g`, `v ← β2 v + (1−β2) g²`, `w ← w − lr m̂ / (√v̂ + ε)`, written as the
/// paper's equivalent "ε̂" form `w ← w − lr m c / (√v + ε √(1−β2ᵗ))`, `c = √(1−β2ᵗ)/(1−β1ᵗ)`.
/// Burn stores β1, β2 and ε as `f32` and computes the two bias corrections in `f32`; the
/// moments themselves are in the backend's precision (f64 here). So does this reference.
struct Adam {
    m: [f64; 2],
    v: [f64; 2],
    t: i32,
}

impl Adam {
    const B1: f64 = 0.9f32 as f64;
    const B2: f64 = 0.999f32 as f64;
    const EPS: f64 = 1e-5f32 as f64;

    fn step(&mut self, w: &mut [f64; 2], g: [f64; 2], lr: f64) {
        self.t += 1;
        for k in 0..2 {
            self.m[k] = Self::B1 * self.m[k] + (1.0 - Self::B1) * g[k];
            self.v[k] = Self::B2 * self.v[k] + (1.0 - Self::B2) * g[k] * g[k];
            let bc2_sqrt = (1.0f32 - 0.999f32.powi(self.t)).sqrt();
            let c = f64::from(bc2_sqrt / (1.0f32 - 0.9f32.powi(self.t)));
            let eps_hat = Self::EPS * f64::from(bc2_sqrt);
            w[k] -= lr * (self.m[k] * c / (self.v[k].sqrt() + eps_hat));
        }
    }
}

#[test]
fn aga_around_adam_follows_adam_written_from_its_paper() {
    let start = [0.3, -0.8];
    let lr = 0.05;
    let mut opt = GameOptimizerConfig::new(Method::Aga)
        .init(vec![AdamConfig::new().init::<AD, Scalar<AD>>(); 2])
        .unwrap();
    let mut players = vec![player(start[0]), player(start[1])];
    let mut w = start;
    let mut adam = Adam {
        m: [0.0; 2],
        v: [0.0; 2],
        t: 0,
    };
    for step in 0..8 {
        let g = aga_direction(w);
        adam.step(&mut w, g, lr);
        players = opt.step(lr, players, &toy_losses).unwrap().players;
        let got = [value(&players[0]), value(&players[1])];
        assert_close(&got, &w, 1e-12);
        assert!(step < 1 || (got[0] - start[0]).abs() > 1e-3, "it moves");
    }
}

#[test]
fn aga_around_sgd_momentum_follows_the_momentum_recurrence() {
    // Burn's SGD momentum (PyTorch's convention): v_1 = g_1, v_t = μ v_{t−1} + (1−τ) g_t,
    // w ← w − lr v_t, with μ = 0.9 and dampening τ = 0.1 by default.
    let (mu, tau, lr) = (0.9, 0.1, 0.02);
    let mut opt = GameOptimizerConfig::new(Method::Aga)
        .init(vec![SgdConfig::new()
            .with_momentum(Some(MomentumConfig::new()))
            .init::<AD, Scalar<AD>>()])
        .unwrap();
    let mut players = vec![player(0.3), player(-0.8)];
    let mut w = [0.3, -0.8];
    let mut velocity: Option<[f64; 2]> = None;
    for _ in 0..8 {
        let g = aga_direction(w);
        let v = match velocity {
            None => g,
            Some(v) => [
                mu * v[0] + (1.0 - tau) * g[0],
                mu * v[1] + (1.0 - tau) * g[1],
            ],
        };
        velocity = Some(v);
        w = [w[0] - lr * v[0], w[1] - lr * v[1]];
        players = opt.step(lr, players, &toy_losses).unwrap().players;
        assert_close(&[value(&players[0]), value(&players[1])], &w, 1e-12);
    }
}

#[test]
fn trajectory_csv_rows_are_the_closed_form_losses() {
    let dir = std::env::temp_dir().join(format!("aga-csv-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("t.csv");
    let path_str = path.display().to_string();
    let out = aga(&[
        "run",
        "--game",
        "toy",
        "--method",
        "simgd",
        "--lr",
        "0.01",
        "--steps",
        "3",
        "--init",
        "0.5,-0.25",
        "--trajectory",
        &path_str,
    ]);
    assert!(out.status.success());
    let mut reader = csv::Reader::from_path(&path).unwrap();
    let rows: Vec<Vec<f64>> = reader
        .records()
        .map(|r| r.unwrap().iter().map(|x| x.parse().unwrap()).collect())
        .collect();
    assert_eq!(rows.len(), 4);
    // Row 0: step 0 at the initial point, with l1 = −sin(a1 a2 + a2²) and
    // l2 = −cos(1 + a1 − (1 + a2)² + a1 a2²) written out by hand.
    let (a1, a2) = (0.5f64, -0.25f64);
    let l1 = -(a1 * a2 + a2 * a2).sin();
    let l2 = -(1.0 + a1 - (1.0 + a2).powi(2) + a1 * a2 * a2).cos();
    assert_close(&rows[0], &[0.0, a1, a2, l1, l2], 1e-15);
    // Row 1: one simgd step w − lr ξ from the closed-form gradients.
    let (xi, _) = toy::xi(a1, a2);
    let (b1, b2) = (a1 - 0.01 * xi[0], a2 - 0.01 * xi[1]);
    let l1 = -(b1 * b2 + b2 * b2).sin();
    let l2 = -(1.0 + b1 - (1.0 + b2).powi(2) + b1 * b2 * b2).cos();
    assert_close(&rows[1], &[1.0, b1, b2, l1, l2], 1e-14);
}

#[test]
fn readme_headline_aga_from_half_half_reaches_both_rewards_at_one() {
    // The README's first command: AgA from (0.5, 0.5) ends with r = (1, 1), the joint maximum.
    let out = aga(&[
        "run", "--game", "toy", "--method", "aga", "--lr", "0.01", "--steps", "2000", "--init",
        "0.5,0.5", "--json",
    ]);
    let v = json(&out);
    let losses: Vec<f64> = v["losses"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_f64().unwrap())
        .collect();
    assert_close(&losses, &[-1.0, -1.0], 1e-9);
}

#[test]
fn per_player_learning_rates_scale_each_players_step() {
    // Plain SGD inside: w_i ← w_i − lr_i ξ̃_i, with ξ̃ the closed-form AgA direction.
    let rates = [0.03, 0.11];
    let mut opt = GameOptimizerConfig::new(Method::Aga)
        .init(vec![SgdConfig::new().init::<AD, Scalar<AD>>()])
        .unwrap();
    let mut players = vec![player(0.3), player(-0.8)];
    let mut w = [0.3, -0.8];
    for _ in 0..5 {
        let g = aga_direction(w);
        w = [w[0] - rates[0] * g[0], w[1] - rates[1] * g[1]];
        players = opt
            .step_with_rates(&rates, players, &toy_losses)
            .unwrap()
            .players;
        assert_close(&[value(&players[0]), value(&players[1])], &w, 1e-13);
    }
}

#[test]
fn learning_rate_lists_and_the_runaway_guard_are_checked() {
    use aga_burn::TransformError;
    let sgd = || SgdConfig::new().init::<AD, Scalar<AD>>();
    let mut opt = GameOptimizerConfig::new(Method::Aga)
        .init(vec![sgd()])
        .unwrap();
    let players = || vec![player(0.3), player(-0.8)];
    assert!(matches!(
        opt.step_with_rates(&[0.1], players(), &toy_losses),
        Err(TransformError::LearningRateCount { got: 1, players: 2 })
    ));
    assert!(matches!(
        opt.step_with_rates(&[0.1, f64::NAN], players(), &toy_losses),
        Err(TransformError::BadLearningRate { player: 1, .. })
    ));
    assert!(matches!(
        opt.step_with_rates(&[-0.1, 0.1], players(), &toy_losses),
        Err(TransformError::BadLearningRate { player: 0, .. })
    ));
    // The guard: the toy game's losses at (0.3, −0.8) are l1 = −sin(−0.24 + 0.64) ≈ −0.389 and
    // l2 = −cos(1.3 − 0.04 + 0.192) ≈ −0.118; a limit of 0.2 trips on player 1.
    let l1 = -(0.3f64 * -0.8 + 0.64).sin();
    let mut guarded = GameOptimizerConfig::new(Method::Aga)
        .with_max_abs_loss(Some(0.2))
        .init(vec![sgd()])
        .unwrap();
    match guarded.step(0.1, players(), &toy_losses) {
        Err(TransformError::RunawayLoss {
            player,
            loss,
            limit,
        }) => {
            assert_eq!(player, 0);
            assert_close(&[loss], &[l1], 1e-14);
            assert_eq!(limit, 0.2);
        }
        other => panic!(
            "expected the guard to trip, got {:?}",
            other.map(|s| s.losses_before)
        ),
    }
    // A limit above both losses lets the step through.
    let mut loose = GameOptimizerConfig::new(Method::Aga)
        .with_max_abs_loss(Some(0.5))
        .init(vec![sgd()])
        .unwrap();
    assert!(loose.step(0.1, players(), &toy_losses).is_ok());
    for bad in [0.0, -1.0, f64::INFINITY, f64::NAN] {
        assert!(matches!(
            GameOptimizerConfig::new(Method::Aga)
                .with_max_abs_loss(Some(bad))
                .init(vec![sgd()]),
            Err(TransformError::BadLossLimit(_))
        ));
    }
}
