//! Data-parallel `aga train` across processes on localhost (burn-collective through
//! `aga_parallel::CollectiveAllReduce`): `--workers 2` takes the steps one process takes with
//! the same global batch (Flex f32: the two shards' sums differ from one process's only in the
//! order of additions), a multi-worker run resumes bit-identically, a worker that dies makes
//! the other stop within its deadline with its checkpoint intact, and bad addresses, ranks,
//! missing workers and mismatched configurations are clear errors.

mod common;

use aga_envs::{ObsKind, Ssd};
use aga_rl::Trainer;
use common::cli::{assert_error, tempdir};
use std::net::TcpListener;
use std::path::Path;
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

const SMALL_ENV: &str = r#"{"map": "@@@@@@@@@@\n@P  AAAAA@\n@P  AAAAA@\n@@@@@@@@@@", "agents": 2,
  "horizon": 20, "view_radius": 2, "regrowth": {"radius_sq": 2, "rates": [0.02, 0.05, 0.1, 0.2]}}"#;

/// 5 copies (shards of 2 and 3), updates of 80 steps (5 copies × 16 steps); the learning rate
/// anneals over a fixed horizon, so that a resumed run with a larger budget anneals as the
/// straight one.
const TRAIN: &str = r#"{"policy": "mlp", "ppo": {"envs": 5, "rollout_steps": 16, "minibatches": 2,
  "epochs": 2, "lr": 0.003, "anneal_steps": 1024}}"#;
const STEPS_PER_UPDATE: u64 = 80;

/// The longest any command here may take before the test calls it hung (a safety net: the
/// deadlines under test are seconds).
const HUNG: Duration = Duration::from_secs(600);

fn setup(name: &str) -> (std::path::PathBuf, String, String) {
    let dir = tempdir(name);
    let env = dir.join("env.json");
    std::fs::write(&env, SMALL_ENV).unwrap();
    let train = dir.join("train.json");
    std::fs::write(&train, TRAIN).unwrap();
    (
        dir,
        env.to_str().unwrap().to_string(),
        train.to_str().unwrap().to_string(),
    )
}

fn spawn(args: &[String], envs: &[(&str, &str)]) -> Child {
    Command::new(env!("CARGO_BIN_EXE_aga"))
        .args(args)
        .envs(envs.iter().copied())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the aga binary starts")
}

/// Wait for `child` (at most [`HUNG`]).
fn finish(mut child: Child) -> Output {
    let start = Instant::now();
    while child.try_wait().unwrap().is_none() {
        if start.elapsed() > HUNG {
            child.kill().ok();
            panic!(
                "aga hung for {HUNG:?}: {:?}",
                child.wait_with_output().unwrap()
            );
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    child.wait_with_output().unwrap()
}

fn run(args: &[String], envs: &[(&str, &str)]) -> Output {
    finish(spawn(args, envs))
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

#[track_caller]
fn succeeds(args: &[String]) -> String {
    let o = run(args, &[]);
    assert!(o.status.success(), "aga {args:?} failed: {}", stderr(&o));
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn train_args(env: &str, train: &str, method: &str, steps: u64, out: &Path) -> Vec<String> {
    [
        "train",
        "--env",
        "harvest",
        "--env-config",
        env,
        "--config",
        train,
        "--method",
        method,
        "--steps",
        &steps.to_string(),
        "--seed",
        "1",
        "--out",
        out.to_str().unwrap(),
        "--quiet",
        "--eval-episodes",
        "0",
        "--threads",
        "1",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect()
}

fn strings(args: &[&str]) -> Vec<String> {
    args.iter().map(|s| s.to_string()).collect()
}

/// Every network parameter of the checkpoint in `dir/checkpoint`, loaded on
/// ndarray f32 as the worker `rank` of `world` (a single process when `world` is 1).
fn networks(run_dir: &Path, dir: &Path) -> Vec<f64> {
    type B = aga_burn::backends::CpuF32;
    aga_burn::backends::use_float_dtype::<B>(burn::tensor::DType::F32).unwrap();
    let record = aga::training::RunRecord::read(run_dir).unwrap();
    let env = Ssd::new(record.env.ssd().unwrap().clone(), ObsKind::OneHot).unwrap();
    let world = std::fs::read_dir(run_dir.join("workers"))
        .map(|d| d.count() + 1)
        .unwrap_or(1);
    let rank = match dir == run_dir {
        true => 0,
        false => dir.file_name().unwrap().to_str().unwrap()[5..]
            .parse()
            .unwrap(),
    };
    let t = match world {
        1 => Trainer::<B, Ssd>::load_with_env(
            record.train.clone(),
            env,
            Default::default(),
            &dir.join("checkpoint"),
        ),
        // A worker's checkpoint holds its share of the copies: load it as that worker of a
        // world of stand-in reductions that only pass the fingerprint check.
        _ => Trainer::<B, Ssd>::load_with_env_parallel(
            record.train.clone(),
            env,
            Default::default(),
            &dir.join("checkpoint"),
            Box::new(Agreeing { rank, world }),
        ),
    }
    .unwrap();
    t.network_values()
}

/// A stand-in all-reduce of `world` workers that all hold this worker's values.
struct Agreeing {
    rank: usize,
    world: usize,
}

impl aga_rl::parallel::AllReduce for Agreeing {
    fn rank(&self) -> usize {
        self.rank
    }
    fn world_size(&self) -> usize {
        self.world
    }
    fn sum(&mut self, values: Vec<f64>) -> Result<Vec<f64>, aga_rl::parallel::ParallelError> {
        Ok(values.iter().map(|x| x * self.world as f64).collect())
    }
}

#[track_caller]
fn assert_close(what: &str, a: &[f64], b: &[f64], tol: f64) {
    assert_eq!(a.len(), b.len(), "{what}: lengths");
    let mut worst = 0.0f64;
    for (k, (x, y)) in a.iter().zip(b).enumerate() {
        let err = (x - y).abs() / x.abs().max(y.abs()).max(1e-2);
        assert!(err <= tol, "{what}[{k}]: {x} vs {y}");
        worst = worst.max(err);
    }
    println!("{what}: worst relative difference {worst:.2e}");
}

#[test]
fn two_worker_processes_take_the_steps_of_one_and_resume() {
    let (dir, env, train) = setup("dp-equal");
    for method in ["simul-ind", "aga"] {
        let single = dir.join(format!("single-{method}"));
        let dp = dir.join(format!("dp-{method}"));
        succeeds(&train_args(
            &env,
            &train,
            method,
            3 * STEPS_PER_UPDATE,
            &single,
        ));
        let mut args = train_args(&env, &train, method, 3 * STEPS_PER_UPDATE, &dp);
        args.extend(strings(&["--workers", "2", "--collective-timeout", "120"]));
        let text = succeeds(&args);
        assert!(text.contains("3 updates, 240 env steps"), "{text}");
        let one = networks(&single, &single);
        let rank0 = networks(&dp, &dp);
        let rank1 = networks(&dp, &dp.join("workers/rank-1"));
        // f32 tolerance: the shards' sums and the weighted means change the order of
        // additions (and Adam divides by the gradients' running scale).
        assert_close(
            &format!("{method}: 2 workers vs 1 process"),
            &rank0,
            &one,
            1e-4,
        );
        // Every worker holds the same bits.
        assert!(rank0 == rank1, "{method}: rank 0 and rank 1 differ");
        // They moved.
        let moved = rank0
            .iter()
            .zip(&networks_at_start(&single))
            .map(|(a, b)| (a - b).abs())
            .fold(0.0, f64::max);
        assert!(
            moved > 1e-3,
            "{method}: the networks did not move ({moved})"
        );
        // The metrics agree too (the reduced losses, the global rewards and episode counts).
        let column =
            |d: &Path, name: &str| -> Vec<f64> { aga::training::read_column(d, name).unwrap() };
        for name in [
            "env_steps",
            "reward_per_step",
            "episodes_ended",
            "policy_loss",
            "value_loss",
        ] {
            assert_close(
                &format!("{method}: {name}"),
                &column(&dp, name),
                &column(&single, name),
                1e-4,
            );
        }
    }
    // Resume: 2 updates with 2 workers, then on to 3 with 2 workers = 3 straight (the same
    // bits: the checkpoints hold every worker's networks, Adam states and copies).
    let part = dir.join("dp-resumed");
    let mut args = train_args(&env, &train, "aga", 2 * STEPS_PER_UPDATE, &part);
    args.extend(strings(&["--workers", "2", "--collective-timeout", "120"]));
    succeeds(&args);
    succeeds(&strings(&[
        "train",
        "--resume",
        part.to_str().unwrap(),
        "--steps",
        &(3 * STEPS_PER_UPDATE).to_string(),
        "--workers",
        "2",
        "--collective-timeout",
        "120",
        "--quiet",
        "--eval-episodes",
        "0",
        "--threads",
        "1",
    ]));
    let straight = dir.join("dp-aga");
    assert!(
        networks(&part, &part) == networks(&straight, &straight),
        "rank 0 resumed differs from the straight run"
    );
    assert!(
        networks(&part, &part.join("workers/rank-1"))
            == networks(&straight, &straight.join("workers/rank-1")),
        "rank 1 resumed differs from the straight run"
    );
    // Resumed with another number of workers: refused, with the reason.
    let o = run(
        &strings(&[
            "train",
            "--resume",
            part.to_str().unwrap(),
            "--steps",
            &(4 * STEPS_PER_UPDATE).to_string(),
            "--quiet",
            "--eval-episodes",
            "0",
        ]),
        &[],
    );
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("another number of workers"),
        "{}",
        stderr(&o)
    );
    std::fs::remove_dir_all(&dir).ok();
}

/// The networks the run in `run_dir` started from (a fresh trainer of its record).
fn networks_at_start(run_dir: &Path) -> Vec<f64> {
    type B = aga_burn::backends::CpuF32;
    aga_burn::backends::use_float_dtype::<B>(burn::tensor::DType::F32).unwrap();
    let record = aga::training::RunRecord::read(run_dir).unwrap();
    let env = Ssd::new(record.env.ssd().unwrap().clone(), ObsKind::OneHot).unwrap();
    Trainer::<B, Ssd>::with_env(record.train, env, Default::default())
        .unwrap()
        .network_values()
}

#[test]
fn a_worker_that_dies_stops_the_other_with_its_checkpoint_intact() {
    let (dir, env, train) = setup("dp-fault");
    let out = dir.join("run");
    let mut args = train_args(&env, &train, "aga", 20 * STEPS_PER_UPDATE, &out);
    args.extend(strings(&[
        "--workers",
        "2",
        "--collective-timeout",
        "5",
        "--checkpoint-every",
        "1",
    ]));
    // Worker 1 exits right after update 2 (its checkpoint written), as a crash would.
    let o = run(&args, &[("AGA_FAULT_EXIT", "1:2")]);
    let err = stderr(&o);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(err.contains("worker 1: exits after update 2"), "{err}");
    // Worker 0 stopped by itself at its next reduction (an error from the transport, or its
    // deadline), not because the launcher killed it.
    assert!(
        err.contains("data-parallel training:")
            && (err.contains("did not complete within 5 s")
                || err.contains("the all-reduce failed")),
        "{err}"
    );
    assert!(
        err.contains("data-parallel workers failed:") && err.contains("1 (exit status: 3)"),
        "{err}"
    );
    // Its last checkpoint is the one of update 2, whole.
    assert_eq!(aga_rl::checkpoint_updates(&out.join("checkpoint")), Some(2));
    let rows = aga::training::read_column(&out, "update").unwrap();
    assert!(rows.len() >= 2, "{rows:?}");
    assert!(networks(&out, &out).iter().all(|x| x.is_finite()));
    std::fs::remove_dir_all(&dir).ok();
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

#[test]
fn workers_that_cannot_meet_or_disagree_are_clear_errors() {
    let (dir, env, train) = setup("dp-errors");
    let out = dir.join("run");
    let base = train_args(&env, &train, "aga", 2 * STEPS_PER_UPDATE, &out);
    let with = |extra: &[&str]| -> Vec<String> {
        let mut a = base.clone();
        a.extend(strings(extra));
        a
    };
    let check = |extra: &[&str], needle: &str| {
        let args = with(extra);
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        assert_error(&args, needle);
    };
    check(&["--workers", "0"], "--workers must be at least 1");
    check(
        &["--workers", "2", "--rank", "0"],
        "--workers starts its own workers",
    );
    check(
        &["--coordinator", "127.0.0.1:4000", "--rank", "0"],
        "needs all of --coordinator",
    );
    check(
        &[
            "--coordinator",
            "127.0.0.1:4000",
            "--rank",
            "2",
            "--world-size",
            "2",
        ],
        "--rank 2 must be below --world-size 2",
    );
    check(
        &[
            "--coordinator",
            "nohost",
            "--rank",
            "0",
            "--world-size",
            "2",
        ],
        "--coordinator must be HOST:PORT",
    );
    check(
        &[
            "--coordinator",
            "127.0.0.1:99999",
            "--rank",
            "0",
            "--world-size",
            "2",
        ],
        "--coordinator must be HOST:PORT",
    );
    check(
        &[
            "--coordinator",
            "10.0.0.1:4000",
            "--rank",
            "1",
            "--world-size",
            "2",
        ],
        "--node-address HOST:PORT is required",
    );
    check(
        &[
            "--coordinator",
            "no-such-host.invalid:4000",
            "--rank",
            "1",
            "--world-size",
            "2",
            "--node-address",
            "127.0.0.1:4001",
        ],
        "with a host that resolves",
    );
    check(
        &["--node-address", "127.0.0.1:4001"],
        "belong to a data-parallel run",
    );
    check(
        &["--workers", "2", "--collective-timeout", "0"],
        "--collective-timeout must be",
    );
    // More workers than environment copies.
    check(
        &["--workers", "6"],
        "6 workers cannot share 5 environment copies",
    );
    // Rank 0 alone in a world of 2 (the other never starts): a join error within the deadline.
    let port = free_port().to_string();
    let coordinator = format!("127.0.0.1:{port}");
    check(
        &[
            "--coordinator",
            &coordinator,
            "--rank",
            "0",
            "--world-size",
            "2",
            "--node-address",
            &format!("127.0.0.1:{}", free_port()),
            "--collective-timeout",
            "3",
        ],
        "not every one of the 2 workers registered within 3 s",
    );
    // Rank 1 with no coordinator at its address.
    check(
        &[
            "--coordinator",
            &format!("127.0.0.1:{}", free_port()),
            "--rank",
            "1",
            "--world-size",
            "2",
            "--node-address",
            &format!("127.0.0.1:{}", free_port()),
            "--collective-timeout",
            "3",
        ],
        "is the coordinator running and reachable",
    );
    // Two workers with different learning rates: both refuse.
    let coordinator = format!("127.0.0.1:{}", free_port());
    let worker = |rank: usize, lr: &str| {
        let mut a = base.clone();
        let out = dir.join(format!("mismatch-{rank}"));
        let at = a.iter().position(|x| x == "--out").unwrap();
        a[at + 1] = out.to_str().unwrap().to_string();
        a.extend(strings(&[
            "--coordinator",
            &coordinator,
            "--rank",
            &rank.to_string(),
            "--world-size",
            "2",
            "--node-address",
            &format!("127.0.0.1:{}", free_port()),
            "--collective-timeout",
            "30",
            "--lr",
            lr,
        ]));
        spawn(&a, &[])
    };
    let (a, b) = (worker(0, "0.003"), worker(1, "0.01"));
    for o in [finish(a), finish(b)] {
        let err = stderr(&o);
        assert_eq!(o.status.code(), Some(2), "{err}");
        assert!(err.contains("the data-parallel workers disagree"), "{err}");
        assert!(err.contains("configuration"), "{err}");
    }
    std::fs::remove_dir_all(&dir).ok();
}
