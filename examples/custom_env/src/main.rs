//! Your own environment, trained with AgA: a two-agent signalling game written against
//! `aga::envs::MultiAgentEnv`, trained by `aga::rl::Trainer` with PPO agents whose updates go
//! through the AgA rule.
//!
//! At every step a signal `k ∈ {0, 1, 2}` is drawn; each agent sees it (one-hot) and its own
//! id. An agent that answers `k` earns 1, and both earn 1 more when both answer `k`. Action 3
//! ("wait") is masked out. Episodes last 16 steps (a time limit: truncated, not terminated).
use aga::burn_backends::CpuF32;
use aga::envs::{ElementKind, EnvError, MultiAgentEnv, NamedMetrics, ObsSpec, StepOutcome};
use aga::rl::{PolicyKind, RlMethod, TrainConfig, Trainer};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Serialize, Deserialize)]
struct Signals {
    /// The signal of the current step.
    signal: usize,
    /// A SplitMix64 state: the environment owns its generator, seeded by `reset`.
    rng: u64,
    t: usize,
    collective_return: f64,
}

impl Signals {
    fn draw(&mut self) -> usize {
        self.rng = self.rng.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.rng;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        ((z ^ (z >> 31)) % 3) as usize
    }
}

const HORIZON: usize = 16;

impl MultiAgentEnv for Signals {
    type Obs = f32;
    type Metrics = NamedMetrics;

    fn num_agents(&self) -> usize {
        2
    }
    fn num_actions(&self) -> usize {
        4
    }
    fn obs_spec(&self) -> ObsSpec {
        ObsSpec {
            shape: vec![5],
            element: ElementKind::Floats,
            divisor: 1.0,
        }
    }
    fn reset(&mut self, seed: u64) {
        *self = Signals {
            signal: 0,
            rng: seed,
            t: 0,
            collective_return: 0.0,
        };
        self.signal = self.draw();
    }
    fn step(&mut self, actions: &[u8], rewards: &mut [f32]) -> Result<StepOutcome, EnvError> {
        let right: Vec<bool> = actions.iter().map(|&a| a as usize == self.signal).collect();
        let bonus = if right.iter().all(|&r| r) { 1.0 } else { 0.0 };
        for (r, ok) in rewards.iter_mut().zip(&right) {
            *r = if *ok { 1.0 } else { 0.0 } + bonus;
            self.collective_return += f64::from(*r);
        }
        self.t += 1;
        self.signal = self.draw();
        Ok(StepOutcome {
            terminated: false,
            truncated: self.t >= HORIZON,
        })
    }
    fn observe(&self, out: &mut [f32]) {
        out.fill(0.0);
        for (agent, obs) in out.chunks_mut(5).enumerate() {
            obs[self.signal] = 1.0;
            obs[3 + agent] = 1.0;
        }
    }
    fn has_action_masks(&self) -> bool {
        true
    }
    fn action_masks(&self, out: &mut [bool]) {
        for mask in out.chunks_mut(4) {
            mask.copy_from_slice(&[true, true, true, false]);
        }
    }
    fn episode_metrics(&self) -> NamedMetrics {
        NamedMetrics(vec![("collective_return".into(), self.collective_return)])
    }
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    aga::burn_backends::use_float_dtype::<CpuF32>(burn::tensor::DType::F32)?;
    let mut config = TrainConfig::new(RlMethod::Aga, 8 * 32 * 40);
    config.policy = PolicyKind::Mlp;
    config.lambda = Some(1.0);
    config.seed = 1;
    config.ppo.envs = 8;
    config.ppo.rollout_steps = 32;
    config.ppo.lr = 3e-3;
    let env = Signals {
        signal: 0,
        rng: 0,
        t: 0,
        collective_return: 0.0,
    };
    let mut trainer = Trainer::<CpuF32, Signals>::with_env(config, env, Default::default())?;
    let before = trainer.evaluate(8, 99)?;
    while !trainer.finished() {
        let m = trainer.update()?;
        if m.update % 10 == 0 {
            println!(
                "update {:>3}: reward/step {:.3}, sign rule +1 in {:.0}% of steps",
                m.update,
                m.reward_per_step,
                100.0 * m.rule.positive_alignment
            );
        }
    }
    let after = trainer.evaluate(8, 99)?;
    let (b, a) = (before.0[0].1, after.0[0].1);
    println!("greedy collective return per episode: {b:.1} before, {a:.1} after (best 64)");
    // Random answers earn about 16 · (2/3 + 2/9) ≈ 14 per episode.
    if a < 56.0 {
        return Err(format!("AgA did not learn to answer the signal: {a}").into());
    }
    Ok(())
}
