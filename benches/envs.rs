//! Environment throughput: agent-steps per second of Cleanup and Harvest with every agent's
//! full observation written every step (RGB 15×15×3 or one-hot 15×15×8), on 1 and 2 threads.
//!
//! Actions come from a table of random actions drawn before timing, so the numbers measure the
//! environment (moves, beams, regrowth, observations), not a policy. The observation buffer is
//! handed to `black_box` after every step, so no observation work can be optimised away.

use aga_envs::{EnvConfig, ObsKind, VecEnv};
use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use rand::{rngs::StdRng, Rng, SeedableRng};
use std::hint::black_box;

const STEPS: usize = 100;

fn bench_envs(c: &mut Criterion) {
    let mut group = c.benchmark_group("envs");
    group.sample_size(10);
    for (name, config) in [
        ("harvest", EnvConfig::harvest()),
        ("cleanup", EnvConfig::cleanup()),
    ] {
        for (obs_name, kind) in [("rgb", ObsKind::Rgb), ("one-hot", ObsKind::OneHot)] {
            for threads in [1usize, 2] {
                // Enough copies to keep every thread busy; throughput counts agent-steps.
                let copies = 8 * threads;
                let agents = config.agents;
                let actions_per_step = copies * agents;
                let mut rng = StdRng::seed_from_u64(1);
                let table: Vec<u8> = (0..STEPS * actions_per_step)
                    .map(|_| rng.gen_range(0..config.kind.num_actions() as u8))
                    .collect();
                let pool = rayon::ThreadPoolBuilder::new()
                    .num_threads(threads)
                    .build()
                    .unwrap();
                group.throughput(Throughput::Elements((STEPS * actions_per_step) as u64));
                group.bench_function(
                    BenchmarkId::new(format!("{name}/{obs_name}"), format!("{threads}-thread")),
                    |b| {
                        b.iter_batched(
                            || VecEnv::new(config.clone(), copies, 7, kind).unwrap(),
                            |mut env| {
                                let mut obs = vec![0u8; env.obs_batch_len()];
                                let mut rewards = vec![0f32; actions_per_step];
                                let mut checksum = 0u64;
                                pool.install(|| {
                                    for s in 0..STEPS {
                                        let a = &table
                                            [s * actions_per_step..(s + 1) * actions_per_step];
                                        env.step(a, &mut rewards, &mut obs).unwrap();
                                        checksum = checksum.wrapping_add(
                                            obs.iter().map(|&b| b as u64).sum::<u64>(),
                                        );
                                    }
                                });
                                black_box(checksum)
                            },
                            criterion::BatchSize::LargeInput,
                        )
                    },
                );
            }
        }
    }
    group.finish();
}

criterion_group!(benches, bench_envs);
criterion_main!(benches);
