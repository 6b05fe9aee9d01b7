//! The joint (DiCE) surrogate's game in f64 on two MLP agents: its losses against the formula
//! by hand, its derivatives against central finite differences (the game Jacobian `J v`, the
//! transposed product `Jᵀ u` through `⟨u, J v⟩ = ⟨Jᵀ u, v⟩`, and `H_c v`), the coupling the PPO
//! surrogate lacks (`∂²l_i/∂w_i∂w_j ≠ 0`, `J ≠ Jᵀ`), DiCE's first-order identity (at the
//! rollout's policy its gradient is the policy gradient, PPO's), and SGA's direction, which
//! differs from simul-ind's here and equals it under PPO.

use aga_burn::backends::CpuF64;
use aga_burn::stacking::{split_agents, stack_agents};
use aga_burn::{Derivatives, FlatTensor, HvpBackend, ModuleGame, ModuleLosses};
use aga_core as rules;
use aga_rl::{Actors, DiceGame, Minibatch, NetShape, PolicyKind, PpoGame};
use burn::module::AutodiffModule;
use burn::tensor::{Int, Tensor, TensorData};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

type AD = HvpBackend<CpuF64>;

const AGENTS: usize = 2;
const M: usize = 6;
const ACTIONS: usize = 9;
const CLIP: f64 = 0.2;
const ENTROPY: f64 = 0.01;

fn f64_dtype() {
    aga_burn::backends::use_float_dtype::<CpuF64>(burn::tensor::DType::F64).unwrap();
}

fn shape() -> NetShape {
    NetShape {
        kind: PolicyKind::Mlp,
        side: 3,
        channels: 2,
        outputs: ACTIONS,
        divisor: 1.0,
    }
}

/// `max |a − b| / max |b|`; infinite on NaN, infinity or different lengths (a comparison that
/// cannot pass on garbage).
fn rel(a: &[f64], b: &[f64]) -> f64 {
    if a.len() != b.len() || a.iter().chain(b).any(|x| !x.is_finite()) {
        return f64::INFINITY;
    }
    let scale = b.iter().fold(0.0f64, |m, x| m.max(x.abs()));
    let worst = a
        .iter()
        .zip(b)
        .fold(0.0f64, |m, (x, y)| m.max((x - y).abs()));
    if scale == 0.0 {
        return if worst == 0.0 { 0.0 } else { f64::INFINITY };
    }
    worst / scale
}

fn dot(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

fn axpy(a: f64, x: &[f64], y: &[f64]) -> Vec<f64> {
    x.iter().zip(y).map(|(x, y)| a * x + y).collect()
}

/// `(f(w + h·dir) − f(w − h·dir)) / 2h`, entry by entry.
fn central_difference(
    f: impl Fn(Vec<f64>) -> Vec<f64>,
    w: &[f64],
    dir: &[f64],
    h: f64,
) -> Vec<f64> {
    let plus = f(axpy(h, dir, w));
    let minus = f(axpy(-h, dir, w));
    plus.iter()
        .zip(&minus)
        .map(|(p, m)| (p - m) / (2.0 * h))
        .collect()
}

/// Two MLP actors (one stack) and a minibatch with random observations, actions and
/// advantages. The old log-probabilities are the current ones shifted by `shift` at most, so the
/// joint ratio stays inside the clipping band (smooth, as finite differences need); `shift = 0`
/// puts the minibatch at the rollout's policy (`□ = 1`).
fn setup(shift: f64) -> (Actors<AD>, Minibatch<AD>) {
    let device = Default::default();
    let mut rng = ChaCha8Rng::seed_from_u64(17);
    let actors = Actors::<AD>::new(shape(), &device, &[300, 301]);
    let len = shape().obs_len();
    let obs: Vec<f64> = (0..AGENTS * M * len)
        .map(|_| rng.gen_range(-1.0..1.0))
        .collect();
    let actions: Vec<i64> = (0..AGENTS * M)
        .map(|_| rng.gen_range(0..ACTIONS as i64))
        .collect();
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
        .map(|(t, &a)| {
            let noise = if shift > 0.0 {
                rng.gen_range(-shift..shift)
            } else {
                0.0
            };
            current[t * ACTIONS + a as usize] + noise
        })
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
    (actors, batch)
}

fn dice(actors: &Actors<AD>, batch: Minibatch<AD>) -> DiceGame<AD> {
    DiceGame {
        batch,
        clip: CLIP,
        entropy_coef: ENTROPY,
        template: actors.clone(),
    }
}

/// `l_i` and `l_c` of the joint surrogate by hand, in f64 from host values:
/// `−mean_t min(□_t Â_{i,t}, clip(□_t) Â_{i,t}) − c_H H(π_i)`, `□_t = exp Σ_j (log π_j − log π_j^old)`,
/// advantages normalised per agent (population std + 1e-8).
fn losses_by_hand(actors: &Actors<AD>, batch: &Minibatch<AD>) -> (Vec<f64>, f64) {
    let host2 = |t: Tensor<AD, 2>| t.into_data().to_vec::<f64>().unwrap();
    let lp: Vec<f64> = actors
        .valid()
        .log_probs(batch.obs.clone().inner())
        .into_data()
        .to_vec::<f64>()
        .unwrap();
    let actions: Vec<i64> = batch.actions.clone().into_data().to_vec::<i64>().unwrap();
    let old = host2(batch.old_log_probs.clone());
    let joint: Vec<f64> = (0..M)
        .map(|t| {
            (0..AGENTS)
                .map(|i| {
                    let s = i * M + t;
                    lp[s * ACTIONS + actions[s] as usize] - old[s]
                })
                .sum::<f64>()
                .exp()
        })
        .collect();
    let loss = |i: usize, adv: &[f64]| {
        let adv = &adv[i * M..(i + 1) * M];
        let mean = adv.iter().sum::<f64>() / M as f64;
        let std = (adv.iter().map(|a| (a - mean).powi(2)).sum::<f64>() / M as f64).sqrt();
        let mut surrogate = 0.0;
        let mut entropy = 0.0;
        for t in 0..M {
            let a = (adv[t] - mean) / (std + 1e-8);
            let ratio = joint[t];
            surrogate += (ratio * a).min(ratio.clamp(1.0 - CLIP, 1.0 + CLIP) * a);
            let row = &lp[(i * M + t) * ACTIONS..(i * M + t + 1) * ACTIONS];
            entropy -= row.iter().map(|l| l.exp() * l).sum::<f64>();
        }
        -surrogate / M as f64 - ENTROPY * entropy / M as f64
    };
    let adv = host2(batch.advantages.clone());
    let adv_c = host2(batch.collective_advantages.clone());
    let own = (0..AGENTS).map(|i| loss(i, &adv)).collect();
    let collective = (0..AGENTS).map(|i| loss(i, &adv_c)).sum();
    (own, collective)
}

#[test]
fn the_losses_are_the_joint_surrogate_by_hand() {
    f64_dtype();
    let (actors, batch) = setup(0.1);
    let game = dice(&actors, batch.clone());
    let players = split_agents(&actors);
    let host = |t: Tensor<AD, 1>| t.into_data().to_vec::<f64>().unwrap()[0];
    let got: Vec<f64> = game.losses(&players).into_iter().map(host).collect();
    let got_c = host(game.collective_loss(&players).unwrap());
    let (own, collective) = losses_by_hand(&actors, &batch);
    assert!(rel(&got, &own) < 1e-12, "{got:?} vs {own:?}");
    assert!(
        rel(&[got_c], &[collective]) < 1e-12,
        "{got_c} vs {collective}"
    );
    // With shifts of up to 0.1 per agent some joint ratios leave the band [0.8, 1.2] only
    // through the sum of both agents' shifts; the losses differ from PPO's per-agent ones.
    let ppo = PpoGame {
        batch,
        clip: CLIP,
        entropy_coef: ENTROPY,
    };
    let ppo_losses = ppo
        .agent_losses(&actors, false)
        .into_data()
        .to_vec::<f64>()
        .unwrap();
    assert!(rel(&got, &ppo_losses) > 1e-3);
}

#[test]
fn split_and_stack_are_inverse_and_keep_ids_stable() {
    f64_dtype();
    let (actors, _) = setup(0.0);
    let parts = split_agents(&actors);
    assert_eq!(parts.len(), AGENTS);
    let again = split_agents(&actors);
    let ids = |m: &Actors<AD>| {
        let game_players = [m.clone()];
        let losses = |_: &[Actors<AD>]| Vec::<Tensor<AD, 1>>::new();
        let g = ModuleGame::new::<CpuF64>(&game_players, &losses).unwrap();
        g.param_ids(0).to_vec()
    };
    // Derived ids: the same on every split of the same stack, distinct between agents and from
    // the stack's.
    assert_eq!(ids(&parts[0]), ids(&again[0]));
    assert!(ids(&parts[0])
        .iter()
        .all(|id| !ids(&parts[1]).contains(id) && !ids(&actors).contains(id)));
    let back = stack_agents(&actors, &parts, true);
    assert_eq!(ids(&back), ids(&actors));
    assert_eq!(back.parameter_values(), actors.parameter_values());
    // Each part holds its agent's slice.
    let one = parts[1].parameter_values();
    let all = actors.parameter_values();
    for (layer, (w, b)) in one.iter().enumerate() {
        let (wa, ba) = &all[layer];
        assert_eq!(w[..], wa[w.len()..]);
        assert_eq!(b[..], ba[b.len()..]);
    }
}

#[test]
fn hessian_vector_products_match_finite_differences_and_couple_the_agents() {
    f64_dtype();
    let (actors, batch) = setup(0.04);
    let game = dice(&actors, batch);
    let players = split_agents(&actors);
    let module_game = ModuleGame::new::<CpuF64>(&players, &game).unwrap();
    let engine = Derivatives::<CpuF64, _>::new(&module_game, Default::default()).unwrap();
    let w = module_game
        .point::<CpuF64>()
        .into_data()
        .to_vec::<f64>()
        .unwrap();
    let d = w.len();
    let layout = engine.layout().clone();
    let block = |i: usize| layout.block(i);
    let mut rng = ChaCha8Rng::seed_from_u64(5);
    let mut random = || -> Vec<f64> { (0..d).map(|_| rng.gen_range(-1.0..1.0)).collect() };
    let (v, u) = (random(), random());
    let point = engine.point(&w).unwrap();
    let vector = |x: &[f64]| engine.vector("v", x).unwrap();
    let h = 1e-5;

    // ⟨ξ, v⟩ = Σ_i d/dh l_i(w_i + h v_i, w_−i): central differences, player by player.
    let xi = engine.xi(&point).unwrap().to_vec();
    for i in 0..AGENTS {
        let only = |x: &[f64]| -> Vec<f64> {
            (0..d)
                .map(|k| if block(i).contains(&k) { x[k] } else { 0.0 })
                .collect()
        };
        let vi = only(&v);
        let loss = |x: Vec<f64>| engine.losses(&engine.point(&x).unwrap()).unwrap()[i];
        let slope = central_difference(|x| vec![loss(x)], &w, &vi, h)[0];
        let err = rel(&[dot(&xi, &vi)], &[slope]);
        assert!(err < 1e-7, "⟨ξ_{i}, v_{i}⟩: {err:e}");
    }

    // J v (the game Jacobian, H's rows ∇_{w_i} of ξ_i) against central differences of ξ.
    let xi_at = |x: Vec<f64>| engine.xi(&engine.point(&x).unwrap()).unwrap().to_vec();
    let jv = engine.hvp(&point, &vector(&v)).unwrap().to_vec();
    let jv_fd = central_difference(xi_at, &w, &v, h);
    let err = rel(&jv, &jv_fd);
    println!("d = {d}: J v against central differences {err:.2e}");
    assert!(err < 1e-7, "J v: {err:e}");

    // Jᵀ u through ⟨Jᵀ u, v⟩ = ⟨u, J v⟩ with J v from the differences.
    let jtu = engine.hvp_transpose(&point, &vector(&u)).unwrap().to_vec();
    let err = rel(&[dot(&jtu, &v)], &[dot(&u, &jv_fd)]);
    assert!(err < 1e-7, "Jᵀ u: {err:e}");

    // H_c v against central differences of ξ_c.
    let xi_c_at = |x: Vec<f64>| engine.xi_c(&engine.point(&x).unwrap()).unwrap().to_vec();
    let hcv = engine.hvp_collective(&point, &vector(&v)).unwrap().to_vec();
    let err = rel(&hcv, &central_difference(xi_c_at, &w, &v, h));
    assert!(err < 1e-7, "H_c v: {err:e}");

    // The agents couple: a direction on agent 1 alone moves agent 0's gradient, and J is not
    // symmetric (Jᵀ v ≠ J v).
    let v1: Vec<f64> = (0..d)
        .map(|k| if block(1).contains(&k) { v[k] } else { 0.0 })
        .collect();
    let jv1 = engine.hvp(&point, &vector(&v1)).unwrap().to_vec();
    let cross: f64 = block(0).map(|k| jv1[k].abs()).sum();
    let own: f64 = block(1).map(|k| jv1[k].abs()).sum();
    println!("|∂ξ_0/∂w_1 v_1| = {cross:.3e}, |∂ξ_1/∂w_1 v_1| = {own:.3e}");
    assert!(cross > 1e-3 * own, "no coupling: {cross:e} against {own:e}");
    let jtv = engine.hvp_transpose(&point, &vector(&v)).unwrap().to_vec();
    assert!(rel(&jtv, &jv) > 1e-3, "J is symmetric");
}

#[test]
fn at_the_rollout_policy_the_gradient_is_the_policy_gradient() {
    // DiCE's first derivative is the score-function estimator: at □ = 1 each agent's gradient
    // is −mean Â_i ∇log π_i, which is also PPO's gradient there (ratio 1, inside the band).
    f64_dtype();
    let (actors, batch) = setup(0.0);
    let game = dice(&actors, batch.clone());
    let players = split_agents(&actors);
    let dice_game = ModuleGame::new::<CpuF64>(&players, &game).unwrap();
    let dice_engine = Derivatives::<CpuF64, _>::new(&dice_game, Default::default()).unwrap();
    let w = FlatTensor(dice_game.point::<CpuF64>());
    let dice_xi = dice_engine.xi(&w).unwrap().to_vec();

    let ppo = PpoGame {
        batch,
        clip: CLIP,
        entropy_coef: ENTROPY,
    };
    let stack = [actors];
    let ppo_game = ModuleGame::new::<CpuF64>(&stack, &ppo).unwrap();
    let ppo_engine = Derivatives::<CpuF64, _>::new(&ppo_game, Default::default()).unwrap();
    let ppo_xi = ppo_engine
        .xi(&FlatTensor(ppo_game.point::<CpuF64>()))
        .unwrap()
        .to_vec();
    // Same values in another layout: the stack orders parameters layer by layer with every
    // agent inside; the players order them agent by agent.
    let layout = ppo_engine.layout().clone();
    let mut reordered = Vec::with_capacity(ppo_xi.len());
    for agent in 0..AGENTS {
        for r in layout.agent_ranges(0, AGENTS, agent).unwrap() {
            reordered.extend_from_slice(&ppo_xi[r]);
        }
    }
    let err = rel(&dice_xi, &reordered);
    assert!(err < 1e-12, "{err:e}");
}

#[test]
fn sga_differs_from_simul_ind_under_dice_and_not_under_ppo() {
    f64_dtype();
    let (actors, batch) = setup(0.04);
    let game = dice(&actors, batch.clone());
    let players = split_agents(&actors);
    let module_game = ModuleGame::new::<CpuF64>(&players, &game).unwrap();
    let engine = Derivatives::<CpuF64, _>::new(&module_game, Default::default()).unwrap();
    let w = FlatTensor(module_game.point::<CpuF64>());
    let wv = w.to_vec();
    let d = wv.len();
    let mut oracle = engine.oracle(w.clone()).unwrap();
    let xi = rules::simgd(&mut oracle).unwrap().value.to_vec();
    let mut oracle = engine.oracle(w.clone()).unwrap();
    let sga = rules::sga(
        &mut oracle,
        1.0,
        true,
        0.1,
        aga_core::AlignDivisor::Dimension,
    )
    .unwrap();
    let lambda = sga.lambda.unwrap();
    let sga = sga.value.to_vec();
    let adjustment: Vec<f64> = sga.iter().zip(&xi).map(|(s, x)| s - x).collect();
    assert!(rel(&sga, &xi) > 1e-4, "SGA is simul-ind under dice");
    // The adjustment is λ Aᵀ ξ, A = (J − Jᵀ)/2: ⟨u, Aᵀ ξ⟩ = (⟨J u, ξ⟩ − ⟨u, J ξ⟩)/2 with both
    // Jacobian products from central differences of ξ.
    let h = 1e-5;
    let xi_at = |x: Vec<f64>| engine.xi(&engine.point(&x).unwrap()).unwrap().to_vec();
    let jac = |dir: &[f64]| central_difference(xi_at, &wv, dir, h);
    let mut rng = ChaCha8Rng::seed_from_u64(9);
    let u: Vec<f64> = (0..d).map(|_| rng.gen_range(-1.0..1.0)).collect();
    let expected = lambda * (dot(&jac(&u), &xi) - dot(&u, &jac(&xi))) / 2.0;
    let err = rel(&[dot(&u, &adjustment)], &[expected]);
    assert!(err < 1e-6, "⟨u, λ Aᵀ ξ⟩: {err:e}");

    // The same minibatch under PPO's per-agent surrogate: separable, SGA is ξ to the bit.
    let ppo = PpoGame {
        batch,
        clip: CLIP,
        entropy_coef: ENTROPY,
    };
    let stack = [actors];
    let ppo_game = ModuleGame::new::<CpuF64>(&stack, &ppo).unwrap();
    let ppo_engine = Derivatives::<CpuF64, _>::new(&ppo_game, Default::default()).unwrap();
    let w = FlatTensor(ppo_game.point::<CpuF64>());
    let mut oracle = ppo_engine.oracle(w.clone()).unwrap();
    let xi = rules::simgd(&mut oracle).unwrap().value.to_vec();
    let mut oracle = ppo_engine.oracle(w.clone()).unwrap();
    let sga = rules::sga(
        &mut oracle,
        1.0,
        true,
        0.1,
        aga_core::AlignDivisor::Dimension,
    )
    .unwrap();
    assert_eq!(sga.value.to_vec(), xi);
    // Not only the rule's shortcut for separable games: PPO's J is symmetric (Jᵀ v = J v, the
    // agents' blocks do not couple), where the joint surrogate's is not (above).
    let v: Vec<f64> = (0..w.to_vec().len())
        .map(|_| rng.gen_range(-1.0..1.0))
        .collect();
    let v = ppo_engine.vector("v", &v).unwrap();
    let jv = ppo_engine.hvp(&w, &v).unwrap().to_vec();
    let jtv = ppo_engine.hvp_transpose(&w, &v).unwrap().to_vec();
    let err = rel(&jtv, &jv);
    assert!(err < 1e-12, "PPO's J is not symmetric: {err:e}");
}
