//! `aga env run` and `aga env render` on a battle (Selfish-MMM2 and the other presets):
//! scripted allies (`random`, `heuristic`, `stop`) against the enemies' script.

use super::args::{EnvRenderArgs, EnvRunArgs, EnvSetupArgs};
use super::CliError;
use crate::render::{self, BattleFrame};
use aga_envs::{
    BattleConfig, BattleMetrics, BattlePolicy, EpisodeSummary, Mmm2, MultiAgentEnv, StepOutcome,
    VecEnv,
};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use serde::Serialize;
use std::io::Write;

fn env_error(e: aga_envs::EnvError) -> CliError {
    CliError::BadValue(e.to_string())
}

/// Whether `--env NAME` names a battle.
pub(crate) fn is_battle(name: &str) -> bool {
    BattleConfig::PRESETS.contains(&name)
}

fn config(args: &EnvSetupArgs) -> Result<BattleConfig, CliError> {
    if args.cleaners.is_some() {
        return Err(CliError::BadValue(
            "--cleaners applies to Cleanup, not to a battle".into(),
        ));
    }
    super::train::battle_config(&args.env, args.config.as_deref(), args.agents)
}

fn policy(args: &EnvSetupArgs, copy: usize) -> Result<BattlePolicy, CliError> {
    let name = args.policy.as_deref().ok_or_else(|| {
        CliError::BadValue("give --policy NAME (random, heuristic or stop)".into())
    })?;
    BattlePolicy::by_name(name, aga_envs::seed_of(args.seed ^ 0xA11CE, copy)).map_err(env_error)
}

#[derive(Serialize)]
struct RunJson {
    env: String,
    agents: usize,
    envs: usize,
    policy: String,
    seed: u64,
    steps_per_copy: usize,
    episodes: usize,
    #[serde(flatten)]
    metrics: BattleMetrics,
    agent_steps_per_second: f64,
}

/// `aga env run` on a battle: every copy plays `--steps` steps (default: ten episode limits),
/// starting a new episode whenever one ends; the metrics are the means over the episodes that
/// ended.
pub(crate) fn run(args: EnvRunArgs, out: &mut dyn Write) -> Result<(), CliError> {
    let config = config(&args.setup)?;
    let steps = args.setup.steps.unwrap_or(10 * config.episode_limit);
    if steps == 0 || steps > super::env::MAX_ENV_STEPS {
        return Err(CliError::BadValue(format!(
            "--steps must be between 1 and {}, got {steps}",
            super::env::MAX_ENV_STEPS
        )));
    }
    if args.envs == 0 || args.envs > super::env::MAX_ENVS {
        return Err(CliError::BadValue(format!(
            "--envs must be between 1 and {}, got {}",
            super::env::MAX_ENVS,
            args.envs
        )));
    }
    let name = config.name.clone();
    let pool = crate::training::thread_pool(args.threads).map_err(CliError::BadValue)?;
    let env = Mmm2::new(config).map_err(env_error)?;
    let mut vec_env = VecEnv::from_env(env, args.envs, args.setup.seed).map_err(env_error)?;
    let n = vec_env.num_agents();
    let mut policies = (0..args.envs)
        .map(|e| policy(&args.setup, e))
        .collect::<Result<Vec<_>, _>>()?;
    let mut obs = vec![0f32; vec_env.obs_batch_len()];
    let mut rewards = vec![0f32; args.envs * n];
    let mut actions = vec![0u8; args.envs * n];
    let mut outcomes = vec![StepOutcome::default(); args.envs];
    let mut finished: Vec<BattleMetrics> = Vec::new();
    let bar = ProgressBar::with_draw_target(Some(steps as u64), ProgressDrawTarget::stderr());
    bar.set_style(
        ProgressStyle::with_template("{bar:40} {pos}/{len} steps ({per_sec}, eta {eta}) {msg}")
            .expect("valid template"),
    );
    let started = std::time::Instant::now();
    pool.install(|| -> Result<(), CliError> {
        vec_env.observe(&mut obs).map_err(env_error)?;
        for _ in 0..steps {
            for (e, p) in policies.iter_mut().enumerate() {
                p.act(&vec_env.envs()[e], &mut actions[e * n..(e + 1) * n]);
            }
            let ended = vec_env
                .step_autoreset(&actions, &mut rewards, &mut obs, &mut outcomes)
                .map_err(env_error)?;
            finished.extend(ended.into_iter().map(|f| f.metrics));
            bar.inc(1);
            bar.set_message(format!("{} episodes", finished.len()));
        }
        Ok(())
    })?;
    let seconds = started.elapsed().as_secs_f64();
    bar.finish_and_clear();
    let metrics = BattleMetrics::mean(&finished).ok_or_else(|| {
        CliError::BadValue(format!(
            "no episode ended in {steps} steps: give more --steps (an episode lasts at most {})",
            vec_env.envs()[0].config().episode_limit
        ))
    })?;
    let json = RunJson {
        env: name,
        agents: n,
        envs: args.envs,
        policy: args.setup.policy.clone().unwrap_or_default(),
        seed: args.setup.seed,
        steps_per_copy: steps,
        episodes: finished.len(),
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
            "{} with {} agents, policy {}, {} steps × {} copies, seed {}: {} episodes",
            json.env, n, json.policy, steps, args.envs, json.seed, json.episodes
        ),
        format!("win rate           {:.3}", m.win_rate),
        format!("collective return  {:.3}", m.collective_return),
        format!(
            "returns            {}",
            m.returns
                .iter()
                .map(|r| format!("{r:.2}"))
                .collect::<Vec<_>>()
                .join(", ")
        ),
        format!("equality           {:.4}", m.equality),
        format!("SMAC team return   {:.3}", m.team_return),
        format!(
            "damage dealt {:.1}, taken {:.1}; healed {:.1}; alive at the end: {:.2} allies, {:.2} enemies; {:.1} steps",
            m.damage_dealt, m.damage_taken, m.hp_healed, m.allies_alive, m.enemies_alive, m.steps
        ),
        format!(
            "speed              {:.0} agent-steps/s (observations included)",
            json.agent_steps_per_second
        ),
    ];
    for line in lines {
        writeln!(out, "{line}").map_err(CliError::output)?;
    }
    Ok(())
}

/// `aga env render` on a battle: one episode (or `--steps` of it) as a GIF or its last frame
/// as a PNG.
pub(crate) fn render(args: EnvRenderArgs, out: &mut dyn Write) -> Result<(), CliError> {
    if args.checkpoint.is_some() {
        return Err(CliError::BadValue(
            "--checkpoint renders Cleanup and Harvest runs; a battle renders a scripted --policy"
                .into(),
        ));
    }
    if args.ascii {
        return Err(CliError::BadValue(
            "--ascii draws Cleanup and Harvest; give --out FILE.gif or FILE.png".into(),
        ));
    }
    let config = config(&args.setup)?;
    let limit = config.episode_limit;
    let steps = args.setup.steps.unwrap_or(limit);
    if steps == 0 || steps > limit {
        return Err(CliError::BadValue(format!(
            "--steps must be between 1 and the episode limit {limit}, got {steps}"
        )));
    }
    let path = args
        .out
        .as_ref()
        .ok_or_else(|| CliError::BadValue("give --out FILE.gif or FILE.png".into()))?;
    let gif = match path.extension().and_then(|e| e.to_str()) {
        Some("gif") => true,
        Some("png") => false,
        _ => {
            return Err(CliError::BadValue(format!(
                "--out {} must end in .png or .gif",
                path.display()
            )))
        }
    };
    if !(1..=64).contains(&args.scale) {
        return Err(CliError::BadValue(format!(
            "--scale must be between 1 and 64 pixels per unit of length, got {}",
            args.scale
        )));
    }
    let map = config.map_size;
    let mut env = Mmm2::new(config).map_err(env_error)?;
    env.reset(aga_envs::seed_of(args.setup.seed, 0));
    let mut policy = policy(&args.setup, 0)?;
    let mut actions = vec![0u8; env.num_agents()];
    let mut rewards = vec![0f32; env.num_agents()];
    let mut frames = vec![BattleFrame::of(&env)];
    for _ in 0..steps {
        policy.act(&env, &mut actions);
        let outcome = env.step(&actions, &mut rewards).map_err(env_error)?;
        frames.push(BattleFrame::of(&env));
        if outcome.done() {
            break;
        }
    }
    let written = if gif {
        render::battle_gif(path, &frames, map, args.scale, args.delay)
    } else {
        render::battle_png(path, frames.last().expect("one frame"), map, args.scale)
    };
    written.map_err(|message| CliError::Io {
        path: path.display().to_string(),
        source: std::io::Error::other(message),
    })?;
    let m = env.episode_metrics();
    writeln!(
        out,
        "wrote {} ({} steps; {})",
        path.display(),
        env.steps(),
        match env.end() {
            Some(end) => format!(
                "{end:?}, {} allies and {} enemies left",
                m.allies_alive, m.enemies_alive
            ),
            None => "not over".into(),
        }
    )
    .map_err(CliError::output)
}
