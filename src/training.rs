//! Training runs on disk, shared by `aga train`, `aga plot`, `aga env render --checkpoint` and
//! the reinforcement-learning experiments: a run's folder holds `config.json` ([`RunRecord`]),
//! `metrics.csv` (one row per update, [`metrics_header`]), `checkpoint/` and `eval.json`.

use aga_envs::{BattleConfig, EnvConfig, EpisodeSummary, Mmm2, MultiAgentEnv, Ssd};
use aga_rl::{RlError, TrainConfig, Trainer, UpdateMetrics};
use burn::tensor::backend::Backend;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use thiserror::Error;

/// What can go wrong with a run's files or its training.
#[derive(Debug, Error)]
pub enum TrainingError {
    /// Training failed.
    #[error(transparent)]
    Rl(#[from] RlError),
    /// A file of the run could not be read or written.
    #[error("{path}: {message}")]
    File {
        /// The file.
        path: String,
        /// What went wrong.
        message: String,
    },
}

fn file_error(path: &Path, e: impl std::fmt::Display) -> TrainingError {
    TrainingError::File {
        path: path.display().to_string(),
        message: e.to_string(),
    }
}

/// The environment a run trains on: a sequential social dilemma (Cleanup, Harvest) or a
/// battle (Selfish-MMM2 and the other [`BattleConfig`] presets). In `config.json` it is the
/// configuration itself; which one it is follows from its fields.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum RunEnv {
    /// Cleanup or Harvest.
    Ssd(EnvConfig),
    /// A battle.
    Battle(BattleConfig),
}

impl RunEnv {
    /// The environment's name (`harvest`, `cleanup`, `mmm2`, …).
    pub fn name(&self) -> String {
        match self {
            RunEnv::Ssd(c) => c.kind.name().to_string(),
            RunEnv::Battle(c) => c.name.clone(),
        }
    }

    /// The learners.
    pub fn agents(&self) -> usize {
        match self {
            RunEnv::Ssd(c) => c.agents,
            RunEnv::Battle(c) => c.num_allies(),
        }
    }

    /// The dilemma's configuration, for what only Cleanup and Harvest have (rendering).
    pub fn ssd(&self) -> Option<&EnvConfig> {
        match self {
            RunEnv::Ssd(c) => Some(c),
            RunEnv::Battle(_) => None,
        }
    }
}

impl From<EnvConfig> for RunEnv {
    fn from(c: EnvConfig) -> Self {
        RunEnv::Ssd(c)
    }
}

impl From<BattleConfig> for RunEnv {
    fn from(c: BattleConfig) -> Self {
        RunEnv::Battle(c)
    }
}

/// What `DIR/config.json` holds: everything the run was made from.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RunRecord {
    /// The training configuration (method, λ, PPO, policy, steps, seed).
    pub train: TrainConfig,
    /// The environment.
    pub env: RunEnv,
    /// The backend it ran on.
    pub backend: String,
    /// Its float precision.
    pub dtype: String,
    /// The versions of aga and Burn.
    pub versions: BTreeMap<String, String>,
}

impl RunRecord {
    /// Whether `other` describes the same run: configuration, environment, backend and
    /// precision (the versions may differ).
    pub fn same_run(&self, other: &RunRecord) -> bool {
        self.train == other.train
            && self.env == other.env
            && self.backend == other.backend
            && self.dtype == other.dtype
    }

    /// A record of this build's versions.
    pub fn new(train: TrainConfig, env: impl Into<RunEnv>, backend: &str, dtype: &str) -> Self {
        let versions = [("aga", env!("CARGO_PKG_VERSION")), ("burn", "0.21.0")]
            .into_iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        Self {
            train,
            env: env.into(),
            backend: backend.to_string(),
            dtype: dtype.to_string(),
            versions,
        }
    }

    /// The run's label in plots and tables: the method, with `λ` where it has one and the
    /// surrogate where it is not PPO's (`sga (λ=1, dice)`).
    pub fn label(&self) -> String {
        let mut notes = Vec::new();
        if let Some(l) = self.train.effective_lambda() {
            notes.push(format!("λ={l}"));
        }
        if self.train.surrogate != aga_rl::Surrogate::Ppo {
            notes.push(self.train.surrogate.to_string());
        }
        match notes.is_empty() {
            true => self.train.method.to_string(),
            false => format!("{} ({})", self.train.method, notes.join(", ")),
        }
    }

    /// Read `dir/config.json`.
    pub fn read(dir: &Path) -> Result<Self, TrainingError> {
        let path = dir.join("config.json");
        let text = std::fs::read_to_string(&path).map_err(|e| file_error(&path, e))?;
        serde_json::from_str(&text).map_err(|e| file_error(&path, e))
    }

    /// Write `dir/config.json` (creating `dir`).
    pub fn write(&self, dir: &Path) -> Result<PathBuf, TrainingError> {
        std::fs::create_dir_all(dir).map_err(|e| file_error(dir, e))?;
        let path = dir.join("config.json");
        let text = serde_json::to_string_pretty(self).expect("the record serialises");
        std::fs::write(&path, text).map_err(|e| file_error(&path, e))?;
        Ok(path)
    }
}

/// The columns of `metrics.csv` before and after the episode's: the update, then (after the
/// environment's episode metrics, [`EpisodeSummary::named`]) the rule's and PPO's diagnostics.
const LEADING: [&str; 5] = [
    "update",
    "env_steps",
    "lr",
    "reward_per_step",
    "episodes_ended",
];
const TRAILING: [&str; 14] = [
    "lambda",
    "xi_norm",
    "xi_c_norm",
    "cos_xi_xi_c",
    "positive_alignment",
    "policy_loss",
    "value_loss",
    "approx_kl",
    "clip_fraction",
    "entropy",
    "explained_variance",
    "explained_variance_collective",
    "seconds",
    "env_steps_per_second",
];

/// The columns of `metrics.csv` for an environment whose episode metrics are named
/// `episode_columns` (e.g. `collective_return`, `return_agent_0`, …, `equality`, and the
/// environment's own: apples eaten for Harvest, `win_rate` for a battle).
pub fn metrics_header(episode_columns: &[String]) -> Vec<String> {
    LEADING
        .iter()
        .map(|s| s.to_string())
        .chain(episode_columns.iter().cloned())
        .chain(TRAILING.iter().map(|s| s.to_string()))
        .collect()
}

/// The episode columns of environment `env` (its metrics' names, in order).
pub fn episode_columns<E: MultiAgentEnv>(env: &E) -> Vec<String> {
    env.episode_metrics()
        .named()
        .into_iter()
        .map(|(name, _)| name)
        .collect()
}

/// One row of `metrics.csv` under `episode_columns`; missing values (no episode ended yet, no
/// `λ`) are empty.
pub fn metrics_row<M: EpisodeSummary>(
    m: &UpdateMetrics<M>,
    episode_columns: &[String],
) -> Vec<String> {
    let num = |x: f64| {
        if x.is_finite() {
            format!("{x}")
        } else {
            String::new()
        }
    };
    let mut row = vec![
        m.update.to_string(),
        m.env_steps.to_string(),
        num(m.lr),
        num(m.reward_per_step),
        m.episodes_ended.to_string(),
    ];
    match &m.episode {
        Some(e) => {
            let named = e.named();
            row.extend(episode_columns.iter().map(|c| {
                named
                    .iter()
                    .find(|(name, _)| name == c)
                    .map_or(String::new(), |&(_, v)| num(v))
            }));
        }
        None => row.extend(std::iter::repeat_n(String::new(), episode_columns.len())),
    }
    let r = &m.rule;
    row.extend(
        [
            r.lambda,
            r.xi_norm,
            r.xi_c_norm,
            r.cos_xi_xi_c,
            r.positive_alignment,
            r.policy_loss,
            r.value_loss,
            m.ppo.approx_kl,
            m.ppo.clip_fraction,
            m.ppo.entropy,
            m.ppo.explained_variance,
            m.ppo.explained_variance_collective,
            m.seconds,
            m.env_steps_per_second,
        ]
        .map(num),
    );
    row
}

/// `metrics.csv`, open for appending rows.
pub struct MetricsFile {
    path: PathBuf,
    writer: csv::Writer<std::fs::File>,
    columns: Vec<String>,
}

impl MetricsFile {
    /// A new file with the header, or (with `keep_updates`, resuming) the existing file cut
    /// back to the rows of the first `keep_updates` updates: rows written after the last
    /// checkpoint are redone.
    pub fn open(
        path: &Path,
        episode_columns: Vec<String>,
        keep_updates: Option<u64>,
    ) -> Result<Self, TrainingError> {
        let header = metrics_header(&episode_columns);
        let mut kept: Vec<csv::StringRecord> = Vec::new();
        if let Some(k) = keep_updates {
            let mut reader = csv::Reader::from_path(path).map_err(|e| file_error(path, e))?;
            // A file written by an older version may lack columns added since (e.g. the
            // per-agent cleaning): its rows are kept under today's header, matched by name,
            // empty where the old file had no such column.
            let old: Vec<String> = reader
                .headers()
                .map_err(|e| file_error(path, e))?
                .iter()
                .map(str::to_string)
                .collect();
            let source: Vec<Option<usize>> = header
                .iter()
                .map(|c| old.iter().position(|o| o == c))
                .collect();
            for record in reader.records() {
                let record = record.map_err(|e| file_error(path, e))?;
                let update: u64 = record
                    .get(0)
                    .and_then(|u| u.parse().ok())
                    .ok_or_else(|| file_error(path, "a row without an update number"))?;
                if update <= k {
                    kept.push(
                        source
                            .iter()
                            .map(|i| i.and_then(|i| record.get(i)).unwrap_or(""))
                            .collect(),
                    );
                }
            }
        }
        let mut writer = csv::Writer::from_path(path).map_err(|e| file_error(path, e))?;
        writer
            .write_record(&header)
            .map_err(|e| file_error(path, e))?;
        for record in &kept {
            writer
                .write_record(record)
                .map_err(|e| file_error(path, e))?;
        }
        writer.flush().map_err(|e| file_error(path, e))?;
        Ok(Self {
            path: path.to_path_buf(),
            writer,
            columns: episode_columns,
        })
    }

    /// Append one update's row (flushed, so that a stopped run keeps it).
    pub fn write<M: EpisodeSummary>(&mut self, m: &UpdateMetrics<M>) -> Result<(), TrainingError> {
        let path = &self.path;
        self.writer
            .write_record(metrics_row(m, &self.columns))
            .map_err(|e| file_error(path, e))?;
        self.writer.flush().map_err(|e| file_error(path, e))
    }
}

/// How [`open_run`] treats what a run's folder already holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Resume {
    /// Start afresh.
    Never,
    /// Continue `DIR/checkpoint`; a checkpoint that cannot be loaded is an error (`aga train
    /// --resume`).
    Always,
    /// Continue `DIR/checkpoint` when `DIR/config.json` records the same run
    /// ([`RunRecord::same_run`]) and the checkpoint loads; otherwise start afresh (the
    /// experiments, which redo what they cannot continue).
    IfSame,
}

/// The one "load or create" of every command that trains: the trainer of `record` on `env`
/// (continued from `dir/checkpoint` as `resume` says, else fresh), with `dir/config.json`
/// written and `dir/metrics.csv` open (appended to after the checkpoint's updates when
/// continued). Train it with [`train_to_end`].
pub fn open_run_with<B: Backend, E: MultiAgentEnv>(
    record: &RunRecord,
    env: E,
    dir: &Path,
    resume: Resume,
    device: B::Device,
) -> Result<(Trainer<B, E>, MetricsFile), TrainingError> {
    let checkpoint = dir.join("checkpoint");
    let load = || {
        Trainer::<B, E>::load_with_env(
            record.train.clone(),
            env.clone(),
            device.clone(),
            &checkpoint,
        )
    };
    let fresh = || Trainer::<B, E>::with_env(record.train.clone(), env.clone(), device.clone());
    recover_checkpoint(dir)?;
    let trainer = match resume {
        Resume::Never => fresh()?,
        Resume::Always => load()?,
        Resume::IfSame => {
            let same = RunRecord::read(dir)
                .map(|r| r.same_run(record))
                .unwrap_or(false);
            // A checkpoint that cannot be read (e.g. from an older version) is redone.
            match (same && checkpoint.exists()).then(load) {
                Some(Ok(trainer)) => trainer,
                _ => fresh()?,
            }
        }
    };
    finish_open(trainer, record, &env, dir, resume)
}

/// A data-parallel worker's run (`aga train --rank R`): as [`open_run_with`] with
/// `Resume::Never` or `Resume::Always`, the trainer built or loaded as worker
/// `all_reduce.rank()` of `all_reduce.world_size()` (each worker keeps its own checkpoint of
/// its own environment copies in its own `dir`).
pub fn open_worker_run<B: Backend, E: MultiAgentEnv>(
    record: &RunRecord,
    env: E,
    dir: &Path,
    resume: Resume,
    device: B::Device,
    all_reduce: Box<dyn aga_rl::parallel::AllReduce>,
) -> Result<(Trainer<B, E>, MetricsFile), TrainingError> {
    recover_checkpoint(dir)?;
    let (train, checkpoint) = (record.train.clone(), dir.join("checkpoint"));
    let trainer = match resume {
        Resume::Always => Trainer::<B, E>::load_with_env_parallel(
            train,
            env.clone(),
            device,
            &checkpoint,
            all_reduce,
        )?,
        _ => Trainer::<B, E>::with_env_parallel(train, env.clone(), device, all_reduce)?,
    };
    finish_open(trainer, record, &env, dir, resume)
}

/// The common end of [`open_run_with`] and [`open_worker_run`]: stale files of another run
/// removed from a fresh start, `config.json` written, `metrics.csv` opened.
fn finish_open<B: Backend, E: MultiAgentEnv>(
    trainer: Trainer<B, E>,
    record: &RunRecord,
    env: &E,
    dir: &Path,
    resume: Resume,
) -> Result<(Trainer<B, E>, MetricsFile), TrainingError> {
    let columns = episode_columns(env);
    if trainer.updates() == 0 {
        // Starting afresh: what an earlier run left (its checkpoint, evaluation) must not be
        // taken for this run's, should this one stop before its first checkpoint.
        for stale in ["checkpoint", "checkpoint.tmp", "checkpoint.old"] {
            let path = dir.join(stale);
            if path.exists() {
                std::fs::remove_dir_all(&path).map_err(|e| file_error(&path, e))?;
            }
        }
        let eval = dir.join("eval.json");
        if eval.exists() {
            std::fs::remove_file(&eval).map_err(|e| file_error(&eval, e))?;
        }
    }
    record.write(dir)?;
    let continued = resume == Resume::Always || trainer.updates() > 0;
    let metrics = MetricsFile::open(
        &dir.join("metrics.csv"),
        columns,
        continued.then(|| trainer.updates()),
    )?;
    Ok((trainer, metrics))
}

/// [`open_run_with`] for a run on Cleanup or Harvest (the observation follows the policy).
pub fn open_run<B: Backend>(
    record: &RunRecord,
    dir: &Path,
    resume: Resume,
    device: B::Device,
) -> Result<(Trainer<B>, MetricsFile), TrainingError> {
    let config = record
        .env
        .ssd()
        .ok_or_else(|| file_error(&dir.join("config.json"), "not a Cleanup or Harvest run"))?;
    let env = Ssd::new(config.clone(), record.train.policy.obs_kind()).map_err(RlError::from)?;
    open_run_with(record, env, dir, resume, device)
}

/// [`open_run_with`] for a battle.
pub fn open_battle_run<B: Backend>(
    record: &RunRecord,
    dir: &Path,
    resume: Resume,
    device: B::Device,
) -> Result<(Trainer<B, Mmm2>, MetricsFile), TrainingError> {
    let RunEnv::Battle(config) = &record.env else {
        return Err(file_error(&dir.join("config.json"), "not a battle run"));
    };
    let env = Mmm2::new(config.clone()).map_err(RlError::from)?;
    open_run_with(record, env, dir, resume, device)
}

/// Worker threads when none are asked for: the available parallelism.
pub fn available_threads() -> usize {
    std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1)
}

/// The one check of `--threads` for every command: between 1 and 1024 when given.
pub fn check_threads(threads: Option<usize>) -> Result<(), String> {
    match threads {
        Some(t) if t == 0 || t > 1024 => {
            Err(format!("--threads must be between 1 and 1024, got {t}"))
        }
        _ => Ok(()),
    }
}

/// A worker pool of `threads` threads (all cores when `None`), after [`check_threads`].
pub fn thread_pool(threads: Option<usize>) -> Result<rayon::ThreadPool, String> {
    check_threads(threads)?;
    let mut builder = rayon::ThreadPoolBuilder::new();
    if let Some(t) = threads {
        builder = builder.num_threads(t);
    }
    builder
        .build()
        .map_err(|e| format!("cannot start threads: {e}"))
}

/// Save the checkpoint into `dir/checkpoint` through a temporary folder, so that a run stopped
/// while saving keeps its previous checkpoint.
pub fn save_checkpoint<B: Backend, E: MultiAgentEnv>(
    trainer: &Trainer<B, E>,
    dir: &Path,
) -> Result<(), TrainingError> {
    let tmp = dir.join("checkpoint.tmp");
    let final_dir = dir.join("checkpoint");
    if tmp.exists() {
        std::fs::remove_dir_all(&tmp).map_err(|e| file_error(&tmp, e))?;
    }
    trainer.save(&tmp)?;
    // Renames only until the new checkpoint is in place: at every moment `checkpoint` or
    // `checkpoint.old` is a whole checkpoint ([`recover_checkpoint`] puts the latter back).
    let old = dir.join("checkpoint.old");
    if old.exists() {
        std::fs::remove_dir_all(&old).map_err(|e| file_error(&old, e))?;
    }
    if final_dir.exists() {
        std::fs::rename(&final_dir, &old).map_err(|e| file_error(&final_dir, e))?;
    }
    std::fs::rename(&tmp, &final_dir).map_err(|e| file_error(&final_dir, e))?;
    if old.exists() {
        std::fs::remove_dir_all(&old).map_err(|e| file_error(&old, e))?;
    }
    Ok(())
}

/// Put `dir/checkpoint.old` back as `dir/checkpoint` when a run was stopped in the middle of
/// [`save_checkpoint`]'s renames (the old checkpoint moved aside, the new one not yet in place).
pub fn recover_checkpoint(dir: &Path) -> Result<(), TrainingError> {
    let (old, final_dir) = (dir.join("checkpoint.old"), dir.join("checkpoint"));
    if old.exists() && !final_dir.exists() {
        std::fs::rename(&old, &final_dir).map_err(|e| file_error(&final_dir, e))?;
    }
    Ok(())
}

/// Train until the run's budget is spent: after each update its row goes to `metrics`,
/// `on_update` sees it, and every `checkpoint_every` updates (and at the end) a checkpoint is
/// saved into `dir`.
pub fn train_to_end<B: Backend, E: MultiAgentEnv>(
    trainer: &mut Trainer<B, E>,
    dir: &Path,
    metrics: &mut MetricsFile,
    checkpoint_every: u64,
    mut on_update: impl FnMut(&UpdateMetrics<E::Metrics>),
) -> Result<(), TrainingError> {
    while !trainer.finished() {
        let m = trainer.update()?;
        metrics.write(&m)?;
        on_update(&m);
        if m.update % checkpoint_every.max(1) == 0 || trainer.finished() {
            save_checkpoint(trainer, dir)?;
        }
        injected_fault(trainer.worker(), m.update);
    }
    Ok(())
}

/// The fault-injection hook of the data-parallel tests (tests/cli_parallel.rs):
/// `AGA_FAULT_EXIT=R:K` in the environment makes data-parallel worker `R` exit with status 3
/// right after update `K` (and its checkpoint, if one was due), as a crashed worker would.
/// Nothing happens in a single-process run or without the variable.
fn injected_fault(worker: Option<(usize, usize)>, update: u64) {
    let Some((rank, _)) = worker else { return };
    let Ok(fault) = std::env::var("AGA_FAULT_EXIT") else {
        return;
    };
    let parsed = fault
        .split_once(':')
        .and_then(|(r, k)| Some((r.parse::<usize>().ok()?, k.parse::<u64>().ok()?)));
    if parsed == Some((rank, update)) {
        eprintln!("worker {rank}: exits after update {update} (AGA_FAULT_EXIT)");
        std::process::exit(3);
    }
}

/// Every row's value of `metric` in `dir/metrics.csv`, in update order (NaN where a cell is
/// empty: no episode has ended yet, or the rule has no such diagnostic).
pub fn read_column(dir: &Path, metric: &str) -> Result<Vec<f64>, TrainingError> {
    let path = dir.join("metrics.csv");
    let mut reader = csv::Reader::from_path(&path).map_err(|e| file_error(&path, e))?;
    let headers = reader.headers().map_err(|e| file_error(&path, e))?.clone();
    let column = headers.iter().position(|h| h == metric).ok_or_else(|| {
        file_error(
            &path,
            format!(
                "no column `{metric}` (columns: {})",
                headers.iter().collect::<Vec<_>>().join(", ")
            ),
        )
    })?;
    let mut values = Vec::new();
    for row in reader.records() {
        let row = row.map_err(|e| file_error(&path, e))?;
        values.push(
            row.get(column)
                .and_then(|v| v.parse().ok())
                .unwrap_or(f64::NAN),
        );
    }
    Ok(values)
}

/// `(env_steps, metric)` of every row of `dir/metrics.csv` where both are finite.
pub fn read_curve(dir: &Path, metric: &str) -> Result<Vec<(f64, f64)>, TrainingError> {
    let values = read_column(dir, metric)?;
    let steps = read_column(dir, "env_steps")?;
    Ok(steps
        .into_iter()
        .zip(values)
        .filter(|(x, y)| x.is_finite() && y.is_finite())
        .collect())
}

/// Mean and ± std (population) of several runs' curves at the x values they share (runs of
/// one configuration log at the same environment steps; where a run has no value, the others
/// make the mean). Returns the band as one [`crate::plot::Band`].
pub fn mean_band(label: String, runs: &[Vec<(f64, f64)>]) -> crate::plot::Band {
    let mut by_x: BTreeMap<u64, Vec<f64>> = BTreeMap::new();
    for run in runs {
        for &(x, y) in run {
            by_x.entry(x as u64).or_default().push(y);
        }
    }
    let mut mean = Vec::new();
    let mut band = Vec::new();
    for (x, ys) in by_x {
        let k = ys.len() as f64;
        let m = ys.iter().sum::<f64>() / k;
        let sd = (ys.iter().map(|y| (y - m).powi(2)).sum::<f64>() / k).sqrt();
        mean.push((x as f64, m));
        band.push((x as f64, m - sd, m + sd));
    }
    crate::plot::Band { label, mean, band }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Resuming a run whose metrics.csv was written before a column existed keeps its rows up to
    /// the checkpoint under today's header, each value under its own column's name.
    #[test]
    fn resumed_rows_of_an_older_file_keep_their_values_under_todays_header() {
        let dir = std::env::temp_dir().join(format!("aga-metrics-resume-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("metrics.csv");
        let old = ["collective_return", "apples_agent_0"].map(String::from);
        let new = ["collective_return", "apples_agent_0", "cleaned_agent_0"].map(String::from);
        let old_header = metrics_header(&old);
        let row = |update: &str, value: &str| -> Vec<String> {
            old_header
                .iter()
                .map(|c| match c.as_str() {
                    "update" => update.to_string(),
                    "collective_return" => value.to_string(),
                    "seconds" => "1.5".to_string(),
                    _ => String::new(),
                })
                .collect()
        };
        let mut w = csv::Writer::from_path(&path).unwrap();
        w.write_record(&old_header).unwrap();
        w.write_record(row("1", "10")).unwrap();
        w.write_record(row("2", "20")).unwrap();
        w.flush().unwrap();
        drop(w);
        drop(MetricsFile::open(&path, new.to_vec(), Some(1)).unwrap());
        let mut r = csv::Reader::from_path(&path).unwrap();
        let header: Vec<String> = r.headers().unwrap().iter().map(String::from).collect();
        assert_eq!(header, metrics_header(&new));
        let rows: Vec<csv::StringRecord> = r.records().map(Result::unwrap).collect();
        assert_eq!(rows.len(), 1, "the update after the checkpoint is redone");
        let at = |c: &str| header.iter().position(|h| h == c).unwrap();
        assert_eq!(&rows[0][at("update")], "1");
        assert_eq!(&rows[0][at("collective_return")], "10");
        assert_eq!(&rows[0][at("cleaned_agent_0")], "");
        assert_eq!(&rows[0][at("seconds")], "1.5");
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
