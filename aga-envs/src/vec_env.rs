//! Many environment copies stepped in parallel, observations in one contiguous buffer.

use crate::config::EnvConfig;
use crate::multi_agent::{MultiAgentEnv, StepOutcome};
use crate::obs::ObsKind;
use crate::ssd::Ssd;
use crate::EnvError;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

/// `E` copies of one environment. Copy `e` is reset with seed `seed_of(seed, e)`, and every copy
/// owns its random generator, so results are bit-identical for a seed whatever the number of
/// threads (rayon's pool, or the caller's [`rayon::ThreadPool::install`]).
///
/// The whole state (every copy, its generator, its episode so far) serialises with serde, so a
/// training run can stop and resume bit-identically.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(bound = "")]
pub struct VecEnv<E: MultiAgentEnv = Ssd> {
    envs: Vec<E>,
    /// The batch's seed.
    seed: u64,
    /// Episodes started so far, per copy (the first is episode 0).
    episodes: Vec<u64>,
    /// The batch-wide index of the first copy: a data-parallel worker holds copies
    /// `first..first + len` of a larger batch, seeded as that batch's
    /// ([`VecEnv::from_env_range`]).
    #[serde(default)]
    first: usize,
}

/// An episode that ended in [`VecEnv::step_autoreset`].
#[derive(Debug, Clone)]
pub struct FinishedEpisode<E: MultiAgentEnv> {
    /// The copy it ran in.
    pub copy: usize,
    /// Its metrics.
    pub metrics: E::Metrics,
    /// How it ended.
    pub outcome: StepOutcome,
    /// Every agent's observation of the state it ended in (before the reset), for
    /// bootstrapping the value of a truncated episode.
    pub final_obs: Vec<E::Obs>,
    /// The global state it ended in, for environments with one.
    pub final_state: Option<Vec<E::Obs>>,
}

/// The seed of copy `e` of a batch seeded with `seed` (SplitMix64 of the pair).
pub fn seed_of(seed: u64, e: usize) -> u64 {
    let mut z = seed
        .wrapping_mul(0x9E37_79B9_7F4A_7C15)
        .wrapping_add(e as u64 + 1);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

impl VecEnv<Ssd> {
    /// `copies` Cleanup or Harvest environments of `config`, reset with seeds derived from
    /// `seed`, writing observations of kind `kind`.
    pub fn new(
        config: EnvConfig,
        copies: usize,
        seed: u64,
        kind: ObsKind,
    ) -> Result<Self, EnvError> {
        Self::from_env(Ssd::new(config, kind)?, copies, seed)
    }

    /// The observation kind.
    pub fn obs_kind(&self) -> ObsKind {
        self.envs[0].obs_kind()
    }
}

impl<E: MultiAgentEnv> VecEnv<E> {
    /// `copies` clones of `env`, copy `e` reset with seed [`seed_of`]`(seed, e)`.
    pub fn from_env(env: E, copies: usize, seed: u64) -> Result<Self, EnvError> {
        Self::from_env_range(env, 0, copies, seed)
    }

    /// Copies `first..first + copies` of a batch seeded with `seed`: copy `first + e` of the
    /// batch is this one's copy `e`, reset (and reset again after every episode) exactly as
    /// in the whole batch. A data-parallel worker's share of the environments.
    pub fn from_env_range(
        env: E,
        first: usize,
        copies: usize,
        seed: u64,
    ) -> Result<Self, EnvError> {
        if copies == 0 || copies > 1_000_000 {
            return Err(EnvError::BadParameter(format!(
                "the number of copies must be between 1 and 10^6, got {copies}"
            )));
        }
        if env.num_agents() == 0 || env.num_actions() == 0 || env.obs_spec().is_empty() {
            return Err(EnvError::BadParameter(
                "an environment needs at least one agent, one action and one observation entry"
                    .into(),
            ));
        }
        let mut envs = vec![env; copies];
        for (e, env) in envs.iter_mut().enumerate() {
            env.reset(seed_of(seed, first + e));
        }
        Ok(Self {
            envs,
            seed,
            episodes: vec![0; copies],
            first,
        })
    }

    /// The seed of episode `episode` of copy `e`: [`seed_of`]`(seed, e)` for the first, then
    /// [`seed_of`] of that and the episode number.
    pub fn episode_seed(seed: u64, e: usize, episode: u64) -> u64 {
        let first = seed_of(seed, e);
        if episode == 0 {
            first
        } else {
            seed_of(first, episode as usize)
        }
    }

    /// Like [`VecEnv::step`], and every copy whose episode ended with this step starts a new
    /// one (seeded by [`VecEnv::episode_seed`]): `outcomes[e]` says how it ended, `obs` holds
    /// the new episode's first observation, and the finished episodes are returned in copy
    /// order, each with its metrics and its final observation.
    pub fn step_autoreset(
        &mut self,
        actions: &[u8],
        rewards: &mut [f32],
        obs: &mut [E::Obs],
        outcomes: &mut [StepOutcome],
    ) -> Result<Vec<FinishedEpisode<E>>, EnvError> {
        self.step_into(actions, rewards, obs, Some(outcomes))?;
        let obs_len = self.obs_len_per_copy();
        let (seed, first) = (self.seed, self.first);
        let mut finished = Vec::new();
        for (e, (env, outcome)) in self.envs.iter_mut().zip(outcomes.iter()).enumerate() {
            if outcome.done() {
                let slot = &mut obs[e * obs_len..(e + 1) * obs_len];
                let final_state = env.state_spec().map(|spec| {
                    let mut state = vec![E::Obs::default(); spec.len()];
                    env.state(&mut state);
                    state
                });
                finished.push(FinishedEpisode {
                    copy: e,
                    metrics: env.episode_metrics(),
                    outcome: *outcome,
                    final_obs: slot.to_vec(),
                    final_state,
                });
                self.episodes[e] += 1;
                env.reset(Self::episode_seed(seed, first + e, self.episodes[e]));
                env.observe(slot);
            }
        }
        Ok(finished)
    }

    /// The batch-wide index of this batch's first copy (0 unless made by
    /// [`VecEnv::from_env_range`]).
    pub fn first_copy(&self) -> usize {
        self.first
    }

    /// The copies.
    pub fn envs(&self) -> &[E] {
        &self.envs
    }

    /// Agents per copy.
    pub fn num_agents(&self) -> usize {
        self.envs[0].num_agents()
    }

    /// Actions per agent.
    pub fn num_actions(&self) -> usize {
        self.envs[0].num_actions()
    }

    fn obs_len_per_copy(&self) -> usize {
        self.num_agents() * self.envs[0].obs_spec().len()
    }

    /// Entries of one batch of observations: `copies × agents × obs_len`.
    pub fn obs_batch_len(&self) -> usize {
        self.envs.len() * self.obs_len_per_copy()
    }

    /// Step every copy with `actions` (`copies × agents`, copy-major), write each copy's
    /// rewards into `rewards` (`copies × agents`) and every agent's observation of the new
    /// state into `obs` (`copies × agents × obs_len`), in parallel over copies. Episodes that
    /// end are not reset (see [`VecEnv::step_autoreset`]).
    pub fn step(
        &mut self,
        actions: &[u8],
        rewards: &mut [f32],
        obs: &mut [E::Obs],
    ) -> Result<(), EnvError> {
        self.step_into(actions, rewards, obs, None)
    }

    fn step_into(
        &mut self,
        actions: &[u8],
        rewards: &mut [f32],
        obs: &mut [E::Obs],
        outcomes: Option<&mut [StepOutcome]>,
    ) -> Result<(), EnvError> {
        let n = self.num_agents();
        let copies = self.envs.len();
        for (what, got, expected) in [
            ("the action list", actions.len(), copies * n),
            ("the reward buffer", rewards.len(), copies * n),
            ("the observation buffer", obs.len(), self.obs_batch_len()),
            (
                "the outcome buffer",
                outcomes.as_ref().map_or(copies, |o| o.len()),
                copies,
            ),
        ] {
            if got != expected {
                return Err(EnvError::BufferSize {
                    what,
                    expected,
                    got,
                });
            }
        }
        for (e, env) in self.envs.iter().enumerate() {
            env.check_actions(&actions[e * n..(e + 1) * n])?;
        }
        let obs_len = self.obs_len_per_copy();
        let mut scratch;
        let outcomes = match outcomes {
            Some(o) => o,
            None => {
                scratch = vec![StepOutcome::default(); copies];
                &mut scratch[..]
            }
        };
        self.envs
            .par_iter_mut()
            .zip(actions.par_chunks(n))
            .zip(rewards.par_chunks_mut(n))
            .zip(obs.par_chunks_mut(obs_len))
            .zip(outcomes.par_iter_mut())
            .try_for_each(|((((env, a), r), o), outcome)| {
                *outcome = env.step(a, r)?;
                env.observe(o);
                Ok(())
            })
    }

    /// Write every copy's current observations (e.g. right after construction).
    pub fn observe(&self, obs: &mut [E::Obs]) -> Result<(), EnvError> {
        let chunk = self.obs_len_per_copy();
        let out = self.per_copy("the observation buffer", obs, chunk)?;
        self.envs
            .par_iter()
            .zip(out.par_chunks_mut(chunk))
            .for_each(|(env, o)| env.observe(o));
        Ok(())
    }

    /// Every copy's action masks (`copies × agents × actions`; all `true` for environments
    /// without masks).
    pub fn action_masks(&self, out: &mut [bool]) -> Result<(), EnvError> {
        let chunk = self.num_agents() * self.num_actions();
        let out = self.per_copy("the action-mask buffer", out, chunk)?;
        for (env, m) in self.envs.iter().zip(out.chunks_mut(chunk)) {
            env.action_masks(m);
        }
        Ok(())
    }

    /// Every copy's global state (`copies × state_len`); an error for environments without
    /// one.
    pub fn states(&self, out: &mut [E::Obs]) -> Result<(), EnvError> {
        let spec = self.envs[0]
            .state_spec()
            .ok_or_else(|| EnvError::BadParameter("this environment has no global state".into()))?;
        let chunk = spec.len();
        let out = self.per_copy("the state buffer", out, chunk)?;
        for (env, s) in self.envs.iter().zip(out.chunks_mut(chunk)) {
            env.state(s);
        }
        Ok(())
    }

    /// `out` if it holds `chunk` entries per copy, else the error naming `what`.
    fn per_copy<'a, T>(
        &self,
        what: &'static str,
        out: &'a mut [T],
        chunk: usize,
    ) -> Result<&'a mut [T], EnvError> {
        let expected = self.envs.len() * chunk;
        if out.len() != expected {
            return Err(EnvError::BufferSize {
                what,
                expected,
                got: out.len(),
            });
        }
        Ok(out)
    }

    /// Each copy's episode metrics so far.
    pub fn metrics(&self) -> Vec<E::Metrics> {
        self.envs.iter().map(|e| e.episode_metrics()).collect()
    }
}
