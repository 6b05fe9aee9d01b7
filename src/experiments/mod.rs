//! The paper's game experiments as one-command reproductions (`aga experiment NAME`).
//!
//! Each experiment runs a set of rules from the same seeded initial points (run `k` starts from
//! the same point for every rule), in parallel over runs, and writes into its output folder:
//! raw CSV, a `summary.json`, PNG plots, and a Markdown table (also printed). Results depend
//! only on the options and the seed; the compute timings of `public-goods` are the one
//! measured (machine-dependent) quantity, and are kept apart from the results in the JSON.
//!
//! * [`toy`]: the AgA paper's toy game (Fig. 1);
//! * [`public_goods`]: the two-player public goods game, all rules plus SVO;
//! * [`shaping`]: the iterated prisoner's dilemma, matching pennies and the tandem game with
//!   the opponent-shaping rules, in the SOS reference's protocol.

pub mod marl;
pub mod public_goods;
pub mod shaping;
pub mod stats;
pub mod toy;

use aga_burn::{Derivatives, Game, GameError, HvpBackend};
use aga_core::{direction, GameOracle, GameVector, RuleConfig, RuleError, ShapedOracle, Svo};
use burn::tensor::backend::Backend;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use rand::{rngs::StdRng, SeedableRng};
use serde::Serialize;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::Instant;
use thiserror::Error;

/// The experiments `aga experiment` knows, with one line each.
pub const EXPERIMENTS: &[(&str, &str)] = &[
    (
        "toy",
        "AgA paper Fig. 1: every rule from random starts and a showcase point on the toy game",
    ),
    (
        "public-goods",
        "two-player public goods: all rules plus SVO, rewards, equality and compute per step",
    ),
    (
        "ipd",
        "iterated prisoner's dilemma: opponent shaping (LOLA, LA, SOS) against the other rules",
    ),
    (
        "matching-pennies",
        "matching pennies: distance to the equilibrium under every rule",
    ),
    (
        "tandem",
        "tandem game of the SOS paper: does each rule keep to the fixed line x + y = 1?",
    ),
    (
        "cleanup",
        "PPO agents in Cleanup with every method of the paper over seeds (--full: paper scale)",
    ),
    (
        "harvest",
        "PPO agents in Harvest with every method of the paper over seeds (--full: paper scale)",
    ),
    (
        "mmm2",
        "Selfish-MMM2: MAPPO-style agents with every method over seeds, win rate (--full: 10^7 steps)",
    ),
];

/// Options shared by every experiment. `None` means the experiment's documented default.
#[derive(Debug, Clone, Default)]
pub struct ExperimentOptions {
    /// Output folder (created if missing).
    pub out: PathBuf,
    /// Seed of the initial points.
    pub seed: u64,
    /// Number of random initial points.
    pub runs: Option<usize>,
    /// Steps per run.
    pub steps: Option<usize>,
    /// Learning rate.
    pub lr: Option<f64>,
    /// `|λ|` of consensus, SGA and AgA.
    pub lambda: Option<f64>,
    /// Look-ahead rate `α` of LA, LOLA and SOS.
    pub alpha: Option<f64>,
    /// Worker threads (default: the available parallelism).
    pub threads: Option<usize>,
    /// Show a progress bar on a terminal.
    pub progress: bool,
    /// Cleanup and Harvest: the paper-scale preset instead of the default budget.
    pub full: bool,
    /// Cleanup, Harvest and MMM2: the actors' surrogate (default PPO's).
    pub surrogate: Option<aga_rl::Surrogate>,
    /// The backend's name, as recorded with reinforcement-learning runs.
    pub backend: String,
    /// The float precision's name, as recorded with reinforcement-learning runs.
    pub dtype: String,
    /// Cleanup, Harvest and MMM2: the environment in place of the experiment's own (`--env-config`,
    /// `--env-preset`); its runs are other runs (their records differ).
    pub env: Option<crate::training::RunEnv>,
    /// Cleanup, Harvest and MMM2: train only this share of the runs (`--shard I/N`), write no
    /// table.
    pub shard: Option<Shard>,
    /// Cleanup, Harvest and MMM2: train nothing; write the table, summary and curves from runs
    /// that every shard has finished (`--collect`), or say which are missing.
    pub collect: bool,
}

/// A deterministic share of an experiment's runs (`--shard I/N`, `0 ≤ I < N`): the runs whose
/// index in the experiment's order (method settings in table order, seeds within each) is `I`
/// modulo `N`. Round robin rather than blocks, so that every shard gets its share of the
/// costly rows (AgA, SGA) and the shards finish together.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Shard {
    /// This shard, from 0.
    pub index: usize,
    /// How many shards share the experiment.
    pub count: usize,
}

impl Shard {
    /// Whether run `run` (its index in the experiment's order) is this shard's.
    pub fn takes(&self, run: usize) -> bool {
        run % self.count == self.index
    }
}

impl std::fmt::Display for Shard {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.index, self.count)
    }
}

impl std::str::FromStr for Shard {
    type Err = ExperimentError;

    /// `I/N` with `N ≥ 1` and `0 ≤ I < N` (Slurm's `$SLURM_ARRAY_TASK_ID/$SLURM_ARRAY_TASK_COUNT`
    /// for an array `0-(N-1)`).
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let bad = |why: &str| ExperimentError::BadOption(format!("--shard `{s}`: {why}"));
        let (i, n) = s
            .split_once('/')
            .ok_or_else(|| bad("expected I/N, e.g. 0/4 (shards count from 0)"))?;
        let number = |t: &str| {
            t.trim()
                .parse::<usize>()
                .map_err(|_| bad("I and N must be whole numbers, e.g. 0/4"))
        };
        let (index, count) = (number(i)?, number(n)?);
        if count == 0 || count > MAX_RUNS {
            return Err(bad(&format!("N must be between 1 and {MAX_RUNS}")));
        }
        if index >= count {
            return Err(bad(&format!(
                "I must be below N (shards count from 0: 0/{count} … {}/{count})",
                count - 1
            )));
        }
        Ok(Self { index, count })
    }
}

/// The numeric settings an experiment runs with.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Settings {
    /// Number of random initial points.
    pub runs: usize,
    /// Steps per run.
    pub steps: usize,
    /// Learning rate.
    pub lr: f64,
    /// `|λ|` of consensus, SGA and AgA.
    pub lambda: f64,
    /// Look-ahead rate `α` of LA, LOLA and SOS.
    pub alpha: f64,
}

/// The most random starts an experiment takes (`--runs`).
pub const MAX_RUNS: usize = 10_000;
/// The most steps per run (`--steps`).
pub const MAX_STEPS: usize = 1_000_000;
/// The most steps over all runs of one rule (`--runs × --steps`): experiments keep curves of
/// every run in memory.
pub const MAX_TOTAL_STEPS: usize = 10_000_000;

impl ExperimentOptions {
    /// Each setting as given in the options, else the experiment's default; all checked.
    pub fn settings(&self, defaults: Settings) -> Result<Settings, ExperimentError> {
        let runs = at_most(
            "--runs",
            positive("--runs", self.runs.unwrap_or(defaults.runs))?,
            MAX_RUNS,
        )?;
        let steps = at_most(
            "--steps",
            positive("--steps", self.steps.unwrap_or(defaults.steps))?,
            MAX_STEPS,
        )?;
        if runs.saturating_mul(steps) > MAX_TOTAL_STEPS {
            return Err(ExperimentError::BadOption(format!(
                "--runs × --steps is {runs} × {steps}, above the limit of {MAX_TOTAL_STEPS} steps per rule (experiments keep every run's curve in memory); use fewer runs or steps"
            )));
        }
        Ok(Settings {
            runs,
            steps,
            lr: positive_f64("--lr", self.lr.unwrap_or(defaults.lr))?,
            lambda: positive_f64("--lambda", self.lambda.unwrap_or(defaults.lambda))?,
            alpha: positive_f64("--alpha", self.alpha.unwrap_or(defaults.alpha))?,
        })
    }
}

/// Check a count option against its limit.
pub fn at_most(name: &str, value: usize, max: usize) -> Result<usize, ExperimentError> {
    if value > max {
        return Err(ExperimentError::BadOption(format!(
            "{name} is {value}, above the limit of {max}"
        )));
    }
    Ok(value)
}

/// `runs` initial points; point `k` is drawn by `draw` from its own generator, seeded by
/// [`run_seed`], so it does not depend on the other runs or on the thread that uses it.
pub fn starts(seed: u64, runs: usize, draw: impl Fn(&mut StdRng) -> Vec<f64>) -> Vec<Vec<f64>> {
    (0..runs)
        .map(|k| draw(&mut StdRng::seed_from_u64(run_seed(seed, k))))
        .collect()
}

/// What can stop an experiment.
#[derive(Debug, Error)]
pub enum ExperimentError {
    /// A game failed for a reason other than divergence.
    #[error("{rule}: {source}")]
    Game {
        /// The rule's label.
        rule: String,
        /// What went wrong.
        source: RuleError<aga_core::ShapingError<GameError>>,
    },
    /// An option out of range.
    #[error("{0}")]
    BadOption(String),
    /// The fixed-point analysis of an end point failed.
    #[error("{rule}: {message}")]
    Analysis {
        /// The rule's label.
        rule: String,
        /// What went wrong.
        message: String,
    },
    /// A file could not be written.
    #[error("cannot write {path}: {message}")]
    Write {
        /// The file.
        path: String,
        /// Why.
        message: String,
    },
}

/// A rule as an experiment runs it: a label, the rule, and an optional SVO shaping.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RuleSpec {
    /// The label in tables, plots and CSV (e.g. `aga-noalign`, `svo`).
    pub label: String,
    /// The update rule.
    pub rule: RuleConfig,
    /// SVO loss shaping, if any.
    pub svo: Option<Svo>,
}

impl RuleSpec {
    /// A rule under its method's name.
    pub fn new(rule: RuleConfig) -> Self {
        Self {
            label: rule.method.to_string(),
            rule,
            svo: None,
        }
    }

    /// The same rule under another label.
    pub fn labelled(mut self, label: &str) -> Self {
        self.label = label.to_string();
        self
    }

    /// The rule on SVO-shaped losses.
    pub fn with_svo(mut self, svo: Svo) -> Self {
        self.svo = Some(svo);
        self
    }
}

/// One gradient-descent run.
#[derive(Debug, Clone, PartialEq)]
pub struct Run {
    /// The points visited (initial and final included), if recorded.
    pub points: Vec<Vec<f64>>,
    /// The (unshaped) losses at each recorded point.
    pub losses: Vec<Vec<f64>>,
    /// The last finite point.
    pub final_point: Vec<f64>,
    /// The (unshaped) losses there.
    pub final_losses: Vec<f64>,
    /// Whether the run left the finite world or the bounding box before the end.
    pub diverged: bool,
    /// Seconds spent computing directions (for the compute tables).
    pub seconds: f64,
    /// Steps taken.
    pub steps: usize,
}

/// A run stops as diverged once a coordinate exceeds this magnitude.
pub const DIVERGENCE_BOUND: f64 = 1e6;

/// Gradient descent `w ← w − lr · ξ̃` of `spec` on `game` from `w0`.
///
/// Divergence (non-finite values, or a coordinate beyond [`DIVERGENCE_BOUND`]) ends the run
/// early and is reported in [`Run::diverged`]; any other failure is an error.
pub fn simulate<B, G>(
    game: &G,
    spec: &RuleSpec,
    lr: f64,
    steps: usize,
    w0: &[f64],
    record: bool,
) -> Result<Run, ExperimentError>
where
    B: Backend,
    G: Game<HvpBackend<B>> + ?Sized,
{
    let engine =
        Derivatives::<B, _>::new(game, Default::default()).map_err(|e| ExperimentError::Game {
            rule: spec.label.clone(),
            source: RuleError::Oracle(aga_core::ShapingError::Game(e)),
        })?;
    let fail = |source| ExperimentError::Game {
        rule: spec.label.clone(),
        source,
    };
    let players = engine.layout().num_players();
    let mut run = Run {
        points: Vec::new(),
        losses: Vec::new(),
        final_point: w0.to_vec(),
        // Unknown until the first losses are computed (NaN: a run whose very first losses are
        // not finite has none to report).
        final_losses: vec![f64::NAN; players],
        diverged: false,
        seconds: 0.0,
        steps: 0,
    };
    let mut w = engine
        .point(w0)
        .map_err(|e| fail(RuleError::Oracle(aga_core::ShapingError::Game(e))))?;
    for step in 0..=steps {
        let started = Instant::now();
        let oracle = engine
            .oracle(w.clone())
            .map_err(|e| fail(RuleError::Oracle(aga_core::ShapingError::Game(e))))?;
        let mut oracle = ShapedOracle::maybe(oracle, spec.svo);
        // The losses at this point first, so that a run whose direction diverges (even at its
        // first step) still reports where it was and what the players' losses were there.
        let losses = match oracle.inner().losses() {
            Ok(l) => l,
            Err(e) => {
                let e = RuleError::Oracle(aga_core::ShapingError::Game(e));
                if is_divergence(&e) {
                    run.diverged = true;
                    break;
                }
                return Err(fail(e));
            }
        };
        let point = w.to_vec();
        if record {
            run.points.push(point.clone());
            run.losses.push(losses.clone());
        }
        run.final_point = point;
        run.final_losses = losses;
        if step == steps {
            run.seconds += started.elapsed().as_secs_f64();
            break;
        }
        let outcome = direction(&spec.rule, &mut oracle);
        run.seconds += started.elapsed().as_secs_f64();
        let dir = match outcome {
            Ok(d) => d.value,
            Err(e) if is_divergence(&e) => {
                run.diverged = true;
                break;
            }
            Err(e) => return Err(fail(e)),
        };
        let next = w.add_scaled(-lr, &dir);
        let values = next.to_vec();
        if values
            .iter()
            .any(|x| !x.is_finite() || x.abs() > DIVERGENCE_BOUND)
        {
            run.diverged = true;
            run.steps = step + 1;
            break;
        }
        w = next;
        run.steps = step + 1;
    }
    Ok(run)
}

fn is_divergence(e: &RuleError<aga_core::ShapingError<GameError>>) -> bool {
    matches!(
        e,
        RuleError::NonFinite(_)
            | RuleError::Oracle(aga_core::ShapingError::Game(
                GameError::NonFiniteLoss { .. }
            ))
            | RuleError::NonFiniteAlignment { .. }
            | RuleError::Oracle(aga_core::ShapingError::Undefined(_))
    )
}

/// Run `jobs` jobs on `threads` worker threads, in any order, keeping results in job order.
/// The progress bar advances once per finished job.
pub fn parallel_map<T, F>(jobs: usize, threads: usize, progress: &ProgressBar, f: F) -> Vec<T>
where
    T: Send,
    F: Fn(usize) -> T + Sync,
{
    let next = AtomicUsize::new(0);
    let results: Mutex<Vec<Option<T>>> = Mutex::new((0..jobs).map(|_| None).collect());
    std::thread::scope(|scope| {
        for _ in 0..threads.max(1).min(jobs.max(1)) {
            scope.spawn(|| loop {
                let job = next.fetch_add(1, Ordering::Relaxed);
                if job >= jobs {
                    break;
                }
                let value = f(job);
                results.lock().expect("no worker panicked")[job] = Some(value);
                progress.inc(1);
            });
        }
    });
    results
        .into_inner()
        .expect("no worker panicked")
        .into_iter()
        .map(|r| r.expect("every job ran"))
        .collect()
}

/// A progress bar over `len` runs, drawn only on a terminal and only if `show`.
pub fn progress_bar(len: u64, show: bool, what: &str) -> ProgressBar {
    let target = if show {
        ProgressDrawTarget::stderr()
    } else {
        ProgressDrawTarget::hidden()
    };
    let bar = ProgressBar::with_draw_target(Some(len), target);
    bar.set_style(
        ProgressStyle::with_template(&format!(
            "{what} {{bar:40}} {{pos}}/{{len}} runs ({{elapsed}}, eta {{eta}})"
        ))
        .expect("valid template"),
    );
    bar
}

/// The number of worker threads to use.
pub fn threads(options: &ExperimentOptions) -> usize {
    options
        .threads
        .unwrap_or_else(crate::training::available_threads)
}

/// A deterministic seed for run `run` of an experiment seeded with `seed`.
pub fn run_seed(seed: u64, run: usize) -> u64 {
    // SplitMix64 of the pair: the same derivation as the environment runner's copies.
    aga_envs::seed_of(seed, run)
}

/// Create the output folder.
pub fn create_dir(dir: &Path) -> Result<(), ExperimentError> {
    std::fs::create_dir_all(dir).map_err(|e| ExperimentError::Write {
        path: dir.display().to_string(),
        message: e.to_string(),
    })
}

/// Write `text` to `dir/name`.
pub fn write_text(dir: &Path, name: &str, text: &str) -> Result<PathBuf, ExperimentError> {
    let path = dir.join(name);
    std::fs::write(&path, text).map_err(|e| ExperimentError::Write {
        path: path.display().to_string(),
        message: e.to_string(),
    })?;
    Ok(path)
}

/// Write `value` as pretty JSON to `dir/name`.
pub fn write_json<T: Serialize>(
    dir: &Path,
    name: &str,
    value: &T,
) -> Result<PathBuf, ExperimentError> {
    let text = serde_json::to_string_pretty(value).map_err(|e| ExperimentError::Write {
        path: dir.join(name).display().to_string(),
        message: e.to_string(),
    })?;
    write_text(dir, name, &text)
}

/// A CSV file from a header and rows of already formatted fields.
pub fn write_csv(
    dir: &Path,
    name: &str,
    header: &[String],
    rows: &[Vec<String>],
) -> Result<PathBuf, ExperimentError> {
    let path = dir.join(name);
    let err = |e: csv::Error| ExperimentError::Write {
        path: path.display().to_string(),
        message: e.to_string(),
    };
    let mut writer = csv::Writer::from_path(&path).map_err(err)?;
    writer.write_record(header).map_err(err)?;
    for row in rows {
        writer.write_record(row).map_err(err)?;
    }
    writer.flush().map_err(|e| ExperimentError::Write {
        path: path.display().to_string(),
        message: e.to_string(),
    })?;
    Ok(path)
}

/// A Markdown table from a header and rows.
pub fn markdown_table(header: &[&str], rows: &[Vec<String>]) -> String {
    let widths: Vec<usize> = (0..header.len())
        .map(|c| {
            rows.iter()
                .map(|r| r[c].chars().count())
                .chain(std::iter::once(header[c].chars().count()))
                .max()
                .unwrap_or(0)
        })
        .collect();
    let line = |cells: Vec<String>| {
        let padded: Vec<String> = cells
            .iter()
            .zip(&widths)
            .map(|(c, w)| format!("{c:<w$}"))
            .collect();
        format!("| {} |\n", padded.join(" | "))
    };
    let mut out = line(header.iter().map(|s| s.to_string()).collect());
    out += &line(widths.iter().map(|w| "-".repeat(*w)).collect());
    for row in rows {
        out += &line(row.clone());
    }
    out
}

/// Check a positive count option.
pub fn positive(name: &str, value: usize) -> Result<usize, ExperimentError> {
    if value == 0 {
        return Err(ExperimentError::BadOption(format!(
            "{name} must be at least 1"
        )));
    }
    Ok(value)
}

/// Check a positive finite number option.
pub fn positive_f64(name: &str, value: f64) -> Result<f64, ExperimentError> {
    if !(value.is_finite() && value > 0.0) {
        return Err(ExperimentError::BadOption(format!(
            "{name} must be a positive finite number, got {value}"
        )));
    }
    Ok(value)
}

/// What every experiment returns: the files it wrote and the table it printed.
#[derive(Debug, Clone)]
pub struct Report {
    /// The Markdown table(s).
    pub table: String,
    /// The files written.
    pub files: Vec<PathBuf>,
}

/// Run the experiment called `name` on backend `B` (the command line's `--backend`/`--dtype`;
/// the documented results are ndarray f64, exact).
pub fn run_experiment<B: Backend>(
    name: &str,
    options: &ExperimentOptions,
) -> Result<Report, ExperimentError> {
    let rl = name == "mmm2" || name.parse::<aga_envs::EnvKind>().is_ok();
    if !rl && EXPERIMENTS.iter().any(|(n, _)| *n == name) {
        for (given, flag) in [
            (options.shard.is_some(), "--shard"),
            (options.collect, "--collect"),
            (options.env.is_some(), "--env-config and --env-preset"),
        ] {
            if given {
                return Err(ExperimentError::BadOption(format!(
                    "{flag} applies to the cleanup, harvest and mmm2 experiments (`{name}` keeps no runs on disk and takes minutes on one machine)"
                )));
            }
        }
    }
    match name {
        "toy" => toy::run::<B>(options),
        "public-goods" => public_goods::run::<B>(options),
        "ipd" => shaping::run::<B>(shaping::ShapingGame::Ipd, options),
        "matching-pennies" => shaping::run::<B>(shaping::ShapingGame::MatchingPennies, options),
        "tandem" => shaping::run::<B>(shaping::ShapingGame::Tandem, options),
        "mmm2" => marl::run::<B>(
            options
                .env
                .clone()
                .unwrap_or_else(|| crate::training::RunEnv::Battle(aga_envs::BattleConfig::mmm2())),
            options,
        ),
        other => match other.parse::<aga_envs::EnvKind>() {
            Ok(kind) => marl::run::<B>(
                options
                    .env
                    .clone()
                    .unwrap_or_else(|| crate::training::RunEnv::Ssd(aga_envs::EnvConfig::of(kind))),
                options,
            ),
            Err(_) => Err(ExperimentError::BadOption(format!(
                "unknown experiment `{other}` (expected one of: {})",
                EXPERIMENTS
                    .iter()
                    .map(|(n, _)| *n)
                    .collect::<Vec<_>>()
                    .join(", ")
            ))),
        },
    }
}
