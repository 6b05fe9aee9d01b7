//! Training throughput on Harvest (the reference map, 5 agents, Flex f32): one whole training
//! iteration (rollout + PPO epochs) per sample, in environment steps per second, for simul-ind
//! and AgA; and the update alone (PPO epochs on a collected rollout), whose AgA / simul-ind
//! ratio is the price of the second-order term.
//!
//! * `mlp`: the fast policy with the default PPO settings (8 copies × 128 steps, 4 epochs of 4
//!   minibatches): one iteration is 1024 environment steps;
//! * `cnn`: SocialJax's IPPO CNN on one epoch of one minibatch of 8 copies × 16 steps (the
//!   default CNN iteration takes tens of seconds; docs/performance.md gives the full-size
//!   figures).
//!
//! `cargo bench --bench rl` (Flex must be compiled in, as by default).

use aga_envs::EnvConfig;
use aga_rl::{PolicyKind, RlMethod, TrainConfig, Trainer};
use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use std::hint::black_box;
use std::time::{Duration, Instant};

#[cfg(feature = "flex")]
type B = aga_burn::backends::Flex;
#[cfg(not(feature = "flex"))]
type B = aga_burn::backends::CpuF32;

fn config(method: RlMethod, policy: PolicyKind) -> TrainConfig {
    let mut c = TrainConfig::new(method, u64::MAX / 2);
    c.policy = policy;
    c.seed = 1;
    if method.uses_lambda() {
        c.lambda = Some(1.0);
    }
    if policy == PolicyKind::Cnn {
        c.ppo.rollout_steps = 16;
        c.ppo.epochs = 1;
        c.ppo.minibatches = 1;
    }
    c
}

fn bench_rl(c: &mut Criterion) {
    #[cfg(feature = "flex")]
    aga_burn::backends::use_f32_on_flex().unwrap();
    #[cfg(not(feature = "flex"))]
    aga_burn::backends::use_float_dtype::<B>(burn::tensor::DType::F32).unwrap();
    let mut group = c.benchmark_group("rl");
    group.sample_size(10);
    for policy in [PolicyKind::Mlp, PolicyKind::Cnn] {
        for method in [RlMethod::SimulInd, RlMethod::Aga] {
            let cfg = config(method, policy);
            // Built inside each benchmark, so that a filtered run builds only what it times.
            let trainer = || {
                let mut t =
                    Trainer::<B>::new(cfg.clone(), EnvConfig::harvest(), Default::default())
                        .unwrap();
                // Past the first rollouts, whose random policies fire the most.
                for _ in 0..2 {
                    t.update().unwrap();
                }
                t
            };
            group.throughput(Throughput::Elements(
                (cfg.ppo.envs * cfg.ppo.rollout_steps) as u64,
            ));
            group.bench_function(format!("harvest_{policy}/{method}/iteration"), |b| {
                let mut trainer = trainer();
                b.iter(|| trainer.update().unwrap())
            });
            group.bench_function(format!("harvest_{policy}/{method}/update"), |b| {
                let mut trainer = trainer();
                // The rollout is collected outside the timed region.
                b.iter_custom(|iters| {
                    let mut total = Duration::ZERO;
                    for _ in 0..iters {
                        let rollout = trainer.collect().unwrap();
                        let started = Instant::now();
                        black_box(trainer.learn(rollout).unwrap());
                        total += started.elapsed();
                    }
                    total
                })
            });
        }
    }
    group.finish();
}

criterion_group!(benches, bench_rl);
criterion_main!(benches);
