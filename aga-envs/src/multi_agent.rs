//! The environment trait the learner trains through: a multi-agent, vectorisable environment.
//!
//! One implementation per environment (Cleanup and Harvest are [`Ssd`](crate::Ssd)); the
//! vectorised runner ([`VecEnv`](crate::VecEnv)) and `aga-rl`'s trainer are generic over it, so
//! a new environment — in this workspace or in a user's own crate — is one `impl`, not a fork.

use crate::EnvError;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use std::fmt::Debug;

/// The element type of observations and states: bytes (images, one-hot planes) or floats.
pub trait ObsElement:
    Copy + Default + Debug + PartialEq + Send + Sync + Serialize + DeserializeOwned + 'static
{
    /// Which of the two this is.
    const KIND: ElementKind;
    /// The value as a network input feature (before [`ObsSpec::divisor`]).
    fn to_f32(self) -> f32;
}

impl ObsElement for u8 {
    const KIND: ElementKind = ElementKind::Bytes;
    fn to_f32(self) -> f32 {
        f32::from(self)
    }
}

impl ObsElement for f32 {
    const KIND: ElementKind = ElementKind::Floats;
    fn to_f32(self) -> f32 {
        self
    }
}

/// Bytes or floats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ElementKind {
    /// `u8` entries.
    Bytes,
    /// `f32` entries.
    Floats,
}

/// The shape of one agent's observation (or of the global state).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ObsSpec {
    /// The shape: `[height, width, channels]` (channel-last) for an image a convolutional
    /// network can read, `[features]` for a flat vector.
    pub shape: Vec<usize>,
    /// The element type.
    pub element: ElementKind,
    /// What networks divide the entries by to bring them near `[0, 1]`: 255 for RGB bytes,
    /// 1 for one-hot planes and for floats that are already scaled.
    pub divisor: f32,
}

impl ObsSpec {
    /// Entries in one observation.
    pub fn len(&self) -> usize {
        self.shape.iter().product()
    }

    /// Whether the observation has no entries.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// How a step ended the episode, if it did. An episode that ends by its time limit is
/// *truncated*: the state after it still has a value, and a learner may bootstrap from it. One
/// that ends because the game is over is *terminated*: nothing follows.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct StepOutcome {
    /// The game is over (a win, a loss): the value after this step is zero.
    pub terminated: bool,
    /// The episode hit its time limit without the game being over.
    pub truncated: bool,
}

impl StepOutcome {
    /// Whether the episode ended with this step.
    pub fn done(self) -> bool {
        self.terminated || self.truncated
    }
}

/// The metrics of one episode, or the mean of several.
pub trait EpisodeSummary:
    Clone + Debug + PartialEq + Send + Sync + Serialize + DeserializeOwned + 'static
{
    /// Every metric as a named value, always the same names in the same order for one
    /// environment configuration (they become columns of `metrics.csv`).
    fn named(&self) -> Vec<(String, f64)>;
    /// The mean of several episodes' metrics (`None` for an empty list).
    fn mean(all: &[Self]) -> Option<Self>;
}

/// Named metrics for environments that need nothing richer: the mean of several is the mean
/// of each value (entries are matched by position; all must have the same names).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct NamedMetrics(pub Vec<(String, f64)>);

impl EpisodeSummary for NamedMetrics {
    fn named(&self) -> Vec<(String, f64)> {
        self.0.clone()
    }

    fn mean(all: &[Self]) -> Option<Self> {
        let first = all.first()?;
        let k = all.len() as f64;
        Some(NamedMetrics(
            first
                .0
                .iter()
                .enumerate()
                .map(|(j, (name, _))| {
                    let sum: f64 = all.iter().map(|m| m.0.get(j).map_or(0.0, |x| x.1)).sum();
                    (name.clone(), sum / k)
                })
                .collect(),
        ))
    }
}

/// A multi-agent environment that the learner can train on: every agent acts at every step,
/// from a discrete action set, on its own observation.
///
/// The contract:
/// * [`reset`](MultiAgentEnv::reset) with a seed starts an episode; everything random is drawn
///   from the environment's own generator, seeded there, so that a seed gives the same
///   episode whatever the thread (this is what makes [`VecEnv`](crate::VecEnv) bit-identical
///   for any number of threads);
/// * [`step`](MultiAgentEnv::step) takes one action per agent, writes one reward per agent and
///   says whether the episode terminated or was truncated; the runner resets it then;
/// * [`observe`](MultiAgentEnv::observe) writes every agent's observation of the current
///   state, agent after agent, each [`ObsSpec::len`] entries;
/// * optional: per-agent action masks, a global state for centralised critics;
/// * [`episode_metrics`](MultiAgentEnv::episode_metrics): the episode so far, as named values.
///
/// The whole state serialises with serde (checkpoints resume bit-identically).
pub trait MultiAgentEnv:
    Clone + Debug + Send + Sync + Serialize + DeserializeOwned + 'static
{
    /// Observation (and state) entries: `u8` or `f32`.
    type Obs: ObsElement;
    /// An episode's metrics.
    type Metrics: EpisodeSummary;

    /// Agents acting at every step.
    fn num_agents(&self) -> usize;
    /// Actions available to each agent (indices `0..num_actions`).
    fn num_actions(&self) -> usize;
    /// One agent's observation.
    fn obs_spec(&self) -> ObsSpec;
    /// Start a new episode, deterministic in `seed`.
    fn reset(&mut self, seed: u64);
    /// One step with one action per agent (checked by [`MultiAgentEnv::check_actions`] first):
    /// write each agent's reward into `rewards` (`num_agents` entries).
    fn step(&mut self, actions: &[u8], rewards: &mut [f32]) -> Result<StepOutcome, EnvError>;
    /// Every agent's observation of the current state into `out`
    /// (`num_agents × obs_spec().len()` entries, agent-major).
    fn observe(&self, out: &mut [Self::Obs]);
    /// The current episode's metrics so far.
    fn episode_metrics(&self) -> Self::Metrics;

    /// Whether [`MultiAgentEnv::action_masks`] can rule actions out (default: no).
    fn has_action_masks(&self) -> bool {
        false
    }
    /// Which actions each agent may take now, `num_agents × num_actions` flags (default: all).
    /// At least one action per agent must be allowed.
    fn action_masks(&self, out: &mut [bool]) {
        out.fill(true);
    }
    /// The global state's shape, for centralised critics (default: none).
    fn state_spec(&self) -> Option<ObsSpec> {
        None
    }
    /// The global state into `out` (`state_spec().len()` entries); only called when
    /// [`MultiAgentEnv::state_spec`] is `Some`.
    fn state(&self, out: &mut [Self::Obs]) {
        let _ = out;
    }
    /// Whether a checkpoint taken with `other` may be continued with this environment's
    /// configuration (default: yes; override it to refuse another map, agent count, …).
    fn compatible(&self, other: &Self) -> bool {
        let _ = other;
        true
    }

    /// A clear error for a list of actions of the wrong length or with an action out of
    /// range (the default checks both).
    fn check_actions(&self, actions: &[u8]) -> Result<(), EnvError> {
        let (n, a) = (self.num_agents(), self.num_actions());
        if actions.len() != n {
            return Err(EnvError::BadActions(format!(
                "{} actions for {n} agents",
                actions.len()
            )));
        }
        if let Some((agent, act)) = actions.iter().enumerate().find(|(_, &x)| x as usize >= a) {
            return Err(EnvError::BadActions(format!(
                "agent {agent}'s action {act} is not one of the {a} actions"
            )));
        }
        Ok(())
    }
}
