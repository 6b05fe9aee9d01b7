//! The CleanRL golden comparison shared by `cleanrl_golden.rs` (f64) and
//! `cleanrl_golden_f32.rs` (f32): two binaries, because the float dtype of Burn's CPU device is
//! one per process (`../shared/docs/BURN.md`; `aga_burn::backends::use_float_dtype`).

use aga_burn::{GameOptimizerConfig, HvpBackend};
use aga_core::Method;
use aga_rl::{
    kl_and_clipped, Actors, CriticLoss, Critics, Minibatch, NetShape, PolicyKind, PpoGame, HIDDEN,
};
use burn::optim::AdamConfig;
use burn::tensor::backend::Backend;
use burn::tensor::{Int, Tensor, TensorData};
use serde_json::Value;

pub fn golden(name: &str) -> Value {
    let path = format!("{}/tests/golden/{name}", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    serde_json::from_str(&text).unwrap()
}

pub fn floats(v: &Value) -> Vec<f64> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_f64().unwrap())
        .collect()
}

pub fn num(v: &Value, key: &str) -> f64 {
    v[key].as_f64().unwrap_or_else(|| panic!("{key}"))
}

/// `|got − expected| ≤ tol · max(1, |expected|)`; fails on NaN.
pub fn close(what: &str, got: f64, expected: f64, tol: f64) {
    assert!(
        (got - expected).abs() <= tol * expected.abs().max(1.0),
        "{what}: got {got}, expected {expected} (tol {tol})"
    );
}

/// The script's starting parameters (`formula_value`): integer arithmetic, correctly rounded
/// IEEE operations, then rounding to f32 — the same numbers in Python and here.
fn formula_value(i: u64, agent: u64, salt: u64, bound: f64) -> f64 {
    let k = (i * 7919 + agent * 104_729 + salt) % 2001;
    f64::from((bound * (k as f64 / 1000.0 - 1.0)) as f32)
}

/// `(weights, biases)` per layer as `layer_shapes` of the script: `(count, bias count, fan in)`.
fn layers(shape: NetShape) -> Vec<(usize, usize, usize)> {
    let dense = |i: usize, o: usize| (i * o, o, i);
    let conv = |o: usize, i: usize, k: usize| (o * i * k * k, o, i * k * k);
    let c = aga_rl::CHANNELS;
    let mut out = match shape.kind {
        PolicyKind::Mlp => vec![dense(shape.obs_len(), HIDDEN), dense(HIDDEN, HIDDEN)],
        PolicyKind::Cnn => {
            let side = shape.side - 8;
            vec![
                conv(c, shape.channels, 5),
                conv(c, c, 3),
                conv(c, c, 3),
                dense(c * side * side, HIDDEN),
            ]
        }
    };
    out.push(dense(HIDDEN, shape.outputs));
    out
}

fn initial(shape: NetShape, agents: usize, critic: bool) -> Vec<(Vec<f64>, Vec<f64>)> {
    layers(shape)
        .into_iter()
        .enumerate()
        .map(|(j, (nw, nb, fan_in))| {
            let bound = 1.0 / (fan_in as f64).sqrt();
            let base = 31 * j as u64 + if critic { 5000 } else { 0 };
            let draw = |n: usize, salt: u64| -> Vec<f64> {
                (0..agents as u64)
                    .flat_map(|a| (0..n as u64).map(move |i| formula_value(i, a, salt, bound)))
                    .collect()
            };
            (draw(nw, base), draw(nb, base + 17))
        })
        .collect()
}

fn tensor2<B: Backend>(v: Vec<f64>, dims: [usize; 2]) -> Tensor<B, 2> {
    Tensor::from_data(TensorData::new(v, dims), &Default::default())
}

fn tensor3<B: Backend>(v: Vec<f64>, dims: [usize; 3]) -> Tensor<B, 3> {
    Tensor::from_data(TensorData::new(v, dims), &Default::default())
}

fn host<B: Backend, const D: usize>(t: Tensor<B, D>) -> Vec<f64> {
    t.into_data().convert::<f64>().to_vec::<f64>().unwrap()
}

/// Run the golden case `name` on `B` and compare at tolerance `tol`.
pub fn check_case<B: Backend>(name: &str, tol: f64)
where
    HvpBackend<B>: aga_burn::StopGradient,
{
    type Ad<B> = HvpBackend<B>;
    let g = golden(name);
    let (k, m, n_actions) = (
        num(&g, "agents") as usize,
        num(&g, "samples") as usize,
        num(&g, "actions") as usize,
    );
    let kind = match g["kind"].as_str().unwrap() {
        "mlp" => PolicyKind::Mlp,
        _ => PolicyKind::Cnn,
    };
    let shape = NetShape {
        kind,
        side: num(&g, "side") as usize,
        channels: num(&g, "channels") as usize,
        outputs: n_actions,
        divisor: num(&g, "divisor") as f32,
    };
    let critic_shape = NetShape {
        outputs: 2,
        ..shape
    };
    let device = Default::default();
    let mut actors =
        Actors::<Ad<B>>::from_values(shape, initial(shape, k, false), k, &device).unwrap();
    let mut critics =
        Critics::<Ad<B>>::from_values(shape, initial(critic_shape, k, true), k, &device).unwrap();
    let obs_len = shape.obs_len();
    let actions: Vec<i64> = g["actions_taken"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a.as_i64().unwrap())
        .collect();
    let batch = Minibatch::<Ad<B>> {
        obs: tensor3(floats(&g["obs"]), [k, m, obs_len]),
        actions: Tensor::<Ad<B>, 3, Int>::from_data(
            TensorData::new(actions.clone(), [k, m, 1]),
            &device,
        ),
        old_log_probs: tensor2(floats(&g["old_log_probs"]), [k, m]),
        advantages: tensor2(floats(&g["advantages"]), [k, m]),
        collective_advantages: tensor2(floats(&g["collective_advantages"]), [k, m]),
        returns: tensor2(floats(&g["returns"]), [k, m]),
        collective_returns: tensor2(floats(&g["collective_returns"]), [k, m]),
        old_values: tensor3(floats(&g["old_values"]), [k, m, 2]),
        masks: None,
        normalised_advantages: false,
    };
    assert_eq!(
        batch.obs.dtype(),
        <B::FloatElem as burn::tensor::Element>::dtype(),
        "the CPU device's float dtype is one per process (BURN.md): {name}"
    );
    let old_log_probs = floats(&g["old_log_probs"]);
    let (clip, lr) = (num(&g, "clip"), num(&g, "lr"));
    let max_grad_norm = Some(num(&g, "max_grad_norm"));
    let adam = || AdamConfig::new().with_epsilon(1e-5);
    let mut actor_opt = GameOptimizerConfig::new(Method::Simgd)
        .with_max_grad_norm(max_grad_norm)
        .init(vec![adam().init::<Ad<B>, Actors<Ad<B>>>()])
        .unwrap();
    let mut critic_opt = GameOptimizerConfig::new(Method::Simgd)
        .with_max_grad_norm(max_grad_norm)
        .init(vec![adam().init::<Ad<B>, Critics<Ad<B>>>()])
        .unwrap();
    for (step, record) in g["steps"].as_array().unwrap().iter().enumerate() {
        let rows: Vec<i64> = record["rows"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r.as_i64().unwrap())
            .collect();
        let mb_rows = rows.len();
        let idx =
            Tensor::<Ad<B>, 1, Int>::from_data(TensorData::new(rows.clone(), [mb_rows]), &device);
        let mb = batch.select(&idx);
        let game = PpoGame {
            batch: mb.clone(),
            clip,
            entropy_coef: num(&g, "entropy_coef"),
        };
        let critic_loss = CriticLoss {
            batch: mb.clone(),
            value_coef: num(&g, "value_coef"),
            clip: Some(clip),
        };
        // Before the update: losses and statistics, agent by agent.
        let actor_losses = host(game.agent_losses(&actors, false));
        let critic_losses = host(critic_loss.agent_losses(&critics));
        let log_probs = host(actors.log_probs(mb.obs.clone()));
        for (i, expected) in record["agents"].as_array().unwrap().iter().enumerate() {
            let what = |s: &str| format!("{name} step {step} agent {i} {s}");
            close(
                &what("actor loss"),
                actor_losses[i],
                num(expected, "actor_loss"),
                tol,
            );
            close(
                &what("critic loss"),
                critic_losses[i],
                num(expected, "critic_loss"),
                tol,
            );
            let (mut entropy, mut kl, mut clipped) = (0.0, 0.0, 0.0);
            for (s, &row) in rows.iter().enumerate() {
                let lp = &log_probs[(i * mb_rows + s) * n_actions..][..n_actions];
                entropy -= lp.iter().map(|l| l.exp() * l).sum::<f64>();
                let a = actions[i * m + row as usize] as usize;
                let (kl_term, is_clipped) =
                    kl_and_clipped(lp[a], old_log_probs[i * m + row as usize], clip);
                kl += kl_term;
                clipped += f64::from(u8::from(is_clipped));
            }
            let count = mb_rows as f64;
            close(
                &what("entropy"),
                entropy / count,
                num(expected, "entropy"),
                tol,
            );
            close(
                &what("approx_kl"),
                kl / count,
                num(expected, "approx_kl"),
                tol,
            );
            assert_eq!(
                clipped / count,
                num(expected, "clip_fraction"),
                "{}",
                what("clip fraction")
            );
        }
        let step_a = actor_opt
            .step::<B, _, _>(lr, vec![actors.clone()], &game)
            .unwrap();
        actors = step_a.players.into_iter().next().unwrap();
        let step_c = critic_opt
            .step::<B, _, _>(lr, vec![critics.clone()], &critic_loss)
            .unwrap();
        critics = step_c.players.into_iter().next().unwrap();
    }
    let stride = num(&g, "final_sample_stride") as usize;
    for (net, ours) in [
        ("final_actor_params", actors.parameter_values()),
        ("final_critic_params", critics.parameter_values()),
    ] {
        let expected = g[net].as_array().unwrap();
        assert_eq!(expected.len(), ours.len(), "{net}: layer count");
        for (j, (layer, (w, b))) in expected.iter().zip(&ours).enumerate() {
            for (part, values) in [(0, w), (1, b)] {
                let e = &layer[part];
                let what = format!("{name} {net} layer {j} part {part}");
                let every = floats(&e["every"]);
                let ours_every: Vec<f64> = values.iter().copied().step_by(stride).collect();
                assert_eq!(every.len(), ours_every.len(), "{what}: size");
                for (x, (&got, &want)) in ours_every.iter().zip(&every).enumerate() {
                    close(&format!("{what} entry {}", x * stride), got, want, tol);
                }
                let sum: f64 = values.iter().sum();
                close(
                    &format!("{what} sum"),
                    sum,
                    num(e, "sum"),
                    tol * values.len() as f64,
                );
            }
        }
    }
}
