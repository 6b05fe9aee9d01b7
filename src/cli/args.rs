//! The command line's arguments (clap).

use clap::{Args, Parser, Subcommand};
use std::path::PathBuf;

const GAMES_HELP: &str = "Games (`aga games` lists them with their parameters):
  toy, bilinear, matching-pennies, ipd, stag-hunt, tandem, public-goods, mlp

Methods (MATH.md §4):
  simgd       xi~ = xi
  collective  xi~ = xi_c
  consensus   xi~ = xi + lambda H^T xi
  sga         xi~ = xi + lambda A^T xi, sign of lambda aligned (--no-align: as given)
  aga         xi~ = xi_c + lambda (xi + H_c xi_c), sign rule (--no-align: as given)
  la          look-ahead: xi_i - alpha grad_i sum_j<g_ij, stop(g_jj)>
  lola        LOLA: xi_i - alpha grad_i sum_j<g_ij, g_jj>
  sos         stable opponent shaping (--sos-a, --sos-b)
  --svo       play any method on SVO-shaped losses (--svo-angle, --svo-weight)

Config file (--config FILE, JSON; command-line options override it):
  {\"game\": \"public-goods\", \"options\": {\"players\": 3, \"multiplier\": 2.0},
   \"rule\": {\"method\": \"aga\", \"lambda\": 0.5}, \"svo\": {\"angle\": 0.785, \"weight\": 1.0}}";

const EXPERIMENTS_HELP: &str = "Experiments:
  toy               AgA paper Fig. 1: every rule from random starts and a showcase point
  public-goods      two-player public goods: all rules plus SVO, rewards, equality, compute
  ipd               iterated prisoner's dilemma: LOLA, LA, SOS and the other rules
  matching-pennies  matching pennies: distance to the equilibrium under every rule
  tandem            tandem game: does each rule keep to the fixed line x + y = 1?

ipd, matching-pennies and tandem take --lr, --alpha and --lambda in the SOS reference's units
(its lr = alpha; the IPD's constants are transformed for our normalised loss).

  cleanup, harvest  PPO agents with every method of the paper over seeds (MATH.md §6):
                    --runs is the number of seeds, --steps the env steps per run,
                    --lambda replaces every lambda, --lr every learning rate (each row
                    has a searched one); default budget about an hour each on 2
                    cores (--shard I/N splits it over processes, --collect writes the
                    table), --full the paper-scale preset (see docs/marl.md)

Each writes runs/curves CSV, summary.json, table.md and PNG plots into --out
(default results/NAME) and prints the table. See docs/experiments.md and docs/marl.md.";

/// Altruistic gradient adjustment and friends on differentiable games.
#[derive(Debug, Parser)]
#[command(name = "aga", version, about, after_long_help = GAMES_HELP)]
pub struct Cli {
    #[command(subcommand)]
    pub(crate) command: Command,
}

#[derive(Debug, Subcommand)]
pub(crate) enum Command {
    /// Print the update direction of a method at one point.
    #[command(after_long_help = GAMES_HELP)]
    Direction(DirectionArgs),
    /// Run gradient descent w <- w - lr * direction from an initial point.
    #[command(after_long_help = GAMES_HELP)]
    Run(RunArgs),
    /// List the games with their descriptions and parameters.
    Games,
    /// Fixed-point analysis: H and H_c from exact HVPs, their spectra, and the point's class.
    #[command(after_long_help = GAMES_HELP)]
    Hessian(HessianArgs),
    /// Sequential social dilemmas (Cleanup, Harvest): run scripted policies, render episodes.
    #[command(subcommand)]
    Env(EnvCommand),
    /// Run one of the paper's experiments (toy, public-goods, ipd, matching-pennies, tandem,
    /// cleanup, harvest).
    #[command(after_long_help = EXPERIMENTS_HELP)]
    Experiment(ExperimentArgs),
    /// Train PPO agents in Cleanup or Harvest with one of the paper's methods (MATH.md §6).
    #[command(after_long_help = TRAIN_HELP)]
    Train(TrainArgs),
    /// Draw learning curves of training runs (mean ± std over seeds, one curve per method).
    Plot(PlotArgs),
}

const TRAIN_HELP: &str = "Methods (MATH.md §6; each agent is a player, its PPO surrogate its loss):
  simul-ind   independent PPO: each agent descends its own surrogate
  simul-co    each agent descends the collective-advantage surrogate
  svo         simul-ind on SVO-shaped rewards (--config: svo_angle, svo_weight)
  consensus   xi + lambda H^T xi
  sga         xi + lambda A^T xi (A = 0 under --surrogate ppo: block-diagonal, symmetric H)
  aga         xi_c + lambda (xi + H_c xi_c), sign rule

Surrogates (--surrogate): ppo (default) gives each agent PPO's clipped surrogate of its own
ratio, so the game is separable (H block diagonal: sga = simul-ind, consensus sees no
interaction); dice weights each agent's advantage by the joint action's ratio (DiCE's magic box
of every agent's log-probabilities), so the agents' Hessians couple and every rule sees them.

--config FILE is JSON with any fields of the training configuration, e.g.
  {\"policy\": \"mlp\", \"ppo\": {\"lr\": 0.0005, \"envs\": 16, \"rollout_steps\": 128}}
(fields: lambda, svo_angle, svo_weight, policy, centralised_critic, diagnostics, surrogate, seed, and ppo:
lr, anneal_lr, anneal_steps, gamma, gae_lambda, clip, value_coef, entropy_coef, epochs,
minibatches, max_grad_norm, rollout_steps, envs, clip_value, bootstrap_truncation); --env-config FILE sets environment fields as for
`aga env run`. Command-line options override the files.

Writes DIR/config.json, DIR/metrics.csv (one row per update), DIR/checkpoint/ (every
--checkpoint-every updates and at the end) and DIR/eval.json (the greedy policy's episodes).
`--resume DIR` continues the run saved in DIR up to --steps (default: its own) in total,
bit-identically on the same backend. See docs/marl.md.

Data-parallel (docs/scaling.md): `--workers N` starts N processes on this machine; across
machines start one per machine with `--coordinator HOST:PORT --rank R --world-size N`
(and `--node-address HOST:PORT` reachable from the others). Resume with the same options.";

/// `aga train`.
#[derive(Debug, Args)]
pub(crate) struct TrainArgs {
    /// cleanup or harvest.
    #[arg(long)]
    pub(crate) env: Option<String>,
    /// simul-ind, simul-co, svo, consensus, sga or aga.
    #[arg(long)]
    pub(crate) method: Option<String>,
    /// |lambda| of consensus, sga and aga (default 1).
    #[arg(long, allow_hyphen_values = true)]
    pub(crate) lambda: Option<f64>,
    /// Number of agents (default: the environment's, 5).
    #[arg(long)]
    pub(crate) agents: Option<usize>,
    /// JSON file with training options (see below).
    #[arg(long)]
    pub(crate) config: Option<std::path::PathBuf>,
    /// JSON file with environment options (map, horizon, view_radius, …).
    #[arg(long)]
    pub(crate) env_config: Option<std::path::PathBuf>,
    /// cleanup, harvest: reference (default, the SSD reference's rules) or socialjax
    /// (SocialJax's maps and rules, docs/envs.md); --env-config fields go on top.
    #[arg(long)]
    pub(crate) env_preset: Option<String>,
    /// Total environment steps (summed over the environment copies).
    #[arg(long)]
    pub(crate) steps: Option<u64>,
    /// Seed of everything random in the run.
    #[arg(long)]
    pub(crate) seed: Option<u64>,
    /// Output folder (default runs/ENV-METHOD-seedS; runs/ENV-METHOD-dice-seedS with --surrogate dice).
    #[arg(long)]
    pub(crate) out: Option<std::path::PathBuf>,
    /// Policy network: cnn (default, SocialJax's IPPO CNN on RGB) or mlp (one-hot, faster).
    #[arg(long)]
    pub(crate) policy: Option<String>,
    /// Environment copies stepped together (default 8).
    #[arg(long)]
    pub(crate) envs: Option<usize>,
    /// A centralised collective critic V_c(s) over every agent's view (MAPPO) instead of each
    /// agent's own collective value head.
    #[arg(long)]
    pub(crate) centralised_critic: bool,
    /// Also log ‖ξ_c‖ and cos(ξ, ξ_c) for methods that do not need ξ_c (simul-ind, svo, sga,
    /// consensus): one more pass per minibatch. Without it those columns are empty for them.
    #[arg(long)]
    pub(crate) diagnostics: bool,
    /// Adam's learning rate (default 2.5e-4, annealed linearly).
    #[arg(long, allow_hyphen_values = true)]
    pub(crate) lr: Option<f64>,
    /// The actors' surrogate: ppo (default; per agent, separable) or dice (the joint action's
    /// ratio: the agents' Hessians couple).
    #[arg(long)]
    pub(crate) surrogate: Option<String>,
    /// Continue the run saved in this folder.
    #[arg(long)]
    pub(crate) resume: Option<std::path::PathBuf>,
    /// Save a checkpoint every this many updates (and at the end).
    #[arg(long, default_value_t = 10)]
    pub(crate) checkpoint_every: u64,
    /// Episodes of the final greedy-policy evaluation (0: none).
    #[arg(long, default_value_t = 2)]
    pub(crate) eval_episodes: usize,
    /// Worker threads for the environments (default: all cores).
    #[arg(long)]
    pub(crate) threads: Option<usize>,
    /// No progress bar.
    #[arg(long)]
    pub(crate) quiet: bool,
    /// Data-parallel training on this machine: N worker processes, each stepping its share of
    /// the environment copies and of every minibatch, all taking the same steps
    /// (docs/scaling.md).
    #[arg(long)]
    pub(crate) workers: Option<usize>,
    /// Join a data-parallel run across machines: the coordinator's HOST:PORT (rank 0 starts
    /// it on that port). With --rank and --world-size.
    #[arg(long)]
    pub(crate) coordinator: Option<String>,
    /// This process's rank in a data-parallel run (0 keeps the run's folder and starts the
    /// coordinator; rank R > 0 keeps its checkpoint in OUT/workers/rank-R).
    #[arg(long)]
    pub(crate) rank: Option<usize>,
    /// The number of processes of a data-parallel run.
    #[arg(long)]
    pub(crate) world_size: Option<usize>,
    /// This worker's HOST:PORT for the other workers' downloads (default with a coordinator
    /// on this machine: 127.0.0.1 and the coordinator's port + 1 + rank).
    #[arg(long)]
    pub(crate) node_address: Option<String>,
    /// Seconds a data-parallel worker waits for the others, at joining and at each reduction,
    /// before it stops with an error (default 300).
    #[arg(long)]
    pub(crate) collective_timeout: Option<f64>,
    /// Where to compute (default flex, f32).
    #[command(flatten)]
    pub(crate) compute: BackendArgs,
}

/// `aga plot`.
#[derive(Debug, Args)]
pub(crate) struct PlotArgs {
    /// Training runs (folders written by `aga train`).
    #[arg(required = true)]
    pub(crate) runs: Vec<std::path::PathBuf>,
    /// Output image (.png).
    #[arg(long)]
    pub(crate) out: std::path::PathBuf,
    /// The column of metrics.csv to draw (default collective_return; e.g. equality,
    /// reward_per_step, apples_eaten, cos_xi_xi_c).
    #[arg(long, default_value = "collective_return")]
    pub(crate) metric: String,
}

/// The game and its parameters.
#[derive(Debug, Args)]
pub(crate) struct GameArgs {
    /// Game name (see `aga games`); default toy.
    #[arg(long)]
    pub(crate) game: Option<String>,
    /// JSON config file with the game, its options, the rule and SVO (options given on the
    /// command line override it).
    #[arg(long)]
    pub(crate) config: Option<PathBuf>,
    /// Bilinear game: the matrix M, rows split by ';', entries by ',' (e.g. "1,2;3,4").
    #[arg(long, allow_hyphen_values = true)]
    pub(crate) matrix: Option<String>,
    /// MLP and public goods: number of players.
    #[arg(long)]
    pub(crate) players: Option<usize>,
    /// Public goods: the multiplier m (1 < m < n).
    #[arg(long, allow_hyphen_values = true)]
    pub(crate) multiplier: Option<f64>,
    /// IPD: the discount gamma in (0, 1).
    #[arg(long, allow_hyphen_values = true)]
    pub(crate) gamma: Option<f64>,
    /// MLP game: hidden width.
    #[arg(long)]
    pub(crate) hidden: Option<usize>,
    /// MLP game: seed of the input batch and the initialisation.
    #[arg(long)]
    pub(crate) seed: Option<u64>,
    /// Where to compute.
    #[command(flatten)]
    pub(crate) compute: BackendArgs,
}

/// The backend and float precision of a command that computes.
#[derive(Debug, Args)]
pub(crate) struct BackendArgs {
    /// Backend: flex (default; cargo feature `flex`, on by default), ndarray, wgpu (feature `wgpu`) or cuda (feature `cuda`).
    #[arg(long)]
    pub(crate) backend: Option<String>,
    /// Float precision: f64 (default) or f32; wgpu and cuda compute in f32 only.
    #[arg(long)]
    pub(crate) dtype: Option<String>,
}

/// The game and the rule.
#[derive(Debug, Args)]
pub(crate) struct RuleArgs {
    #[command(flatten)]
    pub(crate) game: GameArgs,
    /// Update rule: simgd, collective, consensus, sga, aga, la, lola or sos.
    #[arg(long)]
    pub(crate) method: Option<String>,
    /// Adjustment strength lambda (consensus, sga, aga); default 1.
    #[arg(long, allow_hyphen_values = true)]
    pub(crate) lambda: Option<f64>,
    /// Use lambda as given: turn off SGA's alignment / AgA's sign rule (ablation).
    #[arg(long)]
    pub(crate) no_align: bool,
    /// SGA alignment epsilon; default 0.1.
    #[arg(long, allow_hyphen_values = true)]
    pub(crate) sga_epsilon: Option<f64>,
    /// Look-ahead rate alpha (la, lola, sos); default 1.
    #[arg(long, allow_hyphen_values = true)]
    pub(crate) alpha: Option<f64>,
    /// SOS parameter a in (0, 1]; default 0.5.
    #[arg(long, allow_hyphen_values = true)]
    pub(crate) sos_a: Option<f64>,
    /// SOS parameter b > 0; default 0.1.
    #[arg(long, allow_hyphen_values = true)]
    pub(crate) sos_b: Option<f64>,
    /// Shape the losses with social value orientation (angle pi/4, weight 1 unless set).
    #[arg(long)]
    pub(crate) svo: bool,
    /// SVO target angle in radians (implies --svo).
    #[arg(long, allow_hyphen_values = true)]
    pub(crate) svo_angle: Option<f64>,
    /// SVO weight >= 0 (implies --svo).
    #[arg(long, allow_hyphen_values = true)]
    pub(crate) svo_weight: Option<f64>,
}

#[derive(Debug, Args)]
pub(crate) struct DirectionArgs {
    #[command(flatten)]
    pub(crate) rule: RuleArgs,
    /// The point, comma-separated (e.g. 0.5,0.5).
    #[arg(long, allow_hyphen_values = true)]
    pub(crate) at: Option<String>,
    /// Print one JSON object {"xi","xi_c","direction","lambda"}.
    #[arg(long)]
    pub(crate) json: bool,
}

#[derive(Debug, Args)]
pub(crate) struct RunArgs {
    #[command(flatten)]
    pub(crate) rule: RuleArgs,
    /// Learning rate (> 0).
    #[arg(long, allow_hyphen_values = true)]
    pub(crate) lr: f64,
    /// Number of steps (>= 1).
    #[arg(long, allow_hyphen_values = true)]
    pub(crate) steps: usize,
    /// The initial point, comma-separated (e.g. 0.5,0.5).
    #[arg(long, allow_hyphen_values = true)]
    pub(crate) init: Option<String>,
    /// Print one JSON object {"final","losses","steps"}.
    #[arg(long)]
    pub(crate) json: bool,
    /// Write every step to this CSV file: step, the parameters, the losses.
    #[arg(long)]
    pub(crate) trajectory: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub(crate) struct HessianArgs {
    #[command(flatten)]
    pub(crate) game: GameArgs,
    /// The point, comma-separated (e.g. 0,0).
    #[arg(long, allow_hyphen_values = true)]
    pub(crate) at: Option<String>,
    /// Print one JSON object {"xi","xi_c","h","h_c","eig_s","eig_h_c","class","class_c"}.
    #[arg(long)]
    pub(crate) json: bool,
    /// A gradient counts as zero when its largest entry is at most this.
    #[arg(long, default_value_t = 1e-6, allow_hyphen_values = true)]
    pub(crate) gradient_tol: f64,
    /// Relative tolerance under which an eigenvalue counts as zero.
    #[arg(long, default_value_t = 1e-9, allow_hyphen_values = true)]
    pub(crate) eigen_tol: f64,
}

#[derive(Debug, Args)]
pub(crate) struct ExperimentArgs {
    /// toy, public-goods, ipd, matching-pennies or tandem.
    pub(crate) name: String,
    /// Output folder; default results/NAME.
    #[arg(long)]
    pub(crate) out: Option<PathBuf>,
    /// Seed of the initial points.
    #[arg(long, default_value_t = 0)]
    pub(crate) seed: u64,
    /// Number of random initial points (default: the experiment's).
    #[arg(long)]
    pub(crate) runs: Option<usize>,
    /// Steps per run (default: the experiment's).
    #[arg(long)]
    pub(crate) steps: Option<usize>,
    /// Learning rate of every run (default: the experiment's; cleanup and harvest give each
    /// method setting a searched rate, which this replaces).
    #[arg(long, allow_hyphen_values = true)]
    pub(crate) lr: Option<f64>,
    /// |lambda| of consensus, SGA and AgA (default: the experiment's).
    #[arg(long, allow_hyphen_values = true)]
    pub(crate) lambda: Option<f64>,
    /// Look-ahead alpha of LA, LOLA and SOS (default: the experiment's).
    #[arg(long, allow_hyphen_values = true)]
    pub(crate) alpha: Option<f64>,
    /// Worker threads (default: all cores).
    #[arg(long)]
    pub(crate) threads: Option<usize>,
    /// No progress bar.
    #[arg(long)]
    pub(crate) quiet: bool,
    /// cleanup, harvest: the paper-scale preset (CNN, 10^7 steps, 3 seeds, the lambda sweep).
    #[arg(long)]
    pub(crate) full: bool,
    /// cleanup, harvest, mmm2: the actors' surrogate, ppo (default) or dice (the joint
    /// action's ratio; the runs go to their own folders).
    #[arg(long)]
    pub(crate) surrogate: Option<String>,
    /// cleanup, harvest, mmm2: JSON file with environment options in place of the
    /// experiment's environment (any subset of the fields of `aga train --env-config`); the
    /// default output folder becomes results/NAME-FILESTEM.
    #[arg(long)]
    pub(crate) env_config: Option<PathBuf>,
    /// cleanup, harvest: reference (default) or socialjax (docs/envs.md; default output
    /// folder results/NAME-socialjax); --env-config fields go on top.
    #[arg(long)]
    pub(crate) env_preset: Option<String>,
    /// cleanup, harvest, mmm2: train only shard I of N of the runs (I from 0 to N-1; runs are
    /// dealt round robin in table order), e.g. one Slurm array task each; no table is written.
    #[arg(long, value_name = "I/N")]
    pub(crate) shard: Option<String>,
    /// cleanup, harvest, mmm2: train nothing; write the table, summary and curves from the
    /// runs the shards finished (an error names any run that is not finished).
    #[arg(long)]
    pub(crate) collect: bool,
    /// Where to compute (the documented game results are ndarray f64; cleanup and harvest
    /// default to f32).
    #[command(flatten)]
    pub(crate) compute: BackendArgs,
}

/// `aga env …`.
#[derive(Debug, Subcommand)]
pub(crate) enum EnvCommand {
    /// Run E copies of an environment for T steps with a scripted policy, building every agent's
    /// observation every step as training would, and print the episode metrics.
    Run(EnvRunArgs),
    /// Render an episode of a scripted policy: a PNG of the last frame, an animated GIF
    /// (FILE ending in .gif), or the map as text (--ascii).
    Render(EnvRenderArgs),
}

/// The environment and the scripted policy.
#[derive(Debug, Args)]
pub(crate) struct EnvSetupArgs {
    /// cleanup or harvest, or a battle: mmm2 (Selfish-MMM2), mmm, 3m, 2s3z-like, smax-3m.
    #[arg(long)]
    pub(crate) env: String,
    /// random, stay, greedy or clean-and-harvest (Cleanup); for a battle random, heuristic
    /// (the enemies' script playing the allies) or stop; `env render` also takes --checkpoint
    /// instead (Cleanup, Harvest).
    #[arg(long)]
    pub(crate) policy: Option<String>,
    /// clean-and-harvest: how many agents clean (default 1).
    #[arg(long)]
    pub(crate) cleaners: Option<usize>,
    /// Number of agents (default: the config's, 5).
    #[arg(long)]
    pub(crate) agents: Option<usize>,
    /// JSON file with any fields of the environment config (map, agents, horizon,
    /// view_radius, beam_length, regrowth, zap, apple_rate, waste_rate, waste_threshold,
    /// waste_delay); for a battle, any fields of its BattleConfig (unit_types, allies, enemies,
    /// episode_limit, enemy_ai, reward, …).
    #[arg(long)]
    pub(crate) config: Option<PathBuf>,
    /// cleanup, harvest: reference (default, the SSD reference's rules) or socialjax
    /// (SocialJax's maps and rules, docs/envs.md); --config fields go on top.
    #[arg(long)]
    pub(crate) preset: Option<String>,
    /// Steps per copy (default: the horizon, 1000; a battle: ten episode limits for `run`, one
    /// episode for `render`).
    #[arg(long)]
    pub(crate) steps: Option<usize>,
    /// Seed.
    #[arg(long, default_value_t = 0)]
    pub(crate) seed: u64,
}

#[derive(Debug, Args)]
pub(crate) struct EnvRunArgs {
    #[command(flatten)]
    pub(crate) setup: EnvSetupArgs,
    /// Number of copies run in parallel (default 1); the metrics are averaged over copies.
    #[arg(long, default_value_t = 1)]
    pub(crate) envs: usize,
    /// Worker threads (default: all cores).
    #[arg(long)]
    pub(crate) threads: Option<usize>,
    /// Observation: rgb (default) or one-hot.
    #[arg(long, default_value = "rgb")]
    pub(crate) obs: String,
    /// Print one JSON object with the metrics.
    #[arg(long)]
    pub(crate) json: bool,
}

#[derive(Debug, Args)]
pub(crate) struct EnvRenderArgs {
    #[command(flatten)]
    pub(crate) setup: EnvSetupArgs,
    /// Output file: .png (the last frame) or .gif (every frame).
    #[arg(long)]
    pub(crate) out: Option<PathBuf>,
    /// Print the last frame as text instead.
    #[arg(long)]
    pub(crate) ascii: bool,
    /// Pixels per map cell.
    #[arg(long, default_value_t = 12)]
    pub(crate) scale: u32,
    /// GIF frame delay in milliseconds.
    #[arg(long, default_value_t = 60)]
    pub(crate) delay: u32,
    /// Render the greedy policy of a training run (the folder `aga train` wrote) instead of
    /// a scripted policy; its environment configuration is used.
    #[arg(long)]
    pub(crate) checkpoint: Option<std::path::PathBuf>,
}
