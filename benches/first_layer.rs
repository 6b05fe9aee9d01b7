//! The MLP policy's first layer on Harvest's one-hot view, two ways (docs/performance.md): the
//! dense batched product the learner uses, `[agents, rows, 1800] · [agents, 1800, 64]`, and a
//! gather of the weight rows of each row's nonzero features, summed (the one-hot shortcut: a
//! row of 15 × 15 cells × 8 channels has far fewer than 1800 ones). Each is timed as the
//! learner runs it: a forward pass and the reverse pass for the weight gradient, on
//! `Autodiff<Dual<Flex>>` in f32, for one minibatch of the default configuration (5 agents × 256
//! rows of real Harvest observations, random actions).
//!
//! `cargo bench --bench first_layer`.

use aga_burn::HvpBackend;
use aga_envs::{EnvConfig, ObsKind, StepOutcome, VecEnv};
use burn::tensor::{Int, Tensor, TensorData};
use criterion::{criterion_group, criterion_main, Criterion};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use std::hint::black_box;

#[cfg(feature = "flex")]
type B = aga_burn::backends::Flex;
#[cfg(not(feature = "flex"))]
type B = aga_burn::backends::CpuF32;
type AD = HvpBackend<B>;

const AGENTS: usize = 5;
const ROWS: usize = 256;
const OUT: usize = 64;

/// `ROWS` one-hot observations per agent from Harvest under random actions, agent-major, as
/// floats `[AGENTS, ROWS, len]`, and the feature length.
fn observations() -> (Vec<f32>, usize) {
    let copies = 8;
    let mut envs = VecEnv::new(EnvConfig::harvest(), copies, 1, ObsKind::OneHot).unwrap();
    let len = envs.obs_batch_len() / (copies * AGENTS);
    let mut obs = vec![0u8; envs.obs_batch_len()];
    envs.observe(&mut obs).unwrap();
    let mut rng = StdRng::seed_from_u64(7);
    let mut rows: Vec<Vec<f32>> = vec![Vec::new(); AGENTS];
    let mut rewards = vec![0f32; copies * AGENTS];
    let mut outcomes = vec![StepOutcome::default(); copies];
    let actions_n = envs.num_actions() as u8;
    while rows[0].len() < ROWS * len {
        for e in 0..copies {
            for (a, agent_rows) in rows.iter_mut().enumerate() {
                let start = (e * AGENTS + a) * len;
                agent_rows.extend(obs[start..start + len].iter().map(|&b| f32::from(b)));
            }
        }
        let actions: Vec<u8> = (0..copies * AGENTS)
            .map(|_| rng.gen_range(0..actions_n))
            .collect();
        envs.step_autoreset(&actions, &mut rewards, &mut obs, &mut outcomes)
            .unwrap();
    }
    let data = rows
        .into_iter()
        .flat_map(|r| r.into_iter().take(ROWS * len))
        .collect();
    (data, len)
}

fn bench_first_layer(c: &mut Criterion) {
    #[cfg(feature = "flex")]
    aga_burn::backends::use_f32_on_flex().unwrap();
    let device = Default::default();
    let (dense, len) = observations();
    assert!(
        dense.iter().all(|&x| x == 0.0 || x == 1.0),
        "binary features"
    );
    // The gather's indices: each row's nonzero features, padded to the longest row with `len`
    // (a zero row appended to each agent's weights), offset by agent into the stacked rows.
    let per_row: Vec<Vec<usize>> = dense
        .chunks(len)
        .map(|row| (0..len).filter(|&f| row[f] != 0.0).collect())
        .collect();
    let k = per_row.iter().map(Vec::len).max().unwrap();
    let mean = per_row.iter().map(Vec::len).sum::<usize>() as f64 / per_row.len() as f64;
    println!("first layer: {len} features, at most {k} nonzero per row (mean {mean:.1})");
    let idx: Vec<i64> = per_row
        .iter()
        .enumerate()
        .flat_map(|(r, hot)| {
            let base = (r / ROWS) * (len + 1);
            (0..k).map(move |j| (base + hot.get(j).copied().unwrap_or(len)) as i64)
        })
        .collect();
    let x = Tensor::<AD, 3>::from_data(TensorData::new(dense, [AGENTS, ROWS, len]), &device);
    let idx = Tensor::<AD, 1, Int>::from_data(TensorData::new(idx, [AGENTS * ROWS * k]), &device);
    let mut rng = StdRng::seed_from_u64(3);
    let bound = 1.0 / (len as f32).sqrt();
    let w: Vec<f32> = (0..AGENTS * len * OUT)
        .map(|_| rng.gen_range(-bound..bound))
        .collect();
    let w =
        Tensor::<AD, 3>::from_data(TensorData::new(w, [AGENTS, len, OUT]), &device).require_grad();
    let by_product = |w: &Tensor<AD, 3>| x.clone().matmul(w.clone());
    let by_gather = |w: &Tensor<AD, 3>| {
        let ext = Tensor::cat(vec![w.clone(), Tensor::zeros([AGENTS, 1, OUT], &device)], 1)
            .reshape([AGENTS * (len + 1), OUT]);
        ext.select(0, idx.clone())
            .reshape([AGENTS, ROWS, k, OUT])
            .sum_dim(2)
            .reshape([AGENTS, ROWS, OUT])
    };
    // Both compute the same layer.
    let a: Vec<f32> = by_product(&w).into_data().to_vec().unwrap();
    let b: Vec<f32> = by_gather(&w).into_data().to_vec().unwrap();
    let worst = a
        .iter()
        .zip(&b)
        .map(|(p, q)| (p - q).abs())
        .fold(0f32, f32::max);
    assert!(worst < 1e-4, "the two layers differ by {worst}");

    let mut group = c.benchmark_group("first_layer");
    group.sample_size(20);
    for (name, layer) in [
        (
            "dense_product",
            &by_product as &dyn Fn(&Tensor<AD, 3>) -> Tensor<AD, 3>,
        ),
        ("gather_rows", &by_gather),
    ] {
        group.bench_function(
            format!("harvest_one_hot/{name}/forward_backward"),
            |bench| {
                bench.iter(|| {
                    let grads = layer(&w).tanh().sum().backward();
                    black_box(w.grad(&grads))
                })
            },
        );
    }
    group.finish();
}

criterion_group!(benches, bench_first_layer);
criterion_main!(benches);
