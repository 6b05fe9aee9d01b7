//! Multi-agent environments in Rust: the sequential social dilemmas **Cleanup** (a
//! public-goods dilemma) and **Harvest** (a commons dilemma), with the rules and constants of
//! the SSD reference (Vinitsky et al., `sequential_social_dilemma_games`; `shared/docs/ENVS.md`
//! in the project) as defaults and the Melting Pot / SocialJax variants as configuration; and
//! **Selfish-MMM2**, SMAC's MMM2 battle with a selfish reward per unit ([`Mmm2`],
//! [`BattleConfig`]: SMAX's world model, SC2's units, SMAC's actions, observation and state,
//! SMAClite's enemy script).
//!
//! * [`EnvConfig`]: the map, the number of agents, regrowth, beams, fines or removal, waste,
//!   view size — serde, with the reference as default ([`EnvConfig::harvest`],
//!   [`EnvConfig::cleanup`]);
//! * [`Env`]: `reset(seed)`, `step(&actions)` → [`StepResult`] (rewards, done, counters), and
//!   observations written into caller-owned buffers, RGB ([`ObsKind::Rgb`], 15×15×3) or one-hot
//!   ([`ObsKind::OneHot`]), egocentric and rotated to the agent's facing;
//! * [`MultiAgentEnv`]: the trait every environment implements for the learner (reset with a
//!   seed; step with every agent's action → rewards, terminated/truncated; observations with
//!   their [`ObsSpec`]; optional action masks and global state; per-episode metrics as named
//!   values). [`Ssd`] is Cleanup/Harvest through it;
//! * [`VecEnv`]: many copies of any [`MultiAgentEnv`] stepped in parallel (rayon),
//!   observations written straight into one contiguous buffer per batch, bit-identical for a
//!   seed whatever the number of threads;
//! * [`EpisodeMetrics`]: the social-outcome metrics of Perolat et al. (efficiency, equality,
//!   sustainability, peace) and the environment's counters;
//! * [`Policy`]: scripted policies (`random`, `stay`, `greedy`, `clean-and-harvest`) that make the
//!   dilemmas visible without learning.
//! * [`Mmm2`]: a battle as a [`MultiAgentEnv`] (action masks, SMAC's global state), its
//!   [`BattleConfig`] (unit types, squads, rules, reward weights; presets `mmm2`, `mmm`, `3m`,
//!   `2s3z-like`, `smax-3m`), [`BattleMetrics`] (win rate, returns, equality, damage, healing)
//!   and [`BattlePolicy`] (`random`, `heuristic`, `stop`).
#![warn(missing_docs)]

mod config;
mod env;
mod error;
mod metrics;
mod mmm2;
mod mmm2_config;
mod mmm2_metrics;
mod mmm2_rewards;
mod mmm2_units;
mod multi_agent;
mod obs;
mod policy;
mod ssd;
mod vec_env;

pub use config::{
    Action, BeamShape, EnvConfig, EnvKind, EnvPreset, Regrowth, Zap, CLEANUP_MAP, HARVEST_MAP,
    SOCIALJAX_CLEANUP_MAP, SOCIALJAX_HARVEST_MAP,
};
pub use env::{Agent, Cell, Counters, Env, Facing, StepResult};
pub use error::EnvError;
pub use metrics::{equality, EpisodeMetrics, EpisodeTracker};
pub use mmm2::{actions as mmm2_actions, BattleEnd, BattlePolicy, Mmm2, StepLedger};
pub use mmm2_config::{BattleConfig, EnemyAi, RangeRule, Squad};
pub use mmm2_metrics::BattleMetrics;
pub use mmm2_rewards::{resolve_hits, Hit, Ledger, SelfishWeights};
pub use mmm2_units::{mmm2_teams, HealStats, HealTick, HealerState, SmacSizes, UnitStats};
pub use multi_agent::{
    ElementKind, EpisodeSummary, MultiAgentEnv, NamedMetrics, ObsElement, ObsSpec, StepOutcome,
};
pub use obs::{AgentMark, ObsKind, AGENT_COLOURS, ONE_HOT_CHANNELS, ORIENTATION_CHANNELS};
pub use policy::Policy;
pub use ssd::Ssd;
pub use vec_env::{seed_of, FinishedEpisode, VecEnv};
