//! Many environment copies stepped in parallel, observations in one contiguous buffer.

use crate::config::EnvConfig;
use crate::env::Env;
use crate::metrics::{EpisodeMetrics, EpisodeTracker};
use crate::obs::ObsKind;
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
pub struct VecEnv {
    envs: Vec<Env>,
    trackers: Vec<EpisodeTracker>,
    kind: ObsKind,
    /// The batch's seed.
    seed: u64,
    /// Episodes started so far, per copy (the first is episode 0).
    episodes: Vec<u64>,
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

impl VecEnv {
    /// `copies` environments of `config`, reset with seeds derived from `seed`, writing
    /// observations of kind `kind`.
    pub fn new(
        config: EnvConfig,
        copies: usize,
        seed: u64,
        kind: ObsKind,
    ) -> Result<Self, EnvError> {
        if copies == 0 || copies > 1_000_000 {
            return Err(EnvError::BadParameter(format!(
                "the number of copies must be between 1 and 10^6, got {copies}"
            )));
        }
        let env = Env::new(config)?;
        let agents = env.num_agents();
        let mut envs = vec![env; copies];
        for (e, env) in envs.iter_mut().enumerate() {
            env.reset(seed_of(seed, e));
        }
        Ok(Self {
            envs,
            trackers: vec![EpisodeTracker::new(agents); copies],
            kind,
            seed,
            episodes: vec![0; copies],
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

    /// The observation kind.
    pub fn obs_kind(&self) -> ObsKind {
        self.kind
    }

    /// Like [`VecEnv::step`], and every copy whose episode reached the horizon with this step
    /// starts a new one (seeded by [`VecEnv::episode_seed`]): `dones[e]` is set for it, `obs`
    /// holds the new episode's first observation, and its finished episode's metrics are
    /// returned as `(copy, metrics)`, in copy order.
    pub fn step_autoreset(
        &mut self,
        actions: &[u8],
        rewards: &mut [f32],
        obs: &mut [u8],
        dones: &mut [bool],
    ) -> Result<Vec<(usize, EpisodeMetrics)>, EnvError> {
        if dones.len() != self.envs.len() {
            return Err(EnvError::BufferSize {
                what: "the done buffer",
                expected: self.envs.len(),
                got: dones.len(),
            });
        }
        self.step(actions, rewards, obs)?;
        let n = self.num_agents();
        let kind = self.kind;
        let obs_len = self.envs[0].obs_len(kind) * n;
        let seed = self.seed;
        let mut finished = Vec::new();
        for (e, ((env, tracker), done)) in self
            .envs
            .iter_mut()
            .zip(self.trackers.iter_mut())
            .zip(dones.iter_mut())
            .enumerate()
        {
            *done = env.time() >= env.config().horizon;
            if *done {
                finished.push((e, tracker.metrics()));
                self.episodes[e] += 1;
                env.reset(Self::episode_seed(seed, e, self.episodes[e]));
                *tracker = EpisodeTracker::new(n);
                env.observe(kind, &mut obs[e * obs_len..(e + 1) * obs_len])?;
            }
        }
        Ok(finished)
    }

    /// The copies.
    pub fn envs(&self) -> &[Env] {
        &self.envs
    }

    /// Agents per copy.
    pub fn num_agents(&self) -> usize {
        self.envs[0].num_agents()
    }

    /// Bytes of one batch of observations: `copies × agents × obs_len`.
    pub fn obs_batch_len(&self) -> usize {
        self.envs.len() * self.num_agents() * self.envs[0].obs_len(self.kind)
    }

    /// Step every copy with `actions` (`copies × agents`, copy-major), write each copy's
    /// rewards into `rewards` (`copies × agents`) and every agent's observation of the new
    /// state into `obs` (`copies × agents × obs_len`), in parallel over copies.
    pub fn step(
        &mut self,
        actions: &[u8],
        rewards: &mut [f32],
        obs: &mut [u8],
    ) -> Result<(), EnvError> {
        let n = self.num_agents();
        let copies = self.envs.len();
        for (what, got, expected) in [
            ("the action list", actions.len(), copies * n),
            ("the reward buffer", rewards.len(), copies * n),
            ("the observation buffer", obs.len(), self.obs_batch_len()),
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
        let kind = self.kind;
        let obs_len = self.envs[0].obs_len(kind) * n;
        self.envs
            .par_iter_mut()
            .zip(self.trackers.par_iter_mut())
            .zip(actions.par_chunks(n))
            .zip(rewards.par_chunks_mut(n))
            .zip(obs.par_chunks_mut(obs_len))
            .for_each(|((((env, tracker), a), r), o)| {
                let result = env.step(a).expect("actions were checked");
                let removed = env.agents().iter().filter(|x| x.removed_for > 0).count();
                tracker.record(&result, removed);
                for (dst, src) in r.iter_mut().zip(&result.rewards) {
                    *dst = *src as f32;
                }
                env.observe(kind, o).expect("the buffer has the right size");
            });
        Ok(())
    }

    /// Write every copy's current observations (e.g. right after construction).
    pub fn observe(&self, obs: &mut [u8]) -> Result<(), EnvError> {
        if obs.len() != self.obs_batch_len() {
            return Err(EnvError::BufferSize {
                what: "the observation buffer",
                expected: self.obs_batch_len(),
                got: obs.len(),
            });
        }
        let chunk = obs.len() / self.envs.len();
        let kind = self.kind;
        self.envs
            .par_iter()
            .zip(obs.par_chunks_mut(chunk))
            .for_each(|(env, o)| env.observe(kind, o).expect("the buffer has the right size"));
        Ok(())
    }

    /// Each copy's episode metrics so far.
    pub fn metrics(&self) -> Vec<crate::EpisodeMetrics> {
        self.trackers.iter().map(|t| t.metrics()).collect()
    }
}
