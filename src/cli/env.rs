//! `aga env run` and `aga env render`: Cleanup and Harvest with scripted policies (battles are
//! in [`super::battle`]).

use super::args::{EnvCommand, EnvRenderArgs, EnvRunArgs, EnvSetupArgs};
use super::CliError;
use crate::render::{self, Frame};
use aga_envs::{Env, EnvConfig, EnvKind, EnvPreset, EpisodeMetrics, ObsKind, Policy, VecEnv};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use serde::Serialize;
use std::io::Write;

/// The most copies `aga env run` steps at once.
pub const MAX_ENVS: usize = 4096;
/// The most steps per copy.
pub const MAX_ENV_STEPS: usize = 10_000_000;
/// The most frames a GIF holds.
pub const MAX_GIF_FRAMES: usize = 5000;

/// Run `aga env …`.
pub fn env_command(command: EnvCommand, out: &mut dyn Write) -> Result<(), CliError> {
    let setup = match &command {
        EnvCommand::Run(args) => &args.setup,
        EnvCommand::Render(args) => &args.setup,
    };
    if setup.preset.is_some() && super::battle::is_battle(&setup.env) {
        return Err(CliError::BadValue(
            "--preset applies to cleanup and harvest (a battle takes --config)".into(),
        ));
    }
    match command {
        EnvCommand::Run(args) if super::battle::is_battle(&args.setup.env) => {
            super::battle::run(args, out)
        }
        EnvCommand::Render(args) if super::battle::is_battle(&args.setup.env) => {
            super::battle::render(args, out)
        }
        EnvCommand::Run(args) => run(args, out),
        EnvCommand::Render(args) => render_command(args, out),
    }
}

/// The environment preset of `--preset`/`--env-preset` (default: the reference's rules).
pub(crate) fn env_preset(name: Option<&str>) -> Result<EnvPreset, CliError> {
    name.map_or(Ok(EnvPreset::Reference), |n| {
        n.parse()
            .map_err(|e: aga_envs::EnvError| CliError::BadValue(e.to_string()))
    })
}

struct Setup {
    config: EnvConfig,
    steps: usize,
}

fn setup(args: &EnvSetupArgs) -> Result<Setup, CliError> {
    let kind: EnvKind = args
        .env
        .parse()
        .map_err(|e: aga_envs::EnvError| CliError::BadValue(e.to_string()))?;
    let preset = env_preset(args.preset.as_deref())?;
    let mut config = match &args.config {
        Some(path) => {
            let shown = path.display().to_string();
            let text = std::fs::read_to_string(path).map_err(|e| CliError::ConfigFile {
                path: shown.clone(),
                message: e.to_string(),
            })?;
            EnvConfig::from_json_over(&text, Some(kind), preset).map_err(|e| {
                CliError::ConfigFile {
                    path: shown,
                    message: e.to_string(),
                }
            })?
        }
        None => EnvConfig::preset(kind, preset),
    };
    if let Some(n) = args.agents {
        config.agents = n;
    }
    let steps = args.steps.unwrap_or(config.horizon);
    if steps == 0 || steps > MAX_ENV_STEPS {
        return Err(CliError::BadValue(format!(
            "--steps must be between 1 and {MAX_ENV_STEPS}, got {steps}"
        )));
    }
    if steps > config.horizon {
        return Err(CliError::BadValue(format!(
            "--steps {steps} is beyond the episode horizon {}; set `horizon` in --config",
            config.horizon
        )));
    }
    if args.cleaners.is_some() && args.policy.as_deref() != Some("clean-and-harvest") {
        return Err(CliError::BadValue(
            "--cleaners only applies to --policy clean-and-harvest".into(),
        ));
    }
    // Build once to check the map and the agent count with a clear error.
    Env::new(config.clone()).map_err(env_error)?;
    if let Some(k) = args.cleaners {
        if k > config.agents {
            return Err(CliError::BadValue(format!(
                "--cleaners {k} is more than the {} agents",
                config.agents
            )));
        }
    }
    Ok(Setup { config, steps })
}

fn env_error(e: aga_envs::EnvError) -> CliError {
    CliError::BadValue(e.to_string())
}

fn policy(args: &EnvSetupArgs, kind: EnvKind, copy: usize) -> Result<Policy, CliError> {
    let name = args.policy.as_deref().ok_or_else(|| {
        CliError::BadValue("give --policy NAME (random, stay, greedy or clean-and-harvest)".into())
    })?;
    Policy::by_name(
        name,
        args.cleaners.unwrap_or(1),
        aga_envs::seed_of(args.seed ^ 0xA11CE, copy),
        kind,
    )
    .map_err(env_error)
}

#[derive(Serialize)]
struct RunJson {
    env: &'static str,
    agents: usize,
    envs: usize,
    policy: String,
    seed: u64,
    #[serde(flatten)]
    metrics: EpisodeMetrics,
    agent_steps_per_second: f64,
}

fn run(args: EnvRunArgs, out: &mut dyn Write) -> Result<(), CliError> {
    let Setup { config, steps } = setup(&args.setup)?;
    if args.envs == 0 || args.envs > MAX_ENVS {
        return Err(CliError::BadValue(format!(
            "--envs must be between 1 and {MAX_ENVS}, got {}",
            args.envs
        )));
    }
    let kind = match args.obs.as_str() {
        "rgb" => ObsKind::Rgb,
        "one-hot" => ObsKind::OneHot,
        other => {
            return Err(CliError::BadValue(format!(
                "unknown observation `{other}` (expected rgb or one-hot)"
            )))
        }
    };
    let env_kind = config.kind;
    let pool = crate::training::thread_pool(args.threads).map_err(CliError::BadValue)?;
    let mut vec_env = VecEnv::new(config, args.envs, args.setup.seed, kind).map_err(env_error)?;
    let n = vec_env.num_agents();
    let mut policies = (0..args.envs)
        .map(|e| policy(&args.setup, env_kind, e))
        .collect::<Result<Vec<_>, _>>()?;
    let mut obs = vec![0u8; vec_env.obs_batch_len()];
    let mut rewards = vec![0f32; args.envs * n];
    let mut actions = vec![0u8; args.envs * n];
    let bar = ProgressBar::with_draw_target(Some(steps as u64), ProgressDrawTarget::stderr());
    bar.set_style(
        ProgressStyle::with_template("{bar:40} {pos}/{len} steps ({per_sec}, eta {eta})")
            .expect("valid template"),
    );
    let started = std::time::Instant::now();
    pool.install(|| -> Result<(), CliError> {
        vec_env.observe(&mut obs).map_err(env_error)?;
        for _ in 0..steps {
            for (e, p) in policies.iter_mut().enumerate() {
                p.act(vec_env.envs()[e].env(), &mut actions[e * n..(e + 1) * n]);
            }
            vec_env
                .step(&actions, &mut rewards, &mut obs)
                .map_err(env_error)?;
            bar.inc(1);
        }
        Ok(())
    })?;
    let seconds = started.elapsed().as_secs_f64();
    bar.finish_and_clear();
    let metrics = EpisodeMetrics::mean(&vec_env.metrics()).expect("at least one copy");
    let json = RunJson {
        env: env_kind.name(),
        agents: n,
        envs: args.envs,
        policy: args.setup.policy.clone().unwrap_or_default(),
        seed: args.setup.seed,
        metrics,
        agent_steps_per_second: (steps * n * args.envs) as f64 / seconds.max(1e-9),
    };
    if args.json {
        writeln!(
            out,
            "{}",
            serde_json::to_string(&json).expect("metrics serialise")
        )
        .map_err(CliError::output)?;
        return Ok(());
    }
    let m = &json.metrics;
    let lines = [
        format!(
            "{} with {} agents, policy {}, {} steps × {} copies, seed {}",
            json.env, n, json.policy, steps, args.envs, json.seed
        ),
        format!("collective return  {:.3}", m.collective_return),
        format!(
            "returns            {}",
            m.returns
                .iter()
                .map(|r| format!("{r:.2}"))
                .collect::<Vec<_>>()
                .join(", ")
        ),
        format!("efficiency         {:.4}", m.efficiency),
        format!("equality           {:.4}", m.equality),
        format!("sustainability     {:.1}", m.sustainability),
        format!("peace              {:.3}", m.peace),
        format!(
            "on apples          per agent {}; efficiency {:.4}, equality {:.4}, sustainability {:.1}",
            m.apples
                .iter()
                .map(|a| format!("{a:.1}"))
                .collect::<Vec<_>>()
                .join(", "),
            m.apple_efficiency,
            m.apple_equality,
            m.apple_sustainability
        ),
        format!(
            "apples eaten {:.1}, remaining {:.1}; waste cleaned {:.1}, density {:.3}; beams {:.1}, tagged {:.1}",
            m.apples_eaten, m.apples_remaining, m.waste_cleaned, m.waste_density, m.beams_fired, m.agents_tagged
        ),
        format!("speed              {:.0} agent-steps/s (observations included)", json.agent_steps_per_second),
    ];
    for line in lines {
        writeln!(out, "{line}").map_err(CliError::output)?;
    }
    Ok(())
}

fn render_command(args: EnvRenderArgs, out: &mut dyn Write) -> Result<(), CliError> {
    // A trained run brings its own environment configuration and policy.
    let trained = match &args.checkpoint {
        Some(dir) => {
            if args.setup.policy.is_some()
                || args.setup.config.is_some()
                || args.setup.agents.is_some()
            {
                return Err(CliError::BadValue(
                    "--checkpoint renders the run's own environment and policy: drop --policy, --config and --agents".into(),
                ));
            }
            Some(super::train::trained_policy(dir)?)
        }
        None => None,
    };
    let Setup { config, steps } = match &trained {
        Some((config, _)) => {
            if config.kind.name() != args.setup.env {
                return Err(CliError::BadValue(format!(
                    "the run in {} trained on {}, not {}",
                    args.checkpoint.as_ref().expect("given").display(),
                    config.kind.name(),
                    args.setup.env
                )));
            }
            let steps = args.setup.steps.unwrap_or(config.horizon);
            if steps == 0 || steps > config.horizon {
                return Err(CliError::BadValue(format!(
                    "--steps must be between 1 and the horizon {}, got {steps}",
                    config.horizon
                )));
            }
            Setup {
                config: config.clone(),
                steps,
            }
        }
        None => setup(&args.setup)?,
    };
    let gif = match (&args.out, args.ascii) {
        (None, false) => {
            return Err(CliError::BadValue(
                "give --out FILE.png, --out FILE.gif or --ascii".into(),
            ))
        }
        (Some(p), _) => match p.extension().and_then(|e| e.to_str()) {
            Some("gif") => true,
            Some("png") => false,
            _ => {
                return Err(CliError::BadValue(format!(
                    "--out {} must end in .png or .gif",
                    p.display()
                )))
            }
        },
        (None, true) => false,
    };
    if gif && steps + 1 > MAX_GIF_FRAMES {
        return Err(CliError::BadValue(format!(
            "a GIF holds at most {MAX_GIF_FRAMES} frames; use --steps {}",
            MAX_GIF_FRAMES - 1
        )));
    }
    if !(1..=64).contains(&args.scale) {
        return Err(CliError::BadValue(format!(
            "--scale must be between 1 and 64 pixels per cell, got {}",
            args.scale
        )));
    }
    let kind = config.kind;
    let mut env = Env::new(config).map_err(env_error)?;
    env.reset(aga_envs::seed_of(args.setup.seed, 0));
    let mut act: super::train::Act = match trained {
        Some((_, act)) => act,
        None => {
            let mut policy = policy(&args.setup, kind, 0)?;
            Box::new(move |env: &Env, actions: &mut [u8]| policy.act(env, actions))
        }
    };
    let mut actions = vec![0u8; env.num_agents()];
    let mut frames = vec![Frame::of(&env)];
    for _ in 0..steps {
        act(&env, &mut actions);
        env.step(&actions).map_err(env_error)?;
        if gif {
            frames.push(Frame::of(&env));
        }
    }
    if args.ascii {
        write!(out, "{}", env.ascii()).map_err(CliError::output)?;
    }
    if let Some(path) = &args.out {
        let shape = env.shape();
        let written = if gif {
            render::gif(path, &frames, shape, args.scale, args.delay)
        } else {
            render::png(path, &Frame::of(&env), shape, args.scale)
        };
        written.map_err(|message| CliError::Io {
            path: path.display().to_string(),
            source: std::io::Error::other(message),
        })?;
        writeln!(out, "wrote {}", path.display()).map_err(CliError::output)?;
    }
    Ok(())
}
