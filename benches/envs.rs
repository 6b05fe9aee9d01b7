//! Environment throughput: agent-steps per second of Cleanup and Harvest with every agent's
//! full observation written every step (RGB 15×15×3 or one-hot 15×15×8), on 1 and 2 threads,
//! and of Selfish-MMM2 on one core with observations and action masks.
//!
//! Actions come from a table of random actions drawn before timing, so the numbers measure the
//! environment (moves, beams, regrowth, observations), not a policy. The observation buffer is
//! handed to `black_box` after every step, so no observation work can be optimised away.

use aga_envs::{BattleConfig, EnvConfig, Mmm2, MultiAgentEnv, ObsKind, VecEnv};
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

/// Selfish-MMM2 on one core: one battle stepped with every ally's observation (176 floats)
/// and action mask (18 flags) written every step, actions drawn among the available ones from
/// a table of random numbers made before timing, a new episode whenever one ends (the
/// enemies' attack-move script plays its side). Throughput counts agent-steps (10 per step).
fn bench_mmm2(c: &mut Criterion) {
    let mut group = c.benchmark_group("envs");
    group.sample_size(10);
    const MMM2_STEPS: usize = 2000;
    let env = Mmm2::new(BattleConfig::mmm2()).unwrap();
    let (n, a) = (env.num_agents(), env.num_actions());
    let mut rng = StdRng::seed_from_u64(1);
    let table: Vec<u32> = (0..MMM2_STEPS * n).map(|_| rng.gen()).collect();
    group.throughput(Throughput::Elements((MMM2_STEPS * n) as u64));
    group.bench_function(BenchmarkId::new("mmm2/obs+masks", "1-thread"), |b| {
        b.iter_batched(
            || env.clone(),
            |mut env| {
                let mut obs = vec![0f32; n * env.obs_spec().len()];
                let mut masks = vec![false; n * a];
                let mut rewards = vec![0f32; n];
                let mut actions = vec![0u8; n];
                let mut episodes = 0u64;
                let mut checksum = 0f32;
                env.action_masks(&mut masks);
                for s in 0..MMM2_STEPS {
                    for (i, act) in actions.iter_mut().enumerate() {
                        let row = &masks[i * a..(i + 1) * a];
                        let count = row.iter().filter(|&&m| m).count() as u32;
                        let k = table[s * n + i] % count;
                        *act = row
                            .iter()
                            .enumerate()
                            .filter(|(_, &m)| m)
                            .nth(k as usize)
                            .map(|(j, _)| j as u8)
                            .unwrap();
                    }
                    let outcome = env.step(&actions, &mut rewards).unwrap();
                    if outcome.done() {
                        episodes += 1;
                        env.reset(episodes);
                    }
                    env.observe(&mut obs);
                    env.action_masks(&mut masks);
                    checksum += obs[s % obs.len()] + rewards[0];
                }
                black_box((checksum, episodes))
            },
            criterion::BatchSize::LargeInput,
        )
    });
    group.finish();
}

criterion_group!(benches, bench_envs, bench_mmm2);
criterion_main!(benches);
