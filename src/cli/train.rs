//! `aga train` (PPO agents in Cleanup or Harvest, MATH.md §6) and `aga plot` (their learning
//! curves).

use super::args::{PlotArgs, TrainArgs};
use super::parallel::{self, Role};
use super::CliError;
use crate::plot;
use crate::training::{
    mean_band, open_run_with, open_worker_run, read_curve, thread_pool, train_to_end, Resume,
    RunEnv, RunRecord,
};
use aga_envs::{BattleConfig, Env, EnvConfig, EnvKind, EpisodeSummary, Mmm2, MultiAgentEnv, Ssd};
use aga_rl::{PolicyKind, RlMethod, TrainConfig, Trainer};
use burn::tensor::backend::Backend;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};

/// The most environment steps one `aga train` takes.
pub const MAX_TRAIN_STEPS: u64 = 10_000_000_000;

fn read_json_file(path: &Path) -> Result<String, CliError> {
    std::fs::read_to_string(path).map_err(|e| CliError::ConfigFile {
        path: path.display().to_string(),
        message: e.to_string(),
    })
}

fn io_error(path: &Path, e: impl std::fmt::Display) -> CliError {
    CliError::Io {
        path: path.display().to_string(),
        source: std::io::Error::other(e.to_string()),
    }
}

/// The battle `name` (a preset), patched by the JSON file `file` (any of its fields); battles
/// fix their teams in the file, not with `--agents`.
pub(crate) fn battle_config(
    name: &str,
    file: Option<&Path>,
    agents: Option<usize>,
) -> Result<BattleConfig, CliError> {
    if agents.is_some() {
        return Err(CliError::BadValue(format!(
            "--agents does not apply to {name}: set the squads (`allies`) in a battle config file"
        )));
    }
    let preset = BattleConfig::preset(name).map_err(|e| CliError::BadValue(e.to_string()))?;
    match file {
        None => Ok(preset),
        Some(path) => {
            let text = read_json_file(path)?;
            preset.patched(&text).map_err(|e| CliError::ConfigFile {
                path: path.display().to_string(),
                message: e.to_string(),
            })
        }
    }
}

/// The environment of a run or an experiment: Cleanup or Harvest (`kind`) as `preset` says with
/// the `file`'s fields on top, or the battle `name` with its config file; checked.
pub(crate) fn run_env(
    kind: Option<EnvKind>,
    name: &str,
    file: Option<&Path>,
    preset: Option<&str>,
    agents: Option<usize>,
) -> Result<RunEnv, CliError> {
    let Some(kind) = kind else {
        if preset.is_some() {
            return Err(CliError::BadValue(
                "--env-preset applies to cleanup and harvest (a battle takes --env-config)".into(),
            ));
        }
        return Ok(RunEnv::Battle(battle_config(name, file, agents)?));
    };
    let preset = super::env::env_preset(preset)?;
    let mut env = match file {
        Some(path) => {
            let text = read_json_file(path)?;
            EnvConfig::from_json_over(&text, Some(kind), preset).map_err(|e| {
                CliError::ConfigFile {
                    path: path.display().to_string(),
                    message: e.to_string(),
                }
            })?
        }
        None => EnvConfig::preset(kind, preset),
    };
    if let Some(n) = agents {
        env.agents = n;
    }
    Env::new(env.clone()).map_err(|e| CliError::BadValue(e.to_string()))?;
    Ok(RunEnv::Ssd(env))
}

/// The configuration of a new run from the arguments and files.
fn new_record(args: &TrainArgs, backend: &str, dtype: &str) -> Result<RunRecord, CliError> {
    let need = |what: Option<&String>, flag: &str| {
        what.cloned()
            .ok_or_else(|| CliError::BadValue(format!("{flag} is required (or --resume DIR)")))
    };
    let env_name = need(args.env.as_ref(), "--env")?;
    let battle = BattleConfig::PRESETS.contains(&env_name.as_str());
    let kind: Option<EnvKind> = match battle {
        true => None,
        false => Some(
            env_name
                .parse()
                .map_err(|e: aga_envs::EnvError| CliError::BadValue(e.to_string()))?,
        ),
    };
    let method: RlMethod = need(args.method.as_ref(), "--method")?
        .parse()
        .map_err(|e: aga_rl::ConfigError| CliError::BadValue(e.to_string()))?;
    let steps = args
        .steps
        .ok_or_else(|| CliError::BadValue("--steps is required (or --resume DIR)".into()))?;
    if steps == 0 || steps > MAX_TRAIN_STEPS {
        return Err(CliError::BadValue(format!(
            "--steps must be between 1 and {MAX_TRAIN_STEPS}, got {steps}"
        )));
    }
    let bad = |e: aga_rl::ConfigError| CliError::BadValue(e.to_string());
    let mut train = TrainConfig::new(method, steps);
    if let Some(path) = &args.config {
        let text = read_json_file(path)?;
        train = train.patched(&text).map_err(|e| CliError::ConfigFile {
            path: path.display().to_string(),
            message: e.to_string(),
        })?;
        // The command line's method and steps win over the file's.
        train.method = method;
        train.steps = steps;
    }
    if let Some(l) = args.lambda {
        train.lambda = Some(l);
    }
    if let Some(s) = args.seed {
        train.seed = s;
    }
    if let Some(p) = &args.policy {
        train.policy = p.parse().map_err(bad)?;
    } else if battle {
        // A battle's observation is a feature vector: the MLP reads it.
        train.policy = PolicyKind::Mlp;
    }
    if let Some(e) = args.envs {
        train.ppo.envs = e;
    }
    if args.centralised_critic || battle {
        // A battle has a global state (SMAC's): the collective critic reads it (MAPPO's
        // centralised critic); the agents' own critics read their observations.
        train.centralised_critic = true;
    }
    if args.diagnostics {
        train.diagnostics = true;
    }
    if let Some(lr) = args.lr {
        train.ppo.lr = lr;
    }
    if let Some(s) = &args.surrogate {
        train.surrogate = s.parse().map_err(bad)?;
    }
    train.validate().map_err(bad)?;
    let env = run_env(
        kind,
        &env_name,
        args.env_config.as_deref(),
        args.env_preset.as_deref(),
        args.agents,
    )?;
    let versions = [("aga", env!("CARGO_PKG_VERSION")), ("burn", "0.21.0")]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    Ok(RunRecord {
        train,
        env,
        backend: backend.to_string(),
        dtype: dtype.to_string(),
        versions,
    })
}

/// `aga train` on backend `B`.
pub(crate) fn train_on<B: Backend>(
    args: &TrainArgs,
    backend: &str,
    dtype: &str,
    out: &mut dyn Write,
) -> Result<(), CliError> {
    if args.checkpoint_every == 0 {
        return Err(CliError::BadValue(
            "--checkpoint-every must be at least 1".into(),
        ));
    }
    let pool = thread_pool(args.threads).map_err(CliError::BadValue)?;
    let (dir, record, resume) = match &args.resume {
        Some(dir) => {
            for (given, flag) in [
                (args.env.is_some(), "--env"),
                (args.method.is_some(), "--method"),
                (args.lambda.is_some(), "--lambda"),
                (args.agents.is_some(), "--agents"),
                (args.config.is_some(), "--config"),
                (args.env_config.is_some(), "--env-config"),
                (args.env_preset.is_some(), "--env-preset"),
                (args.seed.is_some(), "--seed"),
                (args.out.is_some(), "--out"),
                (args.policy.is_some(), "--policy"),
                (args.envs.is_some(), "--envs"),
                (args.centralised_critic, "--centralised-critic"),
                (args.diagnostics, "--diagnostics"),
                (args.lr.is_some(), "--lr"),
                (args.surrogate.is_some(), "--surrogate"),
            ] {
                if given {
                    return Err(CliError::BadValue(format!(
                        "{flag} is fixed by the run being resumed (only --steps, the backend, --threads and --quiet may change)"
                    )));
                }
            }
            let mut record = RunRecord::read(dir)?;
            if let Some(steps) = args.steps {
                if steps == 0 || steps > MAX_TRAIN_STEPS {
                    return Err(CliError::BadValue(format!(
                        "--steps must be between 1 and {MAX_TRAIN_STEPS}, got {steps}"
                    )));
                }
                record.train.steps = steps;
                record
                    .train
                    .validate()
                    .map_err(|e| CliError::BadValue(e.to_string()))?;
            }
            // The backend it continues on (bit-identical only on the one it was saved from,
            // which is the default when resuming).
            record.backend = backend.to_string();
            record.dtype = dtype.to_string();
            (dir.clone(), record, Resume::Always)
        }
        None => {
            let record = new_record(args, backend, dtype)?;
            let dir = args.out.clone().unwrap_or_else(|| {
                let surrogate = record.train.surrogate.folder_suffix();
                PathBuf::from("runs").join(format!(
                    "{}-{}{surrogate}-seed{}",
                    record.env.name(),
                    record.train.method,
                    record.train.seed
                ))
            });
            (dir, record, Resume::Never)
        }
    };
    let (dir, worker) = match parallel::role(args)? {
        Role::Launcher(n) => return parallel::launch(args, n, record.train.ppo.envs, &dir),
        Role::Single => (dir, None),
        Role::Worker(config) => (parallel::worker_dir(&dir, config.rank), Some(config)),
    };
    match record.env.clone() {
        RunEnv::Ssd(config) => {
            let env = Ssd::new(config, record.train.policy.obs_kind())
                .map_err(|e| CliError::BadValue(e.to_string()))?;
            drive::<B, Ssd>(
                args,
                &record,
                env,
                &dir,
                (resume, worker.clone()),
                (backend, dtype),
                &pool,
                out,
            )
        }
        RunEnv::Battle(config) => {
            let env = Mmm2::new(config).map_err(|e| CliError::BadValue(e.to_string()))?;
            drive::<B, Mmm2>(
                args,
                &record,
                env,
                &dir,
                (resume, worker.clone()),
                (backend, dtype),
                &pool,
                out,
            )
        }
    }
}

/// The value of the episode metric `name`, if the environment has it.
fn metric(m: &impl EpisodeSummary, name: &str) -> Option<f64> {
    m.named()
        .into_iter()
        .find(|(n, _)| n == name)
        .map(|(_, v)| v)
}

/// A short summary of episode metrics: the ones of `names` the environment has.
fn summary(m: &impl EpisodeSummary) -> String {
    [
        ("win_rate", "win rate", 3),
        ("collective_return", "collective return", 2),
        ("equality", "equality", 3),
        ("team_return", "SMAC team return", 2),
        ("apples_eaten", "apples eaten", 1),
        ("beams_fired", "beams fired", 1),
    ]
    .into_iter()
    .filter_map(|(name, label, digits)| metric(m, name).map(|v| format!("{label} {v:.digits$}")))
    .collect::<Vec<_>>()
    .join(", ")
}

/// Train `record` on `env` to the end of its budget, then evaluate the greedy policy.
#[allow(clippy::too_many_arguments)]
fn drive<B: Backend, E: MultiAgentEnv>(
    args: &TrainArgs,
    record: &RunRecord,
    env: E,
    dir: &Path,
    (resume, worker): (Resume, Option<aga_rl::parallel::CollectiveConfig>),
    (backend, dtype): (&str, &str),
    pool: &rayon::ThreadPool,
    out: &mut dyn Write,
) -> Result<(), CliError> {
    let device = B::Device::default();
    let (mut trainer, mut metrics) = match worker {
        None => open_run_with::<B, E>(record, env, dir, resume, device)?,
        Some(config) => {
            let all_reduce = parallel::join(config)?;
            open_worker_run::<B, E>(record, env, dir, resume, device, all_reduce)?
        }
    };
    // A data-parallel run's workers take the same steps; rank 0 reports and evaluates.
    let lead = trainer.worker().is_none_or(|(rank, _)| rank == 0);
    let agents = record.env.agents();
    let metrics_path = dir.join("metrics.csv");

    let total = trainer.total_updates() * trainer.steps_per_update();
    let bar = if args.quiet {
        ProgressBar::hidden()
    } else {
        ProgressBar::with_draw_target(Some(total), ProgressDrawTarget::stderr())
    };
    bar.set_style(
        ProgressStyle::with_template("{bar:30} {pos}/{len} env steps ({per_sec}, eta {eta}) {msg}")
            .expect("valid template"),
    );
    bar.set_position(trainer.env_steps());
    pool.install(|| {
        train_to_end(
            &mut trainer,
            dir,
            &mut metrics,
            args.checkpoint_every,
            |m| {
                bar.set_position(m.env_steps);
                bar.set_message(match &m.episode {
                    Some(e) => summary(e),
                    None => format!("reward/step {:.3}", m.reward_per_step),
                });
            },
        )
    })?;
    bar.finish_and_clear();
    if !lead {
        return Ok(());
    }
    let say = |out: &mut dyn Write, line: String| writeln!(out, "{line}").map_err(CliError::output);
    say(
        out,
        format!(
            "{} on {} with {} agents: {} updates, {} env steps ({backend} {dtype}); metrics in {}",
            record.train.method,
            record.env.name(),
            agents,
            trainer.updates(),
            trainer.env_steps(),
            metrics_path.display()
        ),
    )?;
    if let (Some((_, workers)), Some(stats)) = (trainer.worker(), trainer.reduce_stats()) {
        say(
            out,
            format!(
                "data-parallel over {workers} workers: rank 0 made {} reductions of {:.1} M numbers in all, {:.1} s in them",
                stats.calls,
                stats.values as f64 / 1e6,
                stats.seconds
            ),
        )?;
    }
    if args.eval_episodes > 0 {
        let eval =
            pool.install(|| trainer.evaluate(args.eval_episodes, record.train.seed ^ 0xE7A1))?;
        let path = dir.join("eval.json");
        let text = serde_json::to_string_pretty(&eval).expect("metrics serialise");
        std::fs::write(&path, text).map_err(|e| io_error(&path, e))?;
        say(
            out,
            format!(
                "greedy policy over {} episodes: {} ({})",
                args.eval_episodes,
                summary(&eval),
                path.display()
            ),
        )?;
    }
    Ok(())
}

/// A policy acting in one environment: fills one action per agent.
pub(crate) type Act = Box<dyn FnMut(&Env, &mut [u8])>;

/// The greedy policy of the run in `dir` (ndarray, f32), with its environment configuration.
pub(crate) type TrainedPolicy = (EnvConfig, Act);

/// Load the run saved in `dir` for rendering.
pub(crate) fn trained_policy(dir: &Path) -> Result<TrainedPolicy, CliError> {
    type B = aga_burn::backends::CpuF32;
    aga_burn::backends::use_float_dtype::<B>(burn::tensor::DType::F32)
        .map_err(CliError::BadValue)?;
    let record = RunRecord::read(dir)?;
    let env = record.env.ssd().cloned().ok_or_else(|| {
        CliError::BadValue(format!(
            "the run in {} is a battle: render it with --env {}",
            dir.display(),
            record.env.name()
        ))
    })?;
    let trainer = Trainer::<B>::load(
        record.train.clone(),
        env.clone(),
        Default::default(),
        &dir.join("checkpoint"),
    )?;
    let kind = record.train.policy.obs_kind();
    let act = move |env: &Env, actions: &mut [u8]| {
        let mut obs = vec![0u8; env.obs_len(kind) * env.num_agents()];
        env.observe(kind, &mut obs)
            .expect("the buffer has the right size");
        trainer.greedy_actions(&obs, actions);
    };
    Ok((env, Box::new(act)))
}

/// `aga plot`: one curve per method (mean over the runs of that method, with a ± std band).
pub(crate) fn plot_command(args: PlotArgs, out: &mut dyn Write) -> Result<(), CliError> {
    if args.out.extension().and_then(|e| e.to_str()) != Some("png") {
        return Err(CliError::BadValue(format!(
            "--out {} must end in .png",
            args.out.display()
        )));
    }
    let mut groups: BTreeMap<String, Vec<Vec<(f64, f64)>>> = BTreeMap::new();
    for dir in &args.runs {
        let record = RunRecord::read(dir)?;
        let curve = read_curve(dir, &args.metric)?;
        groups.entry(record.label()).or_default().push(curve);
    }
    let series: Vec<plot::Band> = groups
        .into_iter()
        .map(|(label, runs)| {
            let label = format!(
                "{label} ({} run{})",
                runs.len(),
                if runs.len() == 1 { "" } else { "s" }
            );
            mean_band(label, &runs)
        })
        .collect();
    plot::bands(
        &args.out,
        &format!("{} during training", args.metric),
        ("environment steps", &args.metric),
        &series,
    )
    .map_err(|message| io_error(&args.out, message))?;
    writeln!(out, "wrote {}", args.out.display()).map_err(CliError::output)
}
