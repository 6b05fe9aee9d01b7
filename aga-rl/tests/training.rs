//! The learner end to end on a small Harvest map (f32, ndarray): PPO learns, and a run stopped
//! and resumed from its checkpoint is bit-identical to one that never stopped.

use aga_burn::backends::CpuF32;
use aga_envs::EnvConfig;
use aga_rl::{PolicyKind, RlMethod, Surrogate, TrainConfig, Trainer};

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

fn run(trainer: &mut Trainer<CpuF32>, updates: u64) -> Vec<String> {
    (0..updates)
        .map(|_| format!("{:?}", trainer.update().unwrap().without_timing()))
        .collect()
}

#[test]
fn ppo_learns_to_eat_and_not_to_fire() {
    dtype();
    // Random agents fire the penalty beam (−1 per shot, −50 per hit): the first rollout's
    // collective reward per step is negative. After training they eat and stop firing.
    let config = small_config(RlMethod::SimulInd, 128 * 300);
    let mut t = Trainer::<CpuF32>::new(config, small_harvest(50), Default::default()).unwrap();
    let first = t.update().unwrap();
    let mut rewards = Vec::new();
    while !t.finished() {
        rewards.push(t.update().unwrap().reward_per_step);
    }
    println!(
        "{:?}",
        rewards
            .chunks(10)
            .map(|c| c.iter().sum::<f64>() / c.len() as f64)
            .collect::<Vec<_>>()
    );
    let late = rewards[rewards.len() - 10..].iter().sum::<f64>() / 10.0;
    let eval = t.evaluate(4, 99).unwrap();
    println!("first {first:?}\nlast ten updates' reward per step {late}\ngreedy {eval:?}");
    assert!(first.reward_per_step < -1.0, "{first:?}");
    // Eating (+1 per apple) without firing: a positive collective reward per step.
    assert!(late > 0.1, "{late}");
    assert!(
        eval.beams_fired < 1.0 && eval.apples_eaten >= 10.0,
        "{eval:?}"
    );
}

#[test]
fn a_resumed_run_is_bit_identical() {
    dtype();
    let dir = std::env::temp_dir().join(format!("aga-rl-resume-{}", std::process::id()));
    // The joint surrogate splits the stack into one player per agent at every step: its Adam
    // states are keyed by ids derived from the stack's, which a resumed run must find again.
    for (method, central, surrogate) in [
        (RlMethod::Aga, false, Surrogate::Ppo),
        (RlMethod::Svo, false, Surrogate::Ppo),
        (RlMethod::Aga, true, Surrogate::Ppo),
        (RlMethod::Sga, false, Surrogate::Dice),
    ] {
        let mut config = small_config(method, 128 * 4);
        config.centralised_critic = central;
        config.surrogate = surrogate;
        let env = small_harvest(50);
        let mut straight =
            Trainer::<CpuF32>::new(config.clone(), env.clone(), Default::default()).unwrap();
        let all = run(&mut straight, 4);
        let mut first =
            Trainer::<CpuF32>::new(config.clone(), env.clone(), Default::default()).unwrap();
        let mut rows = run(&mut first, 2);
        first.save(&dir).unwrap();
        drop(first);
        let mut resumed = Trainer::<CpuF32>::load(config, env, Default::default(), &dir).unwrap();
        assert_eq!(resumed.updates(), 2);
        rows.extend(run(&mut resumed, 2));
        assert_eq!(rows, all, "{method}");
        assert!(resumed.finished());
        // And the next update of each differs from the last (the rows are not trivially equal).
        assert_ne!(all[2], all[3]);
    }
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn checkpoints_refuse_what_they_cannot_resume() {
    dtype();
    let dir = std::env::temp_dir().join(format!("aga-rl-refuse-{}", std::process::id()));
    let config = small_config(RlMethod::Aga, 128 * 4);
    let env = small_harvest(50);
    let mut t = Trainer::<CpuF32>::new(config.clone(), env.clone(), Default::default()).unwrap();
    // Between collect() and learn() the rollout is in flight: no checkpoint.
    let rollout = t.collect().unwrap();
    assert!(t.save(&dir).is_err());
    assert!(t.collect().is_err());
    t.learn(rollout).unwrap();
    t.save(&dir).unwrap();
    // Another view radius (other network shapes, other environment): refused, not a panic.
    let mut wider = env.clone();
    wider.view_radius = 3;
    let err = Trainer::<CpuF32>::load(config.clone(), wider, Default::default(), &dir)
        .err()
        .expect("a mismatched checkpoint is an error");
    assert!(err.to_string().contains("checkpoint"), "{err}");
    // Another policy: refused.
    let mut cnn = config.clone();
    cnn.policy = PolicyKind::Cnn;
    let mut big = env.clone();
    big.view_radius = 4;
    assert!(Trainer::<CpuF32>::load(cnn, big, Default::default(), &dir).is_err());
    // Another surrogate (one Adam per agent instead of one for the stack): refused.
    let mut joint = config.clone();
    joint.surrogate = Surrogate::Dice;
    let err = Trainer::<CpuF32>::load(joint, env.clone(), Default::default(), &dir)
        .err()
        .expect("a checkpoint of another surrogate is an error");
    assert!(err.to_string().contains("surrogate"), "{err}");
    assert!(Trainer::<CpuF32>::load(config, env, Default::default(), &dir).is_ok());
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn every_method_trains_under_the_joint_surrogate() {
    dtype();
    for method in RlMethod::ALL {
        let mut config = small_config(method, 128 * 2);
        config.surrogate = Surrogate::Dice;
        config.diagnostics = true;
        let mut t = Trainer::<CpuF32>::new(config, small_harvest(50), Default::default()).unwrap();
        let before = t.actors().parameter_values();
        for _ in 0..2 {
            let m = t.update().unwrap();
            let r = &m.rule;
            for (name, x) in [
                ("policy_loss", r.policy_loss),
                ("value_loss", r.value_loss),
                ("xi_norm", r.xi_norm),
                ("xi_c_norm", r.xi_c_norm),
                ("approx_kl", m.ppo.approx_kl),
            ] {
                assert!(x.is_finite(), "{method}: {name} = {x}");
            }
        }
        let after = t.actors().parameter_values();
        assert_ne!(before, after, "{method}: the actors did not move");
        assert!(
            after
                .iter()
                .all(|(w, b)| w.iter().chain(b).all(|x| x.is_finite())),
            "{method}"
        );
    }
}

#[test]
fn a_centralised_critic_gives_every_agent_the_same_collective_advantages() {
    dtype();
    for central in [false, true] {
        let mut config = small_config(RlMethod::Aga, 128 * 4);
        config.centralised_critic = central;
        let mut t = Trainer::<CpuF32>::new(config, small_harvest(50), Default::default()).unwrap();
        let rollout = t.collect().unwrap();
        let (a0, a1) = (
            rollout.collective_advantages(0),
            rollout.collective_advantages(1),
        );
        assert!(a0.iter().all(|x| x.is_finite()));
        // The collective reward is the same for both agents; only the value estimates differ.
        assert_eq!(a0 == a1, central, "centralised critic: {central}");
        assert_ne!(rollout.advantages(0), rollout.advantages(1));
        t.learn(rollout).unwrap();
    }
}

/// The centralised critic reads every agent's view scaled as the views are: RGB bytes divided
/// by 255 with the CNN policy (it read raw 0–255 values before), one-hot planes as they are.
#[test]
fn the_centralised_critic_scales_rgb_views() {
    dtype();
    let mut env = small_harvest(50);
    env.view_radius = 4;
    for (policy, divisor, channels) in [(PolicyKind::Cnn, 255.0, 3), (PolicyKind::Mlp, 1.0, 8)] {
        let mut config = small_config(RlMethod::Aga, 128);
        config.policy = policy;
        config.centralised_critic = true;
        let t = Trainer::<CpuF32>::new(config, env.clone(), Default::default()).unwrap();
        let input = t.central_critic_input().unwrap();
        assert_eq!(input.divisor, divisor, "{policy}");
        assert_eq!(input.obs_len(), 2 * 9 * 9 * channels, "{policy}");
        assert_eq!(input.kind, PolicyKind::Mlp);
    }
}
