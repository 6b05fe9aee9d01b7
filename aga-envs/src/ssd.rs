//! Cleanup and Harvest as a [`MultiAgentEnv`]: an [`Env`] with the observation it writes and
//! the tracker of its episode.

use crate::metrics::{EpisodeMetrics, EpisodeTracker};
use crate::multi_agent::{ElementKind, EpisodeSummary, MultiAgentEnv, ObsSpec, StepOutcome};
use crate::obs::ObsKind;
use crate::{Env, EnvConfig, EnvError};
use serde::{Deserialize, Serialize};

/// A sequential social dilemma (Cleanup or Harvest) seen through one kind of observation.
///
/// Episodes end only at the horizon, so every episode end is a *truncation*
/// ([`StepOutcome::truncated`]): the map goes on, and a learner may bootstrap from it.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Ssd {
    env: Env,
    kind: ObsKind,
    tracker: EpisodeTracker,
}

impl Ssd {
    /// The environment of `config` writing observations of kind `kind` (reset with seed 0;
    /// [`VecEnv`](crate::VecEnv) resets every copy with its own seed).
    pub fn new(config: EnvConfig, kind: ObsKind) -> Result<Self, EnvError> {
        let env = Env::new(config)?;
        let tracker = EpisodeTracker::new(env.num_agents());
        Ok(Self { env, kind, tracker })
    }

    /// The underlying environment.
    pub fn env(&self) -> &Env {
        &self.env
    }

    /// The underlying environment, for scripted set-ups and tests (placing agents, setting
    /// cells); the episode's tracker keeps counting.
    pub fn env_mut(&mut self) -> &mut Env {
        &mut self.env
    }

    /// The environment's configuration.
    pub fn config(&self) -> &EnvConfig {
        self.env.config()
    }

    /// The observation kind.
    pub fn obs_kind(&self) -> ObsKind {
        self.kind
    }
}

impl MultiAgentEnv for Ssd {
    type Obs = u8;
    type Metrics = EpisodeMetrics;

    fn num_agents(&self) -> usize {
        self.env.num_agents()
    }

    fn num_actions(&self) -> usize {
        self.env.num_actions()
    }

    fn obs_spec(&self) -> ObsSpec {
        let side = 2 * self.env.config().view_radius + 1;
        ObsSpec {
            shape: vec![side, side, self.env.obs_channels(self.kind)],
            element: ElementKind::Bytes,
            divisor: match self.kind {
                ObsKind::Rgb => 255.0,
                ObsKind::OneHot => 1.0,
            },
        }
    }

    fn reset(&mut self, seed: u64) {
        self.env.reset(seed);
        self.tracker = EpisodeTracker::new(self.env.num_agents());
    }

    fn step(&mut self, actions: &[u8], rewards: &mut [f32]) -> Result<StepOutcome, EnvError> {
        let result = self.env.step(actions)?;
        let removed: Vec<bool> = self
            .env
            .agents()
            .iter()
            .map(|x| x.removed_for > 0)
            .collect();
        self.tracker.record(&result, &removed);
        for (dst, src) in rewards.iter_mut().zip(&result.rewards) {
            *dst = *src as f32;
        }
        Ok(StepOutcome {
            terminated: false,
            truncated: result.done,
        })
    }

    fn observe(&self, out: &mut [u8]) {
        self.env
            .observe(self.kind, out)
            .expect("the runner sizes the buffer from obs_spec");
    }

    fn episode_metrics(&self) -> EpisodeMetrics {
        self.tracker.metrics()
    }

    fn compatible(&self, other: &Self) -> bool {
        self.env.config() == other.env.config() && self.kind == other.kind
    }

    fn check_actions(&self, actions: &[u8]) -> Result<(), EnvError> {
        self.env.check_actions(actions)
    }
}

impl EpisodeSummary for EpisodeMetrics {
    fn named(&self) -> Vec<(String, f64)> {
        let mut out = vec![
            ("steps".to_string(), self.steps as f64),
            ("collective_return".to_string(), self.collective_return),
        ];
        out.extend(
            self.returns
                .iter()
                .enumerate()
                .map(|(i, &r)| (format!("return_agent_{i}"), r)),
        );
        out.extend(
            self.apples
                .iter()
                .enumerate()
                .map(|(i, &a)| (format!("apples_agent_{i}"), a)),
        );
        out.extend(
            self.cleaned
                .iter()
                .enumerate()
                .map(|(i, &w)| (format!("cleaned_agent_{i}"), w)),
        );
        out.extend(
            [
                ("efficiency", self.efficiency),
                ("equality", self.equality),
                ("sustainability", self.sustainability),
                ("peace", self.peace),
                ("apple_efficiency", self.apple_efficiency),
                ("apple_equality", self.apple_equality),
                ("apple_sustainability", self.apple_sustainability),
                ("apples_eaten", self.apples_eaten),
                ("apples_remaining", self.apples_remaining),
                ("waste_cleaned", self.waste_cleaned),
                ("waste_density", self.waste_density),
                ("beams_fired", self.beams_fired),
                ("agents_tagged", self.agents_tagged),
            ]
            .map(|(k, v)| (k.to_string(), v)),
        );
        out
    }

    fn mean(all: &[Self]) -> Option<Self> {
        EpisodeMetrics::mean(all)
    }
}
