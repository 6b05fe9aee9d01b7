//! The learner on an environment defined outside `aga-envs`, through `MultiAgentEnv` alone: a
//! two-agent signalling game with a masked action (examples/custom_env is the same game as a
//! user's crate). AgA and simul-co learn it, masked actions are never taken, and a trainer
//! whose environment or update fails stays usable.

use aga_burn::backends::CpuF32;
use aga_envs::{ElementKind, EnvError, MultiAgentEnv, NamedMetrics, ObsSpec, StepOutcome};
use aga_rl::{PolicyKind, RlMethod, TrainConfig, Trainer};
use serde::{Deserialize, Serialize};

const HORIZON: usize = 16;

/// Each step a signal in {0, 1, 2}; an agent that answers it earns 1, both earn 1 more when
/// both do. Action 3 is masked out. `fail_at`: a step count at which `step` fails (once);
/// `nan_reward_at`: a step count whose rewards are NaN.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct Signals {
    signal: usize,
    rng: u64,
    t: usize,
    total_steps: usize,
    collective_return: f64,
    fail_at: Option<usize>,
    nan_reward_at: Option<usize>,
}

impl Signals {
    fn new() -> Self {
        Self {
            signal: 0,
            rng: 0,
            t: 0,
            total_steps: 0,
            collective_return: 0.0,
            fail_at: None,
            nan_reward_at: None,
        }
    }

    fn draw(&mut self) -> usize {
        self.rng = self.rng.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.rng;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        ((z ^ (z >> 31)) % 3) as usize
    }
}

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
        self.rng = seed;
        self.t = 0;
        self.collective_return = 0.0;
        self.signal = self.draw();
    }
    fn step(&mut self, actions: &[u8], rewards: &mut [f32]) -> Result<StepOutcome, EnvError> {
        self.total_steps += 1;
        if self.fail_at == Some(self.total_steps) {
            return Err(EnvError::BadParameter("the test environment failed".into()));
        }
        let right: Vec<bool> = actions.iter().map(|&a| a as usize == self.signal).collect();
        let bonus = if right.iter().all(|&r| r) { 1.0 } else { 0.0 };
        for (r, ok) in rewards.iter_mut().zip(&right) {
            *r = if *ok { 1.0 } else { 0.0 } + bonus;
            if self.nan_reward_at == Some(self.total_steps) {
                *r = f32::NAN;
            }
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

fn config(method: RlMethod, updates: u64) -> TrainConfig {
    let mut c = TrainConfig::new(method, 8 * 32 * updates);
    c.policy = PolicyKind::Mlp;
    c.seed = 1;
    c.ppo.envs = 8;
    c.ppo.rollout_steps = 32;
    c.ppo.lr = 3e-3;
    if method.uses_lambda() {
        c.lambda = Some(1.0);
    }
    c
}

fn dtype() {
    aga_burn::backends::use_float_dtype::<CpuF32>(burn::tensor::DType::F32).unwrap();
}

fn greedy_return(t: &Trainer<CpuF32, Signals>) -> f64 {
    t.evaluate(8, 99).unwrap().0[0].1
}

/// Random answers earn about 16 · (2/3 + 2/9) ≈ 14 per episode, perfect ones 64.
#[test]
fn aga_and_simul_co_learn_a_custom_environment() {
    dtype();
    for method in [RlMethod::Aga, RlMethod::SimulCo] {
        let mut t = Trainer::<CpuF32, Signals>::with_env(
            config(method, 40),
            Signals::new(),
            Default::default(),
        )
        .unwrap();
        let before = greedy_return(&t);
        let mut last = None;
        while !t.finished() {
            last = Some(t.update().unwrap());
        }
        let after = greedy_return(&t);
        let last = last.unwrap();
        println!("{method}: greedy return {before} → {after}; last update {last:?}");
        assert!(before < 40.0, "{method}: {before}");
        assert!(after >= 56.0, "{method}: {after}");
        assert!(last.ppo.entropy.is_finite() && last.ppo.approx_kl >= 0.0);
    }
}

#[test]
fn masked_actions_are_never_taken() {
    dtype();
    let mut t = Trainer::<CpuF32, Signals>::with_env(
        config(RlMethod::SimulInd, 2),
        Signals::new(),
        Default::default(),
    )
    .unwrap();
    let rollout = t.collect().unwrap();
    assert_eq!(rollout.actions().len(), 8 * 32 * 2);
    assert!(rollout
        .masks()
        .unwrap()
        .chunks(4)
        .all(|m| m == [true, true, true, false]));
    // A uniform policy over 4 actions would take action 3 about 128 times in 512 draws.
    assert!(rollout.actions().iter().all(|&a| a < 3));
    assert!(rollout.actions().contains(&2));
}

/// An environment that fails during a rollout, or a rollout whose rewards make the update's
/// gradient NaN, is an error, and the trainer goes on: the networks are all there and the
/// next rollout can be collected.
#[test]
fn a_failed_rollout_or_update_leaves_a_usable_trainer() {
    dtype();
    let mut env = Signals::new();
    env.fail_at = Some(5);
    // One copy: with several, the copies stepped in parallel need not all reach their 5th step.
    let mut one_copy = config(RlMethod::Aga, 4);
    one_copy.ppo.envs = 1;
    let mut t = Trainer::<CpuF32, Signals>::with_env(one_copy, env, Default::default()).unwrap();
    let Err(err) = t.collect() else {
        panic!("the environment fails at its 5th step");
    };
    assert!(
        err.to_string().contains("the test environment failed"),
        "{err}"
    );
    // Not stuck in "a rollout is already waiting".
    let rollout = t.collect().unwrap();
    t.learn(rollout).unwrap();

    let mut env = Signals::new();
    env.nan_reward_at = Some(3);
    let mut t =
        Trainer::<CpuF32, Signals>::with_env(config(RlMethod::Aga, 4), env, Default::default())
            .unwrap();
    let rollout = t.collect().unwrap();
    let err = t
        .learn(rollout)
        .expect_err("NaN advantages give a NaN gradient");
    assert!(err.to_string().contains("not finite"), "{err}");
    assert_eq!(t.num_agents(), 2);
    let dir = std::env::temp_dir().join(format!("aga-failed-update-{}", std::process::id()));
    t.save(&dir).unwrap();
    let rollout = t.collect().unwrap();
    t.learn(rollout).unwrap();
    std::fs::remove_dir_all(&dir).ok();
}
