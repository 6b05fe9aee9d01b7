//! Data-parallel training between threads: two workers, each stepping half of the copies
//! and computing its shard of every minibatch, take the steps one process with the whole
//! batch takes (f64: the only differences are the order of sums, 1e-9), under simul-ind, AgA
//! and the joint surrogate with SGA; a worker's checkpoint resumes; a worker with another
//! configuration is refused.

use aga_burn::backends::CpuF64;
use aga_envs::{EnvConfig, ObsKind, Ssd};
use aga_rl::parallel::{local_all_reduce, AllReduce, LocalAllReduce};
use aga_rl::{PolicyKind, RlMethod, Surrogate, TrainConfig, Trainer, UpdateMetrics};

/// Two agents in a 2 × 7 orchard next to their spawn cells; short episodes so that copies
/// reset inside the rollouts.
fn small_harvest() -> EnvConfig {
    let mut env = EnvConfig::harvest();
    env.map = "\
@@@@@@@@@@
@P  AAAAA@
@P  AAAAA@
@@@@@@@@@@"
        .to_string();
    env.agents = 2;
    env.horizon = 20;
    env.view_radius = 2;
    env.regrowth.rates = vec![0.02, 0.05, 0.1, 0.2];
    env
}

fn config(method: RlMethod, surrogate: Surrogate) -> TrainConfig {
    let mut c = TrainConfig::new(method, 5 * 16 * 5);
    c.policy = PolicyKind::Mlp;
    c.seed = 11;
    c.surrogate = surrogate;
    c.ppo.envs = 5; // unequal shards: 2 and 3 copies
    c.ppo.rollout_steps = 16;
    c.ppo.minibatches = 2;
    c.ppo.epochs = 2;
    c.ppo.lr = 1e-2;
    if method.uses_lambda() {
        c.lambda = Some(1.0);
    }
    c
}

fn env() -> Ssd {
    Ssd::new(small_harvest(), ObsKind::OneHot).unwrap()
}

/// `f(transport)` on two worker threads; their results in rank order.
fn on_two_workers<T: Send>(f: impl Fn(LocalAllReduce) -> T + Sync) -> Vec<T> {
    std::thread::scope(|s| {
        let handles: Vec<_> = local_all_reduce(2)
            .unwrap()
            .into_iter()
            .map(|ar| {
                let f = &f;
                s.spawn(move || f(ar))
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    })
}

fn assert_close(what: &str, a: &[f64], b: &[f64], tol: f64) {
    assert_eq!(a.len(), b.len(), "{what}: lengths");
    let scale = a.iter().fold(1.0f64, |m, x| m.max(x.abs()));
    for (k, (x, y)) in a.iter().zip(b).enumerate() {
        assert!(
            (x - y).abs() <= tol * scale,
            "{what}[{k}]: {x} vs {y} (tolerance {tol} × {scale})"
        );
    }
}

/// The numbers of an update that every worker shares with the single process (`‖ξ_c‖` where
/// the rule computes `ξ_c`).
fn shared(m: &UpdateMetrics, method: RlMethod) -> Vec<f64> {
    let mut v = vec![
        m.update as f64,
        m.env_steps as f64,
        m.reward_per_step,
        m.episodes_ended as f64,
        m.rule.policy_loss,
        m.rule.value_loss,
        m.rule.xi_norm,
    ];
    if method == RlMethod::Aga {
        v.push(m.rule.xi_c_norm);
    }
    v
}

/// `updates` updates of one process, and of two worker threads (their networks and shared
/// metrics after every update).
#[allow(clippy::type_complexity)]
fn single_and_two_workers(
    config: &TrainConfig,
    updates: u64,
) -> (Vec<(Vec<f64>, Vec<f64>)>, Vec<Vec<(Vec<f64>, Vec<f64>)>>) {
    let mut one = Trainer::<CpuF64>::with_env(config.clone(), env(), Default::default()).unwrap();
    let single: Vec<_> = (0..updates)
        .map(|_| {
            let m = one.update().unwrap();
            (one.network_values(), shared(&m, config.method))
        })
        .collect();
    let workers = on_two_workers(|ar| {
        let mut t = Trainer::<CpuF64>::with_env_parallel(
            config.clone(),
            env(),
            Default::default(),
            Box::new(ar),
        )
        .unwrap();
        (0..updates)
            .map(|_| {
                let m = t.update().unwrap();
                (t.network_values(), shared(&m, config.method))
            })
            .collect::<Vec<_>>()
    });
    (single, workers)
}

fn check_equivalent(method: RlMethod, surrogate: Surrogate) {
    aga_burn::backends::use_float_dtype::<CpuF64>(burn::tensor::DType::F64).unwrap();
    let (single, workers) = single_and_two_workers(&config(method, surrogate), 3);
    for (k, (nets, metrics)) in single.iter().enumerate() {
        for (w, worker) in workers.iter().enumerate() {
            let what = format!("{method:?}/{surrogate} update {} worker {w}", k + 1);
            assert_close(&format!("{what} networks"), &worker[k].0, nets, 1e-9);
            assert_close(&format!("{what} metrics"), &worker[k].1, metrics, 1e-9);
        }
        // The workers hold the same bits (the sums are the same on every worker).
        assert_eq!(workers[0][k].0, workers[1][k].0, "update {}", k + 1);
    }
    // The networks moved (the comparison is not between two unchanged initialisations).
    let start = {
        let t = Trainer::<CpuF64>::with_env(config(method, surrogate), env(), Default::default())
            .unwrap();
        t.network_values()
    };
    let moved = start
        .iter()
        .zip(&single.last().unwrap().0)
        .map(|(a, b)| (a - b).abs())
        .fold(0.0, f64::max);
    assert!(moved > 1e-4, "the networks did not move: {moved}");
}

#[test]
fn two_workers_step_as_one_process_simul_ind() {
    check_equivalent(RlMethod::SimulInd, Surrogate::Ppo);
}

#[test]
fn two_workers_step_as_one_process_aga() {
    check_equivalent(RlMethod::Aga, Surrogate::Ppo);
}

#[test]
fn two_workers_step_as_one_process_sga_under_dice() {
    check_equivalent(RlMethod::Sga, Surrogate::Dice);
}

#[test]
fn a_worker_resumes_from_its_own_checkpoint() {
    aga_burn::backends::use_float_dtype::<CpuF64>(burn::tensor::DType::F64).unwrap();
    let c = config(RlMethod::Aga, Surrogate::Ppo);
    let dir = std::env::temp_dir().join(format!("aga-dp-resume-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let run = |resume: bool, updates: u64| -> Vec<Vec<f64>> {
        on_two_workers(|ar| {
            let rank_dir = dir.join(format!("rank-{}", ar.rank()));
            let mut t = match resume {
                false => Trainer::<CpuF64>::with_env_parallel(
                    c.clone(),
                    env(),
                    Default::default(),
                    Box::new(ar),
                ),
                true => Trainer::<CpuF64>::load_with_env_parallel(
                    c.clone(),
                    env(),
                    Default::default(),
                    &rank_dir,
                    Box::new(ar),
                ),
            }
            .unwrap();
            for _ in 0..updates {
                t.update().unwrap();
            }
            t.save(&rank_dir).unwrap();
            t.network_values()
        })
    };
    run(false, 1);
    let resumed = run(true, 2);
    let (single, _) = single_and_two_workers(&c, 3);
    for nets in &resumed {
        assert_close("resumed worker", nets, &single[2].0, 1e-9);
    }
    // A checkpoint of the other worker's share is refused with a reason.
    let err = on_two_workers(|ar| {
        let other = dir.join(format!("rank-{}", 1 - ar.rank()));
        Trainer::<CpuF64>::load_with_env_parallel(
            c.clone(),
            env(),
            Default::default(),
            &other,
            Box::new(ar),
        )
        .err()
        .map(|e| e.to_string())
    });
    for e in err {
        let e = e.expect("refused");
        assert!(e.contains("another number of workers"), "{e}");
    }
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn workers_with_different_configurations_are_refused() {
    aga_burn::backends::use_float_dtype::<CpuF64>(burn::tensor::DType::F64).unwrap();
    let errors = on_two_workers(|ar| {
        let mut c = config(RlMethod::Aga, Surrogate::Ppo);
        if ar.rank() == 1 {
            c.lambda = Some(2.0);
        }
        Trainer::<CpuF64>::with_env_parallel(c, env(), Default::default(), Box::new(ar))
            .err()
            .map(|e| e.to_string())
    });
    for e in errors {
        let e = e.expect("refused");
        assert!(e.contains("disagree") && e.contains("configuration"), "{e}");
    }
    // More workers than copies.
    let mut ars = local_all_reduce(6).unwrap();
    let e = Trainer::<CpuF64>::with_env_parallel(
        config(RlMethod::SimulInd, Surrogate::Ppo),
        env(),
        Default::default(),
        Box::new(ars.remove(0)),
    )
    .err()
    .unwrap()
    .to_string();
    assert!(e.contains("6 workers cannot share 5"), "{e}");
}
