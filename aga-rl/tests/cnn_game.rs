//! The PPO game through the CNN policy, in f64: the collective surrogate's Hessian-vector
//! product against central finite differences of its gradient, its block-diagonal structure
//! (MATH.md §6), and the AgA direction the training loop assembles against the rule computed by
//! hand from the same `ξ`, `ξ_c` and `H_c ξ_c`.

use aga_burn::backends::CpuF64;
use aga_burn::{Derivatives, Dual, FlatTensor, HvpBackend, ModuleGame};
use aga_rl::{Actors, Minibatch, NetShape, PolicyKind, PpoGame, RlMethod, TrainConfig};
use aga_testing::{assert_close, rel_err};
use burn::module::AutodiffModule;
use burn::tensor::{Int, Tensor, TensorData};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

type AD = HvpBackend<CpuF64>;

const AGENTS: usize = 2;
const M: usize = 6;

fn shape() -> NetShape {
    // A 9 × 9 RGB window (view radius 4), the smallest the CNN's three convolutions take.
    NetShape {
        kind: PolicyKind::Cnn,
        side: 9,
        channels: 3,
        outputs: 9,
        divisor: 255.0,
    }
}

/// Two CNN actors (one stack) and a minibatch with random observations, actions and
/// advantages; the old log-probabilities are the current ones shifted by at most ±0.04, so
/// every ratio is inside the clipping band (the surrogate is smooth there, as finite
/// differences need).
fn setup() -> (Actors<AD>, PpoGame<AD>) {
    setup_with(shape())
}

/// [`setup`] with networks of shape `shape`.
fn setup_with(shape: NetShape) -> (Actors<AD>, PpoGame<AD>) {
    let device = Default::default();
    let mut rng = ChaCha8Rng::seed_from_u64(11);
    let actors = Actors::<AD>::new(shape, &device, &[100, 101]);
    let len = shape.obs_len();
    let obs: Vec<f64> = (0..AGENTS * M * len)
        .map(|_| f64::from(rng.gen_range(0u8..=255)))
        .collect();
    let actions: Vec<i64> = (0..AGENTS * M).map(|_| rng.gen_range(0..9)).collect();
    let obs = Tensor::<AD, 3>::from_data(TensorData::new(obs, [AGENTS, M, len]), &device);
    let current: Vec<f64> = actors
        .valid()
        .log_probs(obs.clone().inner())
        .into_data()
        .to_vec::<f64>()
        .unwrap();
    let old: Vec<f64> = actions
        .iter()
        .enumerate()
        .map(|(t, &a)| current[t * 9 + a as usize] + rng.gen_range(-0.04..0.04))
        .collect();
    let rows = |values: Vec<f64>| {
        Tensor::<AD, 2>::from_data(TensorData::new(values, [AGENTS, M]), &device)
    };
    let mut noise = |scale: f64| {
        (0..AGENTS * M)
            .map(|_| rng.gen_range(-scale..scale))
            .collect::<Vec<f64>>()
    };
    let batch = Minibatch {
        obs,
        actions: Tensor::<AD, 3, Int>::from_data(TensorData::new(actions, [AGENTS, M, 1]), &device),
        old_log_probs: rows(old),
        advantages: rows(noise(2.0)),
        collective_advantages: rows(noise(3.0)),
        returns: rows(noise(1.0)),
        collective_returns: rows(noise(1.0)),
        old_values: Tensor::zeros([AGENTS, M, 2], &device),
        masks: None,
        normalised_advantages: false,
    };
    let game = PpoGame {
        batch,
        clip: 0.2,
        entropy_coef: 0.01,
    };
    (actors, game)
}

fn axpy(a: f64, x: &[f64], y: &[f64]) -> Vec<f64> {
    x.iter().zip(y).map(|(x, y)| a * x + y).collect()
}

#[test]
fn collective_hvp_through_the_cnn_matches_finite_differences() {
    hvp_matches_finite_differences(shape());
}

#[test]
fn collective_hvp_through_the_mlp_matches_finite_differences() {
    hvp_matches_finite_differences(NetShape {
        kind: PolicyKind::Mlp,
        ..shape()
    });
}

fn hvp_matches_finite_differences(shape: NetShape) {
    aga_burn::backends::use_float_dtype::<CpuF64>(burn::tensor::DType::F64).unwrap();
    let (actors, game) = setup_with(shape);
    let players = [actors];
    let module_game = ModuleGame::new::<CpuF64>(&players, &game).unwrap();
    let engine = Derivatives::<CpuF64, _>::new(&module_game, Default::default()).unwrap();
    let w = module_game
        .point::<CpuF64>()
        .into_data()
        .to_vec::<f64>()
        .unwrap();
    let d = w.len();
    let mut rng = ChaCha8Rng::seed_from_u64(5);
    let v: Vec<f64> = (0..d).map(|_| rng.gen_range(-1.0..1.0)).collect();
    let point = engine.point(&w).unwrap();
    let hv = engine
        .hvp_collective(&point, &engine.vector("v", &v).unwrap())
        .unwrap()
        .to_vec();
    // ReLU's kinks: a step must not move any pre-activation across zero (with this data a
    // step of 1e-5 along v crosses one and the central difference is off by 20%; 1e-6 does
    // not, and its truncation error is far below the tolerance).
    let h = 1e-6;
    // The gradient first: ⟨ξ, v⟩ against central differences of Σ_i l_i.
    let loss = |x: Vec<f64>| engine.losses(&engine.point(&x).unwrap()).unwrap()[0];
    let slope = (loss(axpy(h, &v, &w)) - loss(axpy(-h, &v, &w))) / (2.0 * h);
    let xi = engine.xi(&point).unwrap().to_vec();
    let directional: f64 = xi.iter().zip(&v).map(|(a, b)| a * b).sum();
    println!("⟨ξ, v⟩ = {directional:.9e}, central difference {slope:.9e}");
    assert!(rel_err(&[directional], &[slope]) < 1e-7);
    let xi_c = |x: Vec<f64>| engine.xi_c(&engine.point(&x).unwrap()).unwrap().to_vec();
    let plus = xi_c(axpy(h, &v, &w));
    let minus = xi_c(axpy(-h, &v, &w));
    let fd: Vec<f64> = plus
        .iter()
        .zip(&minus)
        .map(|(p, m)| (p - m) / (2.0 * h))
        .collect();
    let err = rel_err(&hv, &fd);
    println!(
        "d = {d}, ‖H_c v‖ = {:.3e}, rel. error vs central differences {err:.2e}",
        hv.iter().map(|x| x * x).sum::<f64>().sqrt()
    );
    assert!(err < 1e-7, "{err}");
    // The collective gradient is the collective surrogate's, not the sum of the individual
    // ones (the advantages differ).
    let first = engine.first_order(&point).unwrap();
    assert!(rel_err(&first.xi_c.to_vec(), &first.xi.to_vec()) > 1e-2);

    // Block diagonal: a direction on agent 0's slices only moves agent 0's slices.
    let layout = engine.layout().clone();
    let in_agent = |agent: usize| {
        let ranges = layout.agent_ranges(0, AGENTS, agent).unwrap();
        move |k: usize| ranges.iter().any(|r| r.contains(&k))
    };
    let (a0, a1) = (in_agent(0), in_agent(1));
    assert!(
        (0..d).all(|k| a0(k) != a1(k)),
        "the agents' slices partition w"
    );
    let v0: Vec<f64> = (0..d).map(|k| if a0(k) { v[k] } else { 0.0 }).collect();
    let hv0 = engine
        .hvp_collective(&point, &engine.vector("v", &v0).unwrap())
        .unwrap()
        .to_vec();
    assert!((0..d).filter(|&k| a1(k)).all(|k| hv0[k] == 0.0));
    assert!((0..d).filter(|&k| a0(k)).any(|k| hv0[k] != 0.0));
}

/// PPO's loss by hand in f64 from host values: `−mean min(ρA, clip(ρ)A)` with the advantages
/// normalised over the minibatch (population std + 1e-8), minus `c_H` times the mean entropy.
fn surrogate_by_hand(log_probs: &[f64], actions: &[i64], old: &[f64], adv: &[f64]) -> f64 {
    let m = adv.len() as f64;
    let mean = adv.iter().sum::<f64>() / m;
    let std = (adv.iter().map(|a| (a - mean).powi(2)).sum::<f64>() / m).sqrt();
    let mut surrogate = 0.0;
    let mut entropy = 0.0;
    for t in 0..adv.len() {
        let row = &log_probs[t * 9..(t + 1) * 9];
        let a = (adv[t] - mean) / (std + 1e-8);
        let ratio = (row[actions[t] as usize] - old[t]).exp();
        surrogate += (ratio * a).min(ratio.clamp(0.8, 1.2) * a);
        entropy -= row.iter().map(|l| l.exp() * l).sum::<f64>();
    }
    -surrogate / m - 0.01 * entropy / m
}

/// `l_i` uses the agent's own advantages and `l_c` the collective ones (swapping the two in the
/// game, or summing the wrong ones, fails here): both against the surrogate by hand.
#[test]
fn individual_and_collective_losses_use_their_own_advantages() {
    use aga_burn::ModuleLosses;
    aga_burn::backends::use_float_dtype::<CpuF64>(burn::tensor::DType::F64).unwrap();
    let (actors, game) = setup();
    let host = |t: Tensor<AD, 1>| t.into_data().to_vec::<f64>().unwrap();
    let host2 = |t: Tensor<AD, 2>| t.into_data().to_vec::<f64>().unwrap();
    let players = [actors];
    let losses = host(game.agent_losses(&players[0], false));
    let summed = host(game.losses(&players).pop().unwrap())[0];
    let collective = host(game.collective_loss(&players).unwrap())[0];
    let mut expected_c = 0.0;
    let mut expected = 0.0;
    let b = &game.batch;
    let lp_all: Vec<f64> = players[0]
        .valid()
        .log_probs(b.obs.clone().inner())
        .into_data()
        .to_vec::<f64>()
        .unwrap();
    let actions_all: Vec<i64> = b.actions.clone().into_data().to_vec::<i64>().unwrap();
    let (old_all, adv_all, adv_c_all) = (
        host2(b.old_log_probs.clone()),
        host2(b.advantages.clone()),
        host2(b.collective_advantages.clone()),
    );
    for i in 0..AGENTS {
        let lp = &lp_all[i * M * 9..(i + 1) * M * 9];
        let rows = i * M..(i + 1) * M;
        let actions = &actions_all[rows.clone()];
        let old = &old_all[rows.clone()];
        let own = surrogate_by_hand(lp, actions, old, &adv_all[rows.clone()]);
        let col = surrogate_by_hand(lp, actions, old, &adv_c_all[rows]);
        expected += own;
        assert!(
            (own - col).abs() > 1e-3,
            "the test needs distinct advantages"
        );
        assert!(
            rel_err(&[losses[i]], &[own]) < 1e-12,
            "l_{i}: {} vs {own}",
            losses[i]
        );
        expected_c += col;
    }
    assert!(
        rel_err(&[collective], &[expected_c]) < 1e-12,
        "l_c: {collective} vs {expected_c}"
    );
    // The stack's one loss is Σ_i l_i.
    assert!(
        rel_err(&[summed], &[expected]) < 1e-12,
        "Σ l_i: {summed} vs {expected}"
    );
}

#[test]
fn the_training_loops_aga_direction_is_the_rule_on_the_same_numbers() {
    aga_burn::backends::use_float_dtype::<CpuF64>(burn::tensor::DType::F64).unwrap();
    let (actors, game) = setup();
    let actors = vec![actors];
    let mut config = TrainConfig::new(RlMethod::Aga, 1000);
    config.lambda = Some(100.0);
    let optimizer = config
        .rule()
        .init::<burn::optim::adaptor::OptimizerAdaptor<burn::optim::Adam, Actors<AD>, AD>>(vec![
            burn::optim::AdamConfig::new().init(),
        ])
        .unwrap();
    let adjusted = optimizer
        .adjusted_gradients::<CpuF64, _, _>(&actors, &game)
        .unwrap();

    // By hand: ξ̃ = ξ_c + λ (ξ + H_c ξ_c), λ = |λ| sgn(⟨ξ_c, ∇ℋ_c⟩(⟨ξ, ∇ℋ_c⟩ + ‖∇ℋ_c‖²)), then each
    // agent's slices scaled to norm ≤ 0.5 together.
    let module_game = ModuleGame::new::<CpuF64>(&actors, &game).unwrap();
    let engine = Derivatives::<CpuF64, _>::new(&module_game, Default::default()).unwrap();
    let w = FlatTensor(module_game.point::<CpuF64>());
    let xi = engine.xi(&w).unwrap().to_vec();
    let xi_c = engine.xi_c(&w).unwrap();
    let grad_h = engine.hvp_collective(&w, &xi_c).unwrap().to_vec();
    let xi_c = xi_c.to_vec();
    let dot = |a: &[f64], b: &[f64]| a.iter().zip(b).map(|(x, y)| x * y).sum::<f64>();
    let product_sign =
        dot(&xi_c, &grad_h).signum() * (dot(&xi, &grad_h) + dot(&grad_h, &grad_h)).signum();
    let lambda = 100.0 * if product_sign < 0.0 { -1.0 } else { 1.0 };
    let mut expected: Vec<f64> = (0..xi.len())
        .map(|k| xi_c[k] + lambda * (xi[k] + grad_h[k]))
        .collect();
    let layout = engine.layout().clone();
    let mut clipped = 0;
    for agent in 0..AGENTS {
        let ranges = layout.agent_ranges(0, AGENTS, agent).unwrap();
        let norm = ranges
            .iter()
            .map(|r| dot(&expected[r.clone()], &expected[r.clone()]))
            .sum::<f64>()
            .sqrt();
        if norm > 0.5 {
            clipped += 1;
            for r in ranges {
                expected[r].iter_mut().for_each(|x| *x *= 0.5 / norm);
            }
        }
    }
    assert!(clipped > 0, "the test needs a clipped agent");
    assert_eq!(adjusted.diagnostics.lambda, Some(lambda));

    // The optimiser's gradients, read back in layout order.
    let mut got = Vec::new();
    for (player, grads) in adjusted.grads.iter().enumerate() {
        for (k, id) in module_game.param_ids(player).iter().enumerate() {
            let rank = layout.shapes(player)[k].len();
            let values = match rank {
                2 => grads.get::<Dual<CpuF64>, 2>(*id).map(|t| t.into_data()),
                3 => grads.get::<Dual<CpuF64>, 3>(*id).map(|t| t.into_data()),
                5 => grads.get::<Dual<CpuF64>, 5>(*id).map(|t| t.into_data()),
                r => panic!("unexpected rank {r}"),
            };
            got.extend(
                values
                    .expect("every parameter has a gradient")
                    .to_vec::<f64>()
                    .unwrap(),
            );
        }
    }
    assert_close(&got, &expected, 1e-10);
}

#[test]
fn an_f64_run_resumes_bit_identically() {
    aga_burn::backends::use_float_dtype::<CpuF64>(burn::tensor::DType::F64).unwrap();
    let mut env = aga_envs::EnvConfig::harvest();
    env.map = "@@@@@@@@\n@P AAAA@\n@P AAAA@\n@@@@@@@@".to_string();
    env.agents = 2;
    env.horizon = 20;
    env.view_radius = 2;
    let mut config = TrainConfig::new(RlMethod::Aga, 4 * 32);
    config.policy = PolicyKind::Mlp;
    config.ppo.envs = 2;
    config.ppo.rollout_steps = 16;
    config.ppo.minibatches = 2;
    config.ppo.epochs = 1;
    let dir = std::env::temp_dir().join(format!("aga-rl-f64-resume-{}", std::process::id()));
    let run = |t: &mut aga_rl::Trainer<CpuF64>, k: usize| -> Vec<String> {
        (0..k)
            .map(|_| format!("{:?}", t.update().unwrap().without_timing()))
            .collect()
    };
    let mut straight =
        aga_rl::Trainer::<CpuF64>::new(config.clone(), env.clone(), Default::default()).unwrap();
    let all = run(&mut straight, 4);
    let mut first =
        aga_rl::Trainer::<CpuF64>::new(config.clone(), env.clone(), Default::default()).unwrap();
    let mut rows = run(&mut first, 2);
    first.save(&dir).unwrap();
    let mut resumed =
        aga_rl::Trainer::<CpuF64>::load(config, env, Default::default(), &dir).unwrap();
    rows.extend(run(&mut resumed, 2));
    assert_eq!(rows, all);
    std::fs::remove_dir_all(&dir).ok();
}
