//! The subcommands.

use super::args::{
    BackendArgs, Cli, Command, DirectionArgs, ExperimentArgs, GameArgs, HessianArgs, RuleArgs,
    RunArgs,
};
use super::CliError;
use crate::analysis::{analyse, AnalysisError, Tolerances, MAX_DENSE_DIM};
use crate::experiments::{run_experiment, ExperimentOptions};
use aga_burn::backends::{CpuF32, CpuF64};
use aga_burn::{Derivatives, FlatTensor, Game, HvpBackend};
use aga_core::{
    descend, direction, GameOracle, Method, RuleConfig, ShapedOracle, ShapingError, Svo,
};
use aga_games::{build, GameOptions, GAMES};
use burn::tensor::backend::Backend as BurnBackend;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use serde::{Deserialize, Serialize};
use std::io::Write;
use std::path::PathBuf;

/// Run the parsed command, writing its output to `out` and notes (the files an experiment
/// wrote) to `err`.
pub fn run(cli: Cli, out: &mut dyn Write, err: &mut dyn Write) -> Result<(), CliError> {
    match cli.command {
        Command::Direction(args) => direction_command(args, out),
        Command::Run(args) => run_command(args, out),
        Command::Games => games_command(out),
        Command::Hessian(args) => hessian_command(args, out),
        Command::Experiment(args) => experiment_command(args, out, err),
        Command::Env(command) => super::env::env_command(command, out),
        Command::Train(args) => train_command(args, out),
        Command::Plot(args) => super::train::plot_command(args, out),
    }
}

/// `writeln!` to the command's output, with a write failure as a [`CliError`].
macro_rules! say {
    ($out:expr, $($arg:tt)*) => {
        writeln!($out, $($arg)*).map_err(CliError::output)
    };
}

/// The most steps one `aga run` takes.
pub const MAX_RUN_STEPS: usize = 10_000_000;

/// The backend and precision a computing command runs on (`--backend`, `--dtype`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Compute {
    NdArrayF64,
    NdArrayF32,
    #[cfg(feature = "flex")]
    FlexF64,
    #[cfg(feature = "flex")]
    FlexF32,
    #[cfg(feature = "wgpu")]
    WgpuF32,
    #[cfg(feature = "cuda")]
    CudaF32,
}

/// The default `--backend`: Flex when compiled in (the default features), else ndarray.
#[cfg(feature = "flex")]
pub(crate) const DEFAULT_BACKEND: &str = "flex";
/// The default `--backend`: Flex when compiled in (the default features), else ndarray.
#[cfg(not(feature = "flex"))]
pub(crate) const DEFAULT_BACKEND: &str = "ndarray";

/// The backend of `--backend` (default flex, or ndarray without the `flex` feature) and `--dtype` (default f64; wgpu: f32).
fn compute_of(args: &BackendArgs) -> Result<Compute, CliError> {
    let backend = args.backend.as_deref().unwrap_or(DEFAULT_BACKEND);
    let default_dtype = if backend == "wgpu" || backend == "cuda" {
        "f32"
    } else {
        "f64"
    };
    let dtype = args.dtype.as_deref().unwrap_or(default_dtype);
    if dtype != "f32" && dtype != "f64" {
        return Err(CliError::BadValue(format!(
            "unknown --dtype `{dtype}` (expected f32 or f64)"
        )));
    }
    match (backend, dtype) {
        ("ndarray", "f64") => Ok(Compute::NdArrayF64),
        ("ndarray", _) => Ok(Compute::NdArrayF32),
        #[cfg(feature = "flex")]
        ("flex", "f64") => Ok(Compute::FlexF64),
        #[cfg(feature = "flex")]
        ("flex", _) => Ok(Compute::FlexF32),
        #[cfg(not(feature = "flex"))]
        ("flex", _) => Err(not_compiled(backend, "flex")),
        #[cfg(feature = "wgpu")]
        ("wgpu", "f32") => Ok(Compute::WgpuF32),
        ("wgpu", "f64") => Err(CliError::BadValue(
            "--backend wgpu computes in f32 only: use --dtype f32".into(),
        )),
        #[cfg(not(feature = "wgpu"))]
        ("wgpu", _) => Err(not_compiled(backend, "wgpu")),
        #[cfg(feature = "cuda")]
        ("cuda", "f32") => Ok(Compute::CudaF32),
        ("cuda", "f64") => Err(CliError::BadValue(
            "--backend cuda runs in f32 here: use --dtype f32".into(),
        )),
        #[cfg(not(feature = "cuda"))]
        ("cuda", _) => Err(not_compiled(backend, "cuda")),
        (other, _) => Err(CliError::BadValue(format!(
            "unknown --backend `{other}` (expected ndarray, flex, wgpu or cuda)"
        ))),
    }
}

/// The error for a backend whose cargo feature was not compiled in.
#[cfg(any(not(feature = "flex"), not(feature = "wgpu"), not(feature = "cuda")))]
fn not_compiled(backend: &str, feature: &str) -> CliError {
    CliError::BadValue(format!(
        "--backend {backend} is not compiled in: build with `--features {feature}` (e.g. cargo run --release --features {feature} -- …)"
    ))
}

/// Call the generic `$f::<B>(args…)` for the chosen backend.
macro_rules! on_backend {
    ($compute:expr, $f:ident ( $($arg:expr),* )) => {
        match $compute {
            // ndarray's two element types share one device and its dtype (see
            // `aga_burn::backends::use_float_dtype`): fix it, or fail if this process already
            // computes in the other one.
            Compute::NdArrayF64 => {
                aga_burn::backends::use_float_dtype::<CpuF64>(burn::tensor::DType::F64)
                    .map_err(CliError::BadValue)?;
                $f::<CpuF64>($($arg),*)
            }
            Compute::NdArrayF32 => {
                aga_burn::backends::use_float_dtype::<CpuF32>(burn::tensor::DType::F32)
                    .map_err(CliError::BadValue)?;
                $f::<CpuF32>($($arg),*)
            }
            #[cfg(feature = "flex")]
            Compute::FlexF64 => {
                aga_burn::backends::use_f64_on_flex().map_err(CliError::BadValue)?;
                $f::<aga_burn::backends::Flex>($($arg),*)
            }
            #[cfg(feature = "flex")]
            Compute::FlexF32 => {
                aga_burn::backends::use_f32_on_flex().map_err(CliError::BadValue)?;
                $f::<aga_burn::backends::Flex>($($arg),*)
            }
            #[cfg(feature = "wgpu")]
            Compute::WgpuF32 => $f::<aga_burn::backends::WgpuF32>($($arg),*),
            #[cfg(feature = "cuda")]
            Compute::CudaF32 => $f::<aga_burn::backends::CudaF32>($($arg),*),
        }
    };
}

/// The JSON config file of `--config` (every field optional).
#[derive(Debug, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
struct ConfigFile {
    game: Option<String>,
    options: GameOptions,
    rule: Option<RuleConfig>,
    svo: Option<Svo>,
}

fn read_config(path: Option<&PathBuf>) -> Result<ConfigFile, CliError> {
    let Some(path) = path else {
        return Ok(ConfigFile::default());
    };
    let shown = path.display().to_string();
    let text = std::fs::read_to_string(path).map_err(|e| CliError::ConfigFile {
        path: shown.clone(),
        message: e.to_string(),
    })?;
    serde_json::from_str(&text).map_err(|e| CliError::ConfigFile {
        path: shown,
        message: e.to_string(),
    })
}

struct GameSetup<B: BurnBackend> {
    name: String,
    game: Box<dyn Game<HvpBackend<B>>>,
    suggested_init: Option<Vec<f64>>,
}

fn setup_game<B: BurnBackend>(
    args: &GameArgs,
    file: &ConfigFile,
) -> Result<GameSetup<B>, CliError> {
    let name = args
        .game
        .clone()
        .or_else(|| file.game.clone())
        .unwrap_or_else(|| "toy".to_string());
    let f = &file.options;
    let options = GameOptions {
        matrix: args.matrix.clone().or_else(|| f.matrix.clone()),
        players: args.players.or(f.players),
        multiplier: args.multiplier.or(f.multiplier),
        gamma: args.gamma.or(f.gamma),
        hidden: args.hidden.or(f.hidden),
        seed: args.seed.or(f.seed),
    };
    let built = build::<HvpBackend<B>>(&name, &options)?;
    Ok(GameSetup {
        name,
        game: built.game,
        suggested_init: built.suggested_init,
    })
}

struct Setup<B: BurnBackend> {
    game: GameSetup<B>,
    rule: RuleConfig,
    svo: Option<Svo>,
}

fn setup<B: BurnBackend>(args: &RuleArgs) -> Result<Setup<B>, CliError> {
    let file = read_config(args.game.config.as_ref())?;
    let mut rule = match (&args.method, file.rule) {
        (Some(m), Some(r)) => RuleConfig {
            method: m.parse::<Method>()?,
            ..r
        },
        (Some(m), None) => RuleConfig::new(m.parse()?),
        (None, Some(r)) => r,
        (None, None) => return Err(CliError::Missing("--method")),
    };
    if let Some(x) = args.lambda {
        rule.lambda = x;
    }
    if args.no_align {
        rule.align = false;
    }
    if let Some(x) = args.sga_epsilon {
        rule.sga_epsilon = x;
    }
    if let Some(x) = args.alpha {
        rule.alpha = x;
    }
    if let Some(x) = args.sos_a {
        rule.sos_a = x;
    }
    if let Some(x) = args.sos_b {
        rule.sos_b = x;
    }
    rule.validate()?;
    let wants_svo = args.svo || args.svo_angle.is_some() || args.svo_weight.is_some();
    let svo = if wants_svo {
        let base = file.svo.unwrap_or_default();
        Some(Svo {
            angle: args.svo_angle.unwrap_or(base.angle),
            weight: args.svo_weight.unwrap_or(base.weight),
        })
    } else {
        file.svo
    };
    if let Some(s) = svo {
        if !(s.angle.is_finite() && s.weight.is_finite() && s.weight >= 0.0) {
            return Err(CliError::BadValue(format!(
                "SVO needs a finite angle and a finite weight >= 0, got angle {} and weight {}",
                s.angle, s.weight
            )));
        }
    }
    Ok(Setup {
        game: setup_game::<B>(&args.game, &file)?,
        rule,
        svo,
    })
}

/// Parse a comma-separated list of `expected` finite numbers given to `option`.
fn parse_point(
    option: &'static str,
    text: Option<&str>,
    suggested: Option<Vec<f64>>,
    names: &[String],
) -> Result<Vec<f64>, CliError> {
    let bad = |message: String| CliError::BadList { option, message };
    let text = match (text, suggested) {
        (Some(t), _) => t,
        (None, Some(w)) => return Ok(w),
        (None, None) => return Err(CliError::Missing(option)),
    };
    let values = text
        .split(',')
        .map(|s| {
            let s = s.trim();
            if s.is_empty() {
                return Err(bad(format!("empty entry in `{text}`")));
            }
            let x: f64 = s
                .parse()
                .map_err(|_| bad(format!("`{s}` is not a number")))?;
            if !x.is_finite() {
                return Err(bad(format!("`{s}` is not a finite number")));
            }
            Ok(x)
        })
        .collect::<Result<Vec<_>, _>>()?;
    if values.len() != names.len() {
        let shown = if names.len() <= 8 {
            format!(" ({})", names.join(","))
        } else {
            String::new()
        };
        return Err(bad(format!(
            "expected {} comma-separated numbers{shown}, got {}",
            names.len(),
            values.len()
        )));
    }
    Ok(values)
}

#[derive(Serialize)]
struct DirectionJson {
    xi: Vec<f64>,
    xi_c: Vec<f64>,
    direction: Vec<f64>,
    lambda: Option<f64>,
}

fn direction_command(args: DirectionArgs, out: &mut dyn Write) -> Result<(), CliError> {
    let compute = compute_of(&args.rule.game.compute)?;
    on_backend!(compute, direction_on(args, out))
}

fn direction_on<B: BurnBackend>(args: DirectionArgs, out: &mut dyn Write) -> Result<(), CliError> {
    let setup = setup::<B>(&args.rule)?;
    let engine = Derivatives::<B, _>::new(setup.game.game.as_ref(), Default::default())?;
    let at = parse_point(
        "--at",
        args.at.as_deref(),
        setup.game.suggested_init,
        &engine.layout().names(),
    )?;
    let mut oracle = ShapedOracle::maybe(engine.oracle(engine.point(&at)?)?, setup.svo);
    let d = direction(&setup.rule, &mut oracle)?;
    let json = DirectionJson {
        xi: oracle.xi()?.to_vec(),
        xi_c: oracle.xi_c()?.to_vec(),
        direction: d.value.to_vec(),
        lambda: d.lambda,
    };
    if args.json {
        say!(
            out,
            "{}",
            serde_json::to_string(&json).expect("finite numbers serialise")
        )?;
    } else {
        let names = &engine.layout().names();
        say!(
            out,
            "game {}, method {} at {}",
            setup.game.name,
            describe(&setup.rule, setup.svo),
            format_named(names, &at)
        )?;
        say!(out, "xi         {}", format_named(names, &json.xi))?;
        say!(out, "xi_c       {}", format_named(names, &json.xi_c))?;
        say!(out, "direction  {}", format_named(names, &json.direction))?;
        if let Some(l) = json.lambda {
            say!(out, "lambda     {l}")?;
        }
    }
    Ok(())
}

#[derive(Serialize)]
struct RunJson {
    #[serde(rename = "final")]
    final_point: Vec<f64>,
    losses: Vec<f64>,
    steps: usize,
}

fn run_command(args: RunArgs, out: &mut dyn Write) -> Result<(), CliError> {
    let compute = compute_of(&args.rule.game.compute)?;
    on_backend!(compute, run_on(args, out))
}

fn run_on<B: BurnBackend>(args: RunArgs, out: &mut dyn Write) -> Result<(), CliError> {
    let setup = setup::<B>(&args.rule)?;
    if !(args.lr.is_finite() && args.lr > 0.0) {
        return Err(CliError::BadValue(format!(
            "--lr must be a positive finite number, got {}",
            args.lr
        )));
    }
    if args.steps == 0 {
        return Err(CliError::BadValue("--steps must be at least 1".into()));
    }
    if args.steps > MAX_RUN_STEPS {
        return Err(CliError::BadValue(format!(
            "--steps is {}, above the limit of {MAX_RUN_STEPS}; split a longer run with --init from the last point",
            args.steps
        )));
    }
    let engine = Derivatives::<B, _>::new(setup.game.game.as_ref(), Default::default())?;
    let names = engine.layout().names();
    let init = parse_point(
        "--init",
        args.init.as_deref(),
        setup.game.suggested_init.clone(),
        &names,
    )?;
    let w0 = engine.point(&init)?;

    let mut trajectory = match &args.trajectory {
        Some(path) => Some(Trajectory::create(
            path,
            &names,
            engine.layout().num_players(),
        )?),
        None => None,
    };
    let progress = progress_bar(args.steps as u64);
    let mut final_losses = Vec::new();
    let final_w = descend(
        &setup.rule,
        args.lr,
        args.steps,
        w0,
        |w: &FlatTensor<B>| {
            let oracle = engine.oracle(w.clone()).map_err(ShapingError::Game)?;
            Ok(ShapedOracle::maybe(oracle, setup.svo))
        },
        |step| {
            let losses = step.oracle.inner().losses().map_err(ShapingError::Game)?;
            if let Some(t) = trajectory.as_mut() {
                t.row(step.step, &step.w.to_vec(), &losses);
            }
            if step.direction.is_none() {
                final_losses = losses;
            } else {
                progress.inc(1);
            }
            Ok(())
        },
    );
    progress.finish_and_clear();
    if let Some(t) = trajectory {
        t.finish()?;
    }
    let final_w = final_w?.to_vec();

    if args.json {
        let json = RunJson {
            final_point: final_w,
            losses: final_losses,
            steps: args.steps,
        };
        say!(
            out,
            "{}",
            serde_json::to_string(&json).expect("finite numbers serialise")
        )?;
    } else {
        say!(
            out,
            "game {}, method {}, lr {}, {} steps",
            setup.game.name,
            describe(&setup.rule, setup.svo),
            args.lr,
            args.steps
        )?;
        say!(out, "final   {}", format_named(&names, &final_w))?;
        let loss_names: Vec<String> = (1..=final_losses.len()).map(|i| format!("l{i}")).collect();
        say!(out, "losses  {}", format_named(&loss_names, &final_losses))?;
    }
    Ok(())
}

/// A CSV file of `step, w…, l…` rows. The first write error is kept and reported at the end.
struct Trajectory {
    path: String,
    writer: csv::Writer<std::fs::File>,
    error: Option<csv::Error>,
}

impl Trajectory {
    fn create(path: &std::path::Path, names: &[String], players: usize) -> Result<Self, CliError> {
        let shown = path.display().to_string();
        let mut writer = csv::Writer::from_path(path).map_err(|source| CliError::Csv {
            path: shown.clone(),
            source,
        })?;
        let header = std::iter::once("step".to_string())
            .chain(names.iter().cloned())
            .chain((1..=players).map(|i| format!("l{i}")));
        writer
            .write_record(header)
            .map_err(|source| CliError::Csv {
                path: shown.clone(),
                source,
            })?;
        Ok(Self {
            path: shown,
            writer,
            error: None,
        })
    }

    fn row(&mut self, step: usize, w: &[f64], losses: &[f64]) {
        if self.error.is_some() {
            return;
        }
        let record =
            std::iter::once(step.to_string()).chain(w.iter().chain(losses).map(|x| x.to_string()));
        if let Err(e) = self.writer.write_record(record) {
            self.error = Some(e);
        }
    }

    fn finish(mut self) -> Result<(), CliError> {
        if let Some(source) = self.error.take() {
            return Err(CliError::Csv {
                path: self.path,
                source,
            });
        }
        self.writer.flush().map_err(|source| CliError::Io {
            path: self.path,
            source,
        })
    }
}

fn progress_bar(steps: u64) -> ProgressBar {
    let bar = ProgressBar::with_draw_target(Some(steps), ProgressDrawTarget::stderr());
    bar.set_style(
        ProgressStyle::with_template("{bar:40} {pos}/{len} steps ({elapsed}, eta {eta})")
            .expect("valid template"),
    );
    bar
}

fn describe(rule: &RuleConfig, svo: Option<Svo>) -> String {
    let base = if rule.method.uses_lambda() {
        let align = match (rule.method, rule.align) {
            (Method::Aga, true) => ", sign rule",
            (Method::Sga, true) => ", aligned",
            _ => "",
        };
        format!("{} (lambda {}{align})", rule.method, rule.lambda)
    } else if rule.method == Method::Sos {
        format!(
            "sos (alpha {}, a {}, b {})",
            rule.alpha, rule.sos_a, rule.sos_b
        )
    } else if rule.method.uses_alpha() {
        format!("{} (alpha {})", rule.method, rule.alpha)
    } else {
        rule.method.to_string()
    };
    match svo {
        Some(s) => format!(
            "{base} on SVO-shaped losses (angle {}, weight {})",
            s.angle, s.weight
        ),
        None => base,
    }
}

fn games_command(out: &mut dyn Write) -> Result<(), CliError> {
    for info in GAMES {
        say!(out, "{}", info.name)?;
        say!(out, "    {}", info.description)?;
        say!(out, "    parameters: {}", info.parameters)?;
    }
    Ok(())
}

fn hessian_command(args: HessianArgs, out: &mut dyn Write) -> Result<(), CliError> {
    let compute = compute_of(&args.game.compute)?;
    on_backend!(compute, hessian_on(args, out))
}

fn hessian_on<B: BurnBackend>(args: HessianArgs, out: &mut dyn Write) -> Result<(), CliError> {
    let file = read_config(args.game.config.as_ref())?;
    let game = setup_game::<B>(&args.game, &file)?;
    for (name, x) in [
        ("--gradient-tol", args.gradient_tol),
        ("--eigen-tol", args.eigen_tol),
    ] {
        if !(x.is_finite() && x >= 0.0) {
            return Err(CliError::BadValue(format!(
                "{name} must be a finite number >= 0, got {x}"
            )));
        }
    }
    let engine = Derivatives::<B, _>::new(game.game.as_ref(), Default::default())?;
    let dim = engine.layout().dim();
    if dim > MAX_DENSE_DIM {
        return Err(AnalysisError::TooLarge {
            max: MAX_DENSE_DIM,
            got: dim,
        }
        .into());
    }
    let names = engine.layout().names();
    let at = parse_point("--at", args.at.as_deref(), game.suggested_init, &names)?;
    let tol = Tolerances {
        gradient: args.gradient_tol,
        eigen: args.eigen_tol,
    };
    let a = analyse(&engine, &at, tol)?;
    if args.json {
        say!(
            out,
            "{}",
            serde_json::to_string(&a).expect("finite numbers serialise")
        )?;
        return Ok(());
    }
    say!(out, "game {} at {}", game.name, format_named(&names, &at))?;
    say!(out, "xi       {}", format_named(&names, &a.xi))?;
    say!(out, "xi_c     {}", format_named(&names, &a.xi_c))?;
    let show = |v: &[f64]| {
        v.iter()
            .map(|x| format!("{x:.6}"))
            .collect::<Vec<_>>()
            .join(", ")
    };
    say!(out, "eig(S)   {}", show(&a.eig_s))?;
    say!(out, "eig(H_c) {}", show(&a.eig_h_c))?;
    say!(out, "game:       {}", a.class)?;
    say!(out, "collective: {}", a.class_c)?;
    Ok(())
}

/// `aga train`: f32 unless `--dtype` says otherwise (reinforcement learning needs no f64).
fn train_command(mut args: super::args::TrainArgs, out: &mut dyn Write) -> Result<(), CliError> {
    use super::train::train_on;
    // A resumed run continues on the backend and dtype it was saved from (bit-identity needs
    // them), unless the command line says otherwise.
    if let Some(dir) = &args.resume {
        let record = crate::training::RunRecord::read(dir)?;
        if args.compute.backend.is_none() {
            args.compute.backend = Some(record.backend.clone());
        }
        if args.compute.dtype.is_none() {
            args.compute.dtype = Some(record.dtype);
        }
    }
    if args.compute.dtype.is_none() {
        args.compute.dtype = Some("f32".into());
    }
    let compute = compute_of(&args.compute)?;
    let backend = args
        .compute
        .backend
        .clone()
        .unwrap_or_else(|| DEFAULT_BACKEND.to_string());
    let dtype = args.compute.dtype.clone().expect("set above");
    on_backend!(compute, train_on(&args, &backend, &dtype, out))
}

fn experiment_command(
    args: ExperimentArgs,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> Result<(), CliError> {
    let surrogate: Option<aga_rl::Surrogate> = args
        .surrogate
        .as_deref()
        .map(str::parse)
        .transpose()
        .map_err(|e: aga_rl::ConfigError| CliError::BadValue(e.to_string()))?;
    let mut options =
        ExperimentOptions {
            // The joint surrogate's experiment has its own folder (its table and curves would
            // otherwise replace PPO's).
            out: args.out.clone().unwrap_or_else(|| {
                let suffix = surrogate.unwrap_or_default().folder_suffix();
                PathBuf::from("results").join(format!("{}{suffix}", args.name))
            }),
            seed: args.seed,
            runs: args.runs,
            steps: args.steps,
            lr: args.lr,
            lambda: args.lambda,
            alpha: args.alpha,
            threads: args.threads,
            progress: !args.quiet,
            full: args.full,
            surrogate,
            backend: String::new(),
            dtype: String::new(),
            env: None,
            shard: args.shard.as_deref().map(str::parse).transpose().map_err(
                |e: crate::experiments::ExperimentError| CliError::BadValue(e.to_string()),
            )?,
            collect: args.collect,
        };
    crate::training::check_threads(args.threads).map_err(CliError::BadValue)?;
    let kind = args.name.parse::<aga_envs::EnvKind>().ok();
    let rl = kind.is_some() || args.name == "mmm2";
    if rl && (args.env_config.is_some() || args.env_preset.is_some()) {
        options.env = Some(super::train::run_env(
            kind,
            &args.name,
            args.env_config.as_deref(),
            args.env_preset.as_deref(),
            None,
        )?);
    } else if args.env_config.is_some() || args.env_preset.is_some() {
        return Err(CliError::BadValue(
            "--env-config and --env-preset apply to the cleanup, harvest and mmm2 experiments"
                .into(),
        ));
    }
    if !rl && (options.shard.is_some() || options.collect) {
        return Err(CliError::BadValue(
            "--shard and --collect apply to the cleanup, harvest and mmm2 experiments".into(),
        ));
    }
    if args.full && !rl {
        return Err(CliError::BadValue(
            "--full applies to the cleanup, harvest and mmm2 experiments".into(),
        ));
    }
    if options.surrogate.is_some() && !rl {
        return Err(CliError::BadValue(
            "--surrogate applies to the cleanup, harvest and mmm2 experiments".into(),
        ));
    }
    let mut compute_args = super::args::BackendArgs {
        backend: args.compute.backend.clone(),
        dtype: args.compute.dtype.clone(),
    };
    if rl && compute_args.dtype.is_none() {
        compute_args.dtype = Some("f32".into());
    }
    let compute = compute_of(&compute_args)?;
    options.backend = compute_args
        .backend
        .unwrap_or_else(|| DEFAULT_BACKEND.to_string());
    options.dtype = compute_args.dtype.unwrap_or_else(|| "f64".to_string());
    let report = on_backend!(compute, run_experiment(&args.name, &options))?;
    write!(out, "{}", report.table).map_err(CliError::output)?;
    say!(err, "wrote:")?;
    for f in &report.files {
        say!(err, "  {}", f.display())?;
    }
    Ok(())
}

fn format_named(names: &[String], values: &[f64]) -> String {
    const SHOWN: usize = 8;
    let mut parts: Vec<String> = names
        .iter()
        .zip(values)
        .take(SHOWN)
        .map(|(n, v)| format!("{n} = {v}"))
        .collect();
    if values.len() > SHOWN {
        parts.push(format!("… ({} values)", values.len()));
    }
    parts.join(", ")
}
