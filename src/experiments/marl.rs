//! `aga experiment cleanup`, `aga experiment harvest` and `aga experiment mmm2`: the paper's
//! main experiments (MATH.md §6). PPO agents train with every method over several seeds; the
//! table reports collective return and equality per method (mean ± std over seeds), and for
//! Selfish-MMM2 the win rate; the curves show them during training.
//!
//! Every run is an ordinary training run in `OUT/runs/LABEL-seedK` (the files of `aga train`,
//! so `aga plot` and `aga env render --checkpoint` work on it). A run folder that already holds
//! the same configuration is resumed from its checkpoint, or skipped when finished: an
//! interrupted experiment continues where it stopped.

use super::stats::Estimate;
use super::{
    markdown_table, progress_bar, write_json, write_text, ExperimentError, ExperimentOptions,
    Report,
};
use crate::plot;
use crate::training::{
    mean_band, open_run_with, read_column, read_curve, thread_pool, train_to_end, Resume, RunEnv,
    RunRecord, TrainingError,
};
use aga_envs::{EpisodeSummary, Mmm2, MultiAgentEnv, Ssd};
use aga_rl::{PolicyKind, RlMethod, Surrogate, TrainConfig, Trainer};
use burn::tensor::backend::Backend;
use serde::Serialize;
use std::path::{Path, PathBuf};

/// The budget and the methods of one experiment.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Preset {
    /// `default` or `full`.
    pub name: &'static str,
    /// The agents' networks.
    pub policy: PolicyKind,
    /// Environment steps per run.
    pub steps: u64,
    /// Seeds per method.
    pub seeds: usize,
    /// Adam's learning rate (of every method without its own).
    pub lr: f64,
    /// The methods, each with its `|λ|` and learning rate where it has them.
    pub methods: Vec<MethodSetting>,
}

/// One row of an experiment: a method, its `|λ|` where it has one, and its own learning rate
/// where it differs from the preset's (AgA's per-λ rates of the default budget).
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct MethodSetting {
    /// The update rule.
    pub method: RlMethod,
    /// `|λ|` of consensus, SGA and AgA.
    pub lambda: Option<f64>,
    /// Adam's learning rate for this row; `None`: the preset's.
    pub lr: Option<f64>,
}

impl MethodSetting {
    /// A method at the preset's learning rate.
    pub const fn new(method: RlMethod, lambda: Option<f64>) -> Self {
        Self {
            method,
            lambda,
            lr: None,
        }
    }

    /// The same method at its own learning rate.
    pub const fn with_lr(self, lr: f64) -> Self {
        Self {
            lr: Some(lr),
            ..self
        }
    }

    /// A file-system-safe name: `aga (λ=100)` at its own rate 3e-4 → `aga-lambda100-lr0.0003`.
    fn slug(&self) -> String {
        let mut slug = match self.lambda {
            Some(l) => format!("{}-lambda{l}", self.method),
            None => self.method.to_string(),
        };
        if let Some(lr) = self.lr {
            slug += &format!("-lr{lr}");
        }
        slug
    }
}

/// The paper's baselines: simul-ind, simul-co, SVO, and consensus and SGA at `|λ| = 1`.
fn baselines() -> Vec<MethodSetting> {
    vec![
        MethodSetting::new(RlMethod::SimulInd, None),
        MethodSetting::new(RlMethod::SimulCo, None),
        MethodSetting::new(RlMethod::Svo, None),
        MethodSetting::new(RlMethod::Consensus, Some(1.0)),
        MethodSetting::new(RlMethod::Sga, Some(1.0)),
    ]
}

/// The paper's sweep of AgA's `|λ|`.
pub const AGA_LAMBDAS: [f64; 4] = [0.1, 1.0, 100.0, 1000.0];

/// Adam's learning rates of the default budget's rows in one environment under one surrogate,
/// each the best of a small search (`scripts/lr_search.sh`, scored by `scripts/lr_search.py`;
/// the scores are in docs/marl/lr_search/): one 40-update run (seed 0) per rate, scored by the
/// collective return of its last 16 ended training episodes; the baselines over {3e-4, 1e-3,
/// 3e-3, 1e-2, 3e-2}, AgA over {1e-4, 3e-4, 1e-3, 3e-3, 1e-2, 3e-2} at each `|λ|` (Cleanup's
/// searched again at the table's own budget: [`CLEANUP_RATES`]).
#[derive(Debug, Clone, Copy)]
struct SearchedRates {
    simul_ind: f64,
    simul_co: f64,
    svo: f64,
    consensus: f64,
    /// Under PPO's per-agent surrogates SGA is simul-ind to the bit and takes its rate; under
    /// the joint surrogate it is searched on its own.
    sga: f64,
    /// AgA at each `|λ|` of [`AGA_LAMBDAS`].
    aga: [f64; 4],
}

/// The searched rates of `env` under `surrogate` (docs/marl/lr_search/ENV.md and ENV-dice.md;
/// Cleanup's under PPO from cleanup-budget-seeds.md).
fn searched_rates(env: &str, surrogate: Surrogate) -> SearchedRates {
    match (env, surrogate) {
        ("cleanup", Surrogate::Ppo) => CLEANUP_RATES,
        ("cleanup", Surrogate::Dice) => CLEANUP_DICE_RATES,
        (_, Surrogate::Dice) => HARVEST_DICE_RATES,
        _ => HARVEST_RATES,
    }
}

/// docs/marl/lr_search/harvest.md.
const HARVEST_RATES: SearchedRates = SearchedRates {
    simul_ind: 3e-2,
    simul_co: 1e-2,
    svo: 3e-3,
    consensus: 3e-2,
    sga: 3e-2,
    aga: [3e-2, 3e-2, 3e-2, 1e-2],
};

/// docs/marl/lr_search/harvest-dice.md: the same search under `--surrogate dice`, SGA included.
const HARVEST_DICE_RATES: SearchedRates = SearchedRates {
    simul_ind: 3e-2,
    simul_co: 1e-2,
    svo: 3e-2,
    consensus: 1e-2,
    sga: 3e-2,
    aga: [1e-2, 3e-2, 1e-2, 1e-2],
};

/// docs/marl/lr_search/cleanup-budget-seeds.md: searched at the table's own budget. (The
/// 40-update search, docs/marl/lr_search/cleanup.md, chose 3e-2 for every row; over 100 updates
/// AgA with `|λ| ≥ 1` diverged into mass firing on two of three seeds at that rate.)
const CLEANUP_RATES: SearchedRates = SearchedRates {
    simul_ind: 1e-2,
    simul_co: 1e-2,
    svo: 3e-2,
    consensus: 1e-2,
    sga: 1e-2,
    aga: [3e-3, 1e-2, 1e-2, 1e-2],
};

/// The default budget's steps per run under PPO's surrogate: 200 updates of 1024 steps (8 copies
/// × 128 steps), 25 episodes of 1000 steps per copy.
pub const DEFAULT_STEPS_PPO: u64 = 204_800;

/// The default budget's steps per run under the joint (DiCE) surrogate: 100 updates, 12 episodes
/// per copy (about an hour and a half per environment here already: docs/marl.md).
pub const DEFAULT_STEPS_DICE: u64 = 102_400;

/// docs/marl/lr_search/cleanup-dice.md: the 40-update search under `--surrogate dice`, SGA
/// included. (3e-2 won seven rows; under PPO that rate diverged in Cleanup over 100 updates for
/// AgA with `|λ| ≥ 1`, so this search was not repeated at the table's budget: docs/marl.md.)
const CLEANUP_DICE_RATES: SearchedRates = SearchedRates {
    simul_ind: 3e-2,
    simul_co: 3e-2,
    svo: 3e-2,
    consensus: 3e-2,
    sga: 3e-2,
    aga: [3e-2, 3e-2, 1e-2, 1e-2],
};

impl Preset {
    /// The default budget of `env` (`harvest` or `cleanup`): as many steps per run as fit in
    /// about an hour per environment on a 2-core machine (measured: docs/marl.md) —
    /// [`DEFAULT_STEPS_PPO`] under PPO's surrogate (51 and 49 minutes as two shards),
    /// [`DEFAULT_STEPS_DICE`] under the joint one, whose updates cost two to ten times more. The
    /// MLP policy on the one-hot view, three seeds, the baselines and AgA over the paper's `|λ|`
    /// sweep, every row at the learning rate of a small search under `surrogate`
    /// ([`SearchedRates`]). The environments are the reference ones (5 agents, the full maps,
    /// 1000-step episodes).
    pub fn default_budget(env: &str, surrogate: Surrogate) -> Self {
        let rates = searched_rates(env, surrogate);
        let mut methods = vec![
            MethodSetting::new(RlMethod::SimulInd, None).with_lr(rates.simul_ind),
            MethodSetting::new(RlMethod::SimulCo, None).with_lr(rates.simul_co),
            MethodSetting::new(RlMethod::Svo, None).with_lr(rates.svo),
            MethodSetting::new(RlMethod::Consensus, Some(1.0)).with_lr(rates.consensus),
            MethodSetting::new(RlMethod::Sga, Some(1.0)).with_lr(rates.sga),
        ];
        for (lambda, lr) in AGA_LAMBDAS.into_iter().zip(rates.aga) {
            methods.push(MethodSetting::new(RlMethod::Aga, Some(lambda)).with_lr(lr));
        }
        Self {
            name: "default",
            policy: PolicyKind::Mlp,
            steps: match surrogate {
                Surrogate::Ppo => DEFAULT_STEPS_PPO,
                Surrogate::Dice => DEFAULT_STEPS_DICE,
            },
            seeds: 3,
            lr: 1e-3,
            methods,
        }
    }

    /// `--full`: the CNN policy, 10⁷ steps per run, three seeds, and the paper's sweep of
    /// AgA's `|λ| ∈ {0.1, 1, 100, 1000}` (every method at one learning rate: no search was run
    /// at this scale). Far beyond a 2-core machine (docs/marl.md estimates the time from
    /// measured update costs).
    pub fn full() -> Self {
        let mut methods = baselines();
        methods.extend(
            AGA_LAMBDAS
                .into_iter()
                .map(|l| MethodSetting::new(RlMethod::Aga, Some(l))),
        );
        Self {
            name: "full",
            policy: PolicyKind::Cnn,
            steps: 10_000_000,
            seeds: 3,
            lr: 2.5e-4,
            methods,
        }
    }

    /// Selfish-MMM2's default budget: the MLP (MAPPO-style: masked actions, the collective
    /// critic on the global state), 3·10⁵ steps, three seeds (the sample std of fewer says
    /// little), lr 5·10⁻⁴ (MAPPO's), the baselines and AgA at `|λ| ∈ {1, 100}` (measured time:
    /// docs/marl.md).
    pub fn mmm2_default() -> Self {
        let mut methods = baselines();
        methods.push(MethodSetting::new(RlMethod::Aga, Some(1.0)));
        methods.push(MethodSetting::new(RlMethod::Aga, Some(100.0)));
        Self {
            name: "default",
            policy: PolicyKind::Mlp,
            steps: 300_000,
            seeds: 3,
            lr: 5e-4,
            methods,
        }
    }

    /// Selfish-MMM2 `--full`: 10⁷ steps (SMAC's budget for MAPPO's 90% win rate), three seeds,
    /// the λ sweep of the full preset.
    pub fn mmm2_full() -> Self {
        Self {
            policy: PolicyKind::Mlp,
            lr: 5e-4,
            ..Self::full()
        }
    }
}

/// The episode metrics an experiment's table and curves report for its environment.
fn reported(env: &RunEnv) -> &'static [&'static str] {
    match env {
        RunEnv::Ssd(_) => &["collective_return", "equality"],
        RunEnv::Battle(_) => &["win_rate", "collective_return", "equality"],
    }
}

/// One run's outcome: per reported metric (collective return, equality, win rate), its mean
/// over the last tenth of the updates that had an ended episode (`training`) and the greedy
/// policy's value on fresh episodes (`greedy`).
#[derive(Debug, Clone, Serialize)]
struct RunSummary {
    label: String,
    seed: u64,
    dir: PathBuf,
    training: std::collections::BTreeMap<String, f64>,
    /// Per metric, the training episodes its `training` value averages ([`late_episodes`]).
    training_episodes: std::collections::BTreeMap<String, usize>,
    greedy: std::collections::BTreeMap<String, f64>,
}

/// A method's row of the table: per metric, mean ± std over seeds.
#[derive(Debug, Clone, Serialize)]
struct MethodSummary {
    label: String,
    training: std::collections::BTreeMap<String, Estimate>,
    greedy: std::collections::BTreeMap<String, Estimate>,
}

fn training_error(e: TrainingError) -> ExperimentError {
    ExperimentError::Write {
        path: "a training run".into(),
        message: e.to_string(),
    }
}

/// A table row's label: the run's (`aga (λ=100)`), with the row's own learning rate where it has
/// one (`aga (λ=100), lr 0.0003`).
fn row_label(record: &RunRecord, setting: &MethodSetting) -> String {
    match setting.lr {
        Some(lr) => format!("{}, lr {lr}", record.label()),
        None => record.label(),
    }
}

/// The fewest training episodes the "last 10%" columns average per run: the window widens back
/// over earlier updates until it holds this many (or reaches the run's start).
pub const MIN_LATE_EPISODES: usize = 16;

/// A metric of the training episodes late in a run, and how many episodes it averages.
///
/// `rows` are a run's updates in order, each `(episodes that ended in it, the metric)`; an
/// update's metric is the mean over the episodes that ended in it, and repeats the last ended
/// episodes' where none did, so only updates with ended episodes count, each weighted by its
/// episodes. The window is the last tenth of the updates (at least one), widened back until it
/// holds `min_episodes` episodes or reaches the start. `(NaN, 0)` when no episode ended.
fn late_episodes(rows: &[(f64, f64)], min_episodes: usize) -> (f64, usize) {
    let start = rows.len() - (rows.len() / 10).max(1).min(rows.len());
    let (mut sum, mut episodes) = (0.0, 0usize);
    for (k, &(ended, value)) in rows.iter().enumerate().rev() {
        if k < start && episodes >= min_episodes {
            break;
        }
        if ended >= 1.0 && value.is_finite() {
            sum += ended * value;
            episodes += ended as usize;
        }
    }
    match episodes {
        0 => (f64::NAN, 0),
        n => (sum / n as f64, n),
    }
}

/// The points of `band` from environment step `x0` on.
fn band_from(band: &plot::Band, x0: f64) -> plot::Band {
    plot::Band {
        label: band.label.clone(),
        mean: band.mean.iter().copied().filter(|p| p.0 >= x0).collect(),
        band: band.band.iter().copied().filter(|p| p.0 >= x0).collect(),
    }
}

/// Draw `bands` of `metric` against environment steps into `path` ([`plot::bands`]); the path.
fn plot_bands(
    path: &Path,
    title: &str,
    metric: &str,
    bands: &[plot::Band],
) -> Result<PathBuf, ExperimentError> {
    plot::bands(path, title, ("environment steps", metric), bands).map_err(|message| {
        ExperimentError::Write {
            path: path.display().to_string(),
            message,
        }
    })?;
    Ok(path.to_path_buf())
}

/// One run of an experiment: what it trains, where, and its row.
struct PlannedRun {
    record: RunRecord,
    dir: PathBuf,
    label: String,
    seed: u64,
}

/// Why `run.dir` does not hold this run trained to its end, or `None` when it does: its
/// `config.json` records the same run, its checkpoint has every update (read from the
/// checkpoint's record of progress without loading the networks) and its `metrics.csv` a row
/// for each. Reads only.
fn unfinished(run: &PlannedRun) -> Option<String> {
    let record = match RunRecord::read(&run.dir) {
        Err(_) if !run.dir.exists() => return Some("absent".into()),
        Err(_) => return Some("no readable config.json".into()),
        Ok(r) => r,
    };
    if !record.same_run(&run.record) {
        return Some("trained with other options".into());
    }
    let total = run.record.train.total_updates();
    match aga_rl::checkpoint_updates(&run.dir.join("checkpoint")) {
        None => return Some("no checkpoint yet".into()),
        Some(u) if u < total => return Some(format!("at update {u} of {total}")),
        Some(_) => {}
    }
    match read_column(&run.dir, "update") {
        Ok(rows) if rows.len() as u64 == total && rows.last() == Some(&(total as f64)) => None,
        Ok(rows) => Some(format!("metrics.csv has {} of {total} updates", rows.len())),
        Err(_) => Some("no readable metrics.csv".into()),
    }
}

/// [`late_episodes`] of `column` in `dir/metrics.csv`.
fn late_mean(dir: &Path, column: &str) -> Result<(f64, usize), ExperimentError> {
    let ended = read_column(dir, "episodes_ended").map_err(training_error)?;
    let values = read_column(dir, column).map_err(training_error)?;
    let rows: Vec<(f64, f64)> = ended.into_iter().zip(values).collect();
    Ok(late_episodes(&rows, MIN_LATE_EPISODES))
}

/// Run the experiment on `env` with backend `B`.
pub fn run<B: Backend>(
    env: RunEnv,
    options: &ExperimentOptions,
) -> Result<Report, ExperimentError> {
    match &env {
        RunEnv::Ssd(c) => {
            let c = c.clone();
            run_on::<B, Ssd>(env, options, move |policy| {
                Ssd::new(c.clone(), policy.obs_kind())
                    .map_err(|e| ExperimentError::BadOption(e.to_string()))
            })
        }
        RunEnv::Battle(c) => {
            let c = c.clone();
            run_on::<B, Mmm2>(env, options, move |_| {
                Mmm2::new(c.clone()).map_err(|e| ExperimentError::BadOption(e.to_string()))
            })
        }
    }
}

fn run_on<B: Backend, E: MultiAgentEnv>(
    env: RunEnv,
    options: &ExperimentOptions,
    make_env: impl Fn(PolicyKind) -> Result<E, ExperimentError>,
) -> Result<Report, ExperimentError> {
    let (backend, dtype) = (options.backend.as_str(), options.dtype.as_str());
    let battle = matches!(env, RunEnv::Battle(_));
    let name = env.name();
    let metric_names = reported(&env);
    let surrogate = options.surrogate.unwrap_or_default();
    let mut preset = match (options.full, battle) {
        (true, false) => Preset::full(),
        (false, false) => Preset::default_budget(&name, surrogate),
        (true, true) => Preset::mmm2_full(),
        (false, true) => Preset::mmm2_default(),
    };
    if let Some(runs) = options.runs {
        preset.seeds = super::at_most("--runs", super::positive("--runs", runs)?, 100)?;
    }
    if let Some(steps) = options.steps {
        preset.steps = super::at_most(
            "--steps",
            super::positive("--steps", steps)?,
            10_000_000_000,
        )? as u64;
    }
    // `--lr` and `--lambda` set every row's: the per-λ rates belong to their λ.
    if let Some(lr) = options.lr {
        preset.lr = super::positive_f64("--lr", lr)?;
        preset.methods.iter_mut().for_each(|m| m.lr = None);
    }
    if let Some(l) = options.lambda {
        let l = super::positive_f64("--lambda", l)?;
        preset.methods.retain(|m| m.method != RlMethod::Aga);
        for m in preset.methods.iter_mut().filter(|m| m.method.uses_lambda()) {
            *m = MethodSetting::new(m.method, Some(l));
        }
        preset
            .methods
            .push(MethodSetting::new(RlMethod::Aga, Some(l)));
    }
    if options.alpha.is_some() {
        return Err(ExperimentError::BadOption(
            "--alpha has no meaning here (no opponent-shaping rule runs in Cleanup or Harvest)"
                .into(),
        ));
    }
    let runs_dir = options.out.join("runs");
    if options.collect && options.shard.is_some() {
        return Err(ExperimentError::BadOption(
            "--collect and --shard exclude each other: shards train, --collect only gathers".into(),
        ));
    }
    // Every run of the experiment, in its one order (settings in table order, seeds within
    // each): `--shard I/N` takes the runs whose place in it is I modulo N.
    let mut plan = Vec::new();
    for setting in &preset.methods {
        for k in 0..preset.seeds {
            let seed = options.seed + k as u64;
            let mut train = TrainConfig::new(setting.method, preset.steps);
            train.lambda = setting.lambda;
            train.seed = seed;
            train.policy = preset.policy;
            train.ppo.lr = setting.lr.unwrap_or(preset.lr);
            train.centralised_critic |= battle;
            train.surrogate = surrogate;
            train
                .validate()
                .map_err(|e| ExperimentError::BadOption(e.to_string()))?;
            let record = RunRecord::new(train, env.clone(), backend, dtype);
            let dir = runs_dir.join(format!(
                "{}{}-seed{seed}",
                setting.slug(),
                surrogate.folder_suffix()
            ));
            let label = row_label(&record, setting);
            plan.push(PlannedRun {
                record,
                dir,
                label,
                seed,
            });
        }
    }
    let mine: Vec<&PlannedRun> = plan
        .iter()
        .enumerate()
        .filter(|(j, _)| options.shard.is_none_or(|s| s.takes(*j)))
        .map(|(_, run)| run)
        .collect();
    if options.collect {
        // Check every run before evaluating any, so that the error names all the missing ones.
        let missing: Vec<String> = plan
            .iter()
            .filter_map(|run| {
                let name = run
                    .dir
                    .file_name()
                    .map(|n| n.to_string_lossy().into_owned());
                unfinished(run).map(|why| format!("{} ({why})", name.unwrap_or_default()))
            })
            .collect();
        if !missing.is_empty() {
            const SHOWN: usize = 10;
            let mut listed = missing[..missing.len().min(SHOWN)].join(", ");
            if missing.len() > SHOWN {
                listed += &format!(", … and {} more", missing.len() - SHOWN);
            }
            return Err(ExperimentError::BadOption(format!(
                "--collect: {} of {} runs in {} are not finished: {listed}; finish the shards that own them (with the same options), or run the same command without --collect to train them here",
                missing.len(),
                plan.len(),
                runs_dir.display(),
            )));
        }
    } else {
        std::fs::create_dir_all(&runs_dir).map_err(|e| ExperimentError::Write {
            path: runs_dir.display().to_string(),
            message: e.to_string(),
        })?;
    }
    // A shard's runs that were finished before it started (they are evaluated again, not
    // retrained): its report says so rather than counting them as trained.
    let finished_before: Vec<bool> = match options.shard {
        Some(_) => mine.iter().map(|run| unfinished(run).is_none()).collect(),
        None => Vec::new(),
    };
    let total = preset.steps * mine.len() as u64;
    let bar = progress_bar(total, options.progress, &name);
    bar.set_style(
        indicatif::ProgressStyle::with_template(
            "{bar:30} {pos}/{len} env steps ({per_sec}, eta {eta}) {msg}",
        )
        .expect("valid template"),
    );
    let pool = thread_pool(options.threads).map_err(ExperimentError::BadOption)?;
    let mut summaries = Vec::new();
    let mut done_steps = 0u64;
    for run in &mine {
        let PlannedRun {
            record,
            dir,
            label,
            seed,
        } = run;
        let seed = *seed;
        bar.set_message(format!("{label} seed {seed}"));
        let base = done_steps;
        let run_env = make_env(preset.policy)?;
        let summary = pool.install(|| -> Result<RunSummary, ExperimentError> {
            let trainer = if options.collect {
                // Read only: the checkpoint checked above, loaded as it is.
                let trainer = Trainer::<B, E>::load_with_env(
                    record.train.clone(),
                    run_env,
                    Default::default(),
                    &dir.join("checkpoint"),
                )
                .map_err(|e| {
                    ExperimentError::BadOption(format!(
                        "--collect: the checkpoint of {} cannot be loaded: {e}",
                        dir.display()
                    ))
                })?;
                if !trainer.finished() {
                    return Err(ExperimentError::BadOption(format!(
                        "--collect: {} changed while collecting: its checkpoint is at update {}",
                        dir.display(),
                        trainer.updates()
                    )));
                }
                trainer
            } else {
                let (mut trainer, mut metrics) =
                    open_run_with::<B, E>(record, run_env, dir, Resume::IfSame, Default::default())
                        .map_err(training_error)?;
                bar.set_position(base + trainer.env_steps());
                train_to_end(&mut trainer, dir, &mut metrics, 10, |m| {
                    bar.set_position(base + m.env_steps)
                })
                .map_err(training_error)?;
                trainer
            };
            let eval = trainer
                .evaluate(2, seed ^ 0xE7A1)
                .map_err(|e| training_error(e.into()))?;
            if !options.collect {
                write_json(dir, "eval.json", &eval)?;
            }
            let named = eval.named();
            let mut training = std::collections::BTreeMap::new();
            let mut training_episodes = std::collections::BTreeMap::new();
            let mut greedy = std::collections::BTreeMap::new();
            for &metric in metric_names {
                let (value, episodes) = late_mean(dir, metric)?;
                training.insert(metric.to_string(), value);
                training_episodes.insert(metric.to_string(), episodes);
                let value = named.iter().find(|(n, _)| n == metric).map(|(_, v)| *v);
                greedy.insert(metric.to_string(), value.unwrap_or(f64::NAN));
            }
            Ok(RunSummary {
                label: label.clone(),
                seed,
                dir: dir.clone(),
                training,
                training_episodes,
                greedy,
            })
        })?;
        done_steps += preset.steps;
        summaries.push(summary);
    }
    if let Some(shard) = options.shard {
        bar.finish_and_clear();
        let reused = finished_before.iter().filter(|&&f| f).count();
        let mut table = format!(
            "{name}: shard {shard} holds {} of the experiment's {} runs: trained {}, {reused} already finished (evaluated again, not retrained):\n",
            mine.len(),
            plan.len(),
            mine.len() - reused,
        );
        for (run, &before) in mine.iter().zip(&finished_before) {
            let how = if before {
                "already finished"
            } else {
                "trained"
            };
            table += &format!("  {} ({how})\n", run.dir.display());
        }
        table += &format!(
            "When every shard has finished, `aga experiment {name} --collect` with the same options writes the table, summary and curves into {}.\n",
            options.out.display()
        );
        return Ok(Report {
            table,
            files: mine.iter().map(|run| run.dir.clone()).collect(),
        });
    }
    bar.finish_and_clear();

    // The table: one row per method, mean ± std over seeds.
    let mut methods: Vec<MethodSummary> = Vec::new();
    for setting in &preset.methods {
        let record = RunRecord::new(
            TrainConfig {
                lambda: setting.lambda,
                surrogate,
                ..TrainConfig::new(setting.method, 1)
            },
            env.clone(),
            backend,
            dtype,
        );
        let label = row_label(&record, setting);
        let of = |f: &dyn Fn(&RunSummary) -> f64| {
            Estimate::of(
                &summaries
                    .iter()
                    .filter(|s| s.label == label)
                    .map(f)
                    .filter(|x| x.is_finite())
                    .collect::<Vec<_>>(),
            )
        };
        let mut training = std::collections::BTreeMap::new();
        let mut greedy = std::collections::BTreeMap::new();
        for &metric in metric_names {
            training.insert(metric.to_string(), of(&|s| s.training[metric]));
            greedy.insert(metric.to_string(), of(&|s| s.greedy[metric]));
        }
        methods.push(MethodSummary {
            label: label.clone(),
            training,
            greedy,
        });
    }
    // "—" where no episode ended within the budget.
    let show = |e: &Estimate, digits: usize| {
        if e.mean.is_finite() {
            e.show_sample_std(digits)
        } else {
            "—".to_string()
        }
    };
    let digits = |metric: &str| if metric == "collective_return" { 1 } else { 3 };
    let rows: Vec<Vec<String>> = methods
        .iter()
        .map(|m| {
            let mut row = vec![m.label.clone()];
            row.extend(
                metric_names
                    .iter()
                    .map(|&k| show(&m.training[k], digits(k))),
            );
            row.extend(metric_names.iter().map(|&k| show(&m.greedy[k], digits(k))));
            row
        })
        .collect();
    // The preset's rate only where a row runs at it; the rows' own rates are in their labels.
    let rate = if preset.methods.iter().all(|m| m.lr.is_some()) {
        "Adam's learning rate per row (in its label)".to_string()
    } else if preset.methods.iter().any(|m| m.lr.is_some()) {
        format!("lr {} where a row names none", preset.lr)
    } else {
        format!("lr {}", preset.lr)
    };
    let title = format!(
        "{} — preset {}: {} policy, {surrogate} surrogate, {} env steps per run, {} seed{} per method, {rate} ({backend} {dtype})\n\n",
        name,
        preset.name,
        preset.policy,
        preset.steps,
        preset.seeds,
        if preset.seeds == 1 { "" } else { "s" },
    );
    // How many training episodes the "last 10%" columns average, per run.
    let counts: Vec<usize> = summaries
        .iter()
        .map(|s| s.training_episodes[metric_names[0]])
        .collect();
    let title = title
        + &format!(
            "Training columns: the mean over the training episodes that ended in the last 10% of each run's updates, the window widened back to at least {MIN_LATE_EPISODES} episodes; {}–{} episodes per run, then mean ± sample std (n − 1) over seeds.\n\n",
            counts.iter().min().unwrap_or(&0),
            counts.iter().max().unwrap_or(&0),
        );
    let label = |k: &str| k.replace('_', " ");
    let mut header = vec!["method".to_string()];
    header.extend(
        metric_names
            .iter()
            .map(|k| format!("{} (training, last 10%)", label(k))),
    );
    header.extend(
        metric_names
            .iter()
            .map(|k| format!("{} (greedy)", label(k))),
    );
    let header: Vec<&str> = header.iter().map(String::as_str).collect();
    let table = title + &markdown_table(&header, &rows);
    let mut files = Vec::new();
    #[derive(Serialize)]
    struct Summary<'a> {
        env: &'a str,
        preset: &'a Preset,
        backend: &'a str,
        dtype: &'a str,
        surrogate: Surrogate,
        methods: &'a [MethodSummary],
        runs: &'a [RunSummary],
    }
    files.push(write_json(
        &options.out,
        "summary.json",
        &Summary {
            env: &name,
            preset: &preset,
            backend,
            dtype,
            surrogate,
            methods: &methods,
            runs: &summaries,
        },
    )?);
    let mut table = table;
    for metric in metric_names.iter().copied().chain(["reward_per_step"]) {
        let mut bands = Vec::new();
        for m in &methods {
            let curves = summaries
                .iter()
                .filter(|s| s.label == m.label)
                .map(|s| read_curve(&s.dir, metric))
                .collect::<Result<Vec<_>, _>>()
                .map_err(training_error)?;
            bands.push(mean_band(m.label.clone(), &curves));
        }
        if bands.iter().all(|b| b.mean.is_empty()) {
            // No episode ended within the budget (episodes are 1000 steps per copy).
            table += &format!("\n(no {metric} curve: no episode ended within the budget)\n");
            continue;
        }
        files.push(plot_bands(
            &options.out.join(format!("{metric}.png")),
            &format!("{name}: {metric} (mean ± std over seeds)"),
            metric,
            &bands,
        )?);
        if metric == "collective_return" {
            // The whole run's range is set by the first episodes' fines (thousands below zero
            // in Cleanup and Harvest), which flattens the differences at the end: the second
            // half of training on its own axis.
            let half = preset.steps as f64 / 2.0;
            let late: Vec<plot::Band> = bands.iter().map(|b| band_from(b, half)).collect();
            if late.iter().any(|b| !b.mean.is_empty()) {
                files.push(plot_bands(
                    &options.out.join(format!("{metric}_second_half.png")),
                    &format!("{name}: {metric}, second half of training (mean ± std over seeds)"),
                    metric,
                    &late,
                )?);
            }
        }
    }
    files.push(write_text(&options.out, "table.md", &table)?);
    Ok(Report { table, files })
}

#[cfg(test)]
mod tests {
    use super::{late_episodes, searched_rates, Preset, SearchedRates, Surrogate, AGA_LAMBDAS};

    /// The "chosen lr" column of a committed search table, by setting.
    fn chosen(table: &str) -> Vec<(String, f64)> {
        table
            .lines()
            .filter(|l| l.starts_with("| ") && !l.starts_with("| setting"))
            .map(|l| {
                let cells: Vec<&str> = l.split('|').map(str::trim).collect();
                let rate = cells[cells.len() - 2].split(' ').next().unwrap();
                (cells[1].to_string(), rate.parse().unwrap())
            })
            .collect()
    }

    fn rate_of(rates: &SearchedRates, setting: &str) -> f64 {
        match setting {
            "simul-ind" => rates.simul_ind,
            "simul-co" => rates.simul_co,
            "svo" => rates.svo,
            "consensus-lambda1" => rates.consensus,
            "sga-lambda1" => rates.sga,
            aga => {
                let lambda: f64 = aga.strip_prefix("aga-lambda").unwrap().parse().unwrap();
                rates.aga[AGA_LAMBDAS.iter().position(|&l| l == lambda).unwrap()]
            }
        }
    }

    /// The committed default tables (docs/marl/harvest/, docs/marl/cleanup/,
    /// docs/marl/harvest-dice/ and docs/marl/cleanup-dice/, written by `aga experiment` runs) are
    /// what the default command makes today: each summary.json's preset — steps, seeds, policy,
    /// every row's rate — and surrogate are the default budget's.
    #[test]
    fn committed_default_tables_are_the_default_budget() {
        let tables = [
            (
                "harvest",
                Surrogate::Ppo,
                include_str!("../../docs/marl/harvest/summary.json"),
            ),
            (
                "cleanup",
                Surrogate::Ppo,
                include_str!("../../docs/marl/cleanup/summary.json"),
            ),
            (
                "harvest",
                Surrogate::Dice,
                include_str!("../../docs/marl/harvest-dice/summary.json"),
            ),
            (
                "cleanup",
                Surrogate::Dice,
                include_str!("../../docs/marl/cleanup-dice/summary.json"),
            ),
        ];
        for (env, surrogate, summary) in tables {
            let committed: serde_json::Value = serde_json::from_str(summary).unwrap();
            let preset = serde_json::to_value(Preset::default_budget(env, surrogate)).unwrap();
            assert_eq!(committed["preset"], preset, "{env} {surrogate:?}");
            assert_eq!(committed["env"], env);
            let name = serde_json::to_value(surrogate).unwrap();
            assert_eq!(committed["surrogate"], name, "{env} {surrogate:?}");
        }
    }

    /// The preset's rates are the committed searches' choices (the search tables are written by
    /// scripts/lr_search.py and scripts/lr_search_budget.py from the runs, not by this code):
    /// Harvest's of the 40-update searches under each surrogate, Cleanup's of the search at the
    /// half budget under PPO and of the 40-update search under dice.
    #[test]
    fn preset_rates_are_the_searches_choices() {
        let harvest = chosen(include_str!("../../docs/marl/lr_search/harvest.md"));
        let harvest_dice = chosen(include_str!("../../docs/marl/lr_search/harvest-dice.md"));
        let cleanup = chosen(include_str!(
            "../../docs/marl/lr_search/cleanup-budget-seeds.md"
        ));
        let cleanup_dice = chosen(include_str!("../../docs/marl/lr_search/cleanup-dice.md"));
        assert_eq!(
            (
                harvest.len(),
                harvest_dice.len(),
                cleanup.len(),
                cleanup_dice.len()
            ),
            (8, 9, 8, 9)
        );
        let tables = [
            ("harvest", Surrogate::Ppo, &harvest),
            ("harvest", Surrogate::Dice, &harvest_dice),
            ("cleanup", Surrogate::Ppo, &cleanup),
            ("cleanup", Surrogate::Dice, &cleanup_dice),
        ];
        for (env, surrogate, table) in tables {
            for (setting, rate) in table {
                let preset = rate_of(&searched_rates(env, surrogate), setting);
                assert_eq!(preset, *rate, "{env} {surrogate:?} {setting}");
            }
        }
        // SGA is searched only where it differs from simul-ind.
        for env in ["harvest", "cleanup"] {
            let ppo = searched_rates(env, Surrogate::Ppo);
            assert_eq!(ppo.sga, ppo.simul_ind, "{env}");
        }
        for dice in [&harvest_dice, &cleanup_dice] {
            assert!(dice.iter().any(|(s, _)| s == "sga-lambda1"));
        }
    }

    #[test]
    fn late_episodes_count_each_ended_episode_once() {
        // Ten updates; episodes end in updates 3 (2 episodes, mean 1.0), 6 (1, 4.0) and 9 (3,
        // 2.0); the other rows repeat the last ended episodes' value, and the first two have
        // none. The last tenth is update 10 alone, which has no ended episode: the window
        // widens back to update 9 (3 episodes), then 6 (4 episodes).
        let rows = [
            (0.0, f64::NAN),
            (0.0, f64::NAN),
            (2.0, 1.0),
            (0.0, 1.0),
            (0.0, 1.0),
            (1.0, 4.0),
            (0.0, 4.0),
            (0.0, 4.0),
            (3.0, 2.0),
            (0.0, 2.0),
        ];
        let (mean, n) = late_episodes(&rows, 1);
        assert_eq!((mean, n), (2.0, 3));
        let (mean, n) = late_episodes(&rows, 4);
        assert_eq!(n, 4);
        assert!((mean - (3.0 * 2.0 + 4.0) / 4.0).abs() < 1e-15, "{mean}");
        // More than the run has: every episode, once each.
        let (mean, n) = late_episodes(&rows, 100);
        assert_eq!(n, 6);
        assert!((mean - (2.0 + 4.0 + 6.0) / 6.0).abs() < 1e-15, "{mean}");
        // No episode ended: NaN, not a number that looks like a result.
        let (mean, n) = late_episodes(&[(0.0, f64::NAN); 5], 16);
        assert!(mean.is_nan() && n == 0);
        assert!(late_episodes(&[], 16).0.is_nan());
    }
}
