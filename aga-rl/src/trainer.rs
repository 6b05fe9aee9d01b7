//! The learner, as CleanRL's `ppo.py` reads: a rollout from many environment copies
//! ([`Trainer::collect`]), advantages from two value heads per agent, then epochs of
//! minibatch updates ([`Trainer::learn`]) in which every actor step goes through
//! [`GameOptimizer`] with the run's rule. Data flows one way: environment → rollout →
//! surrogates → derivatives → rule → optimiser.

use crate::losses::{CriticLoss, DiceGame, Minibatch, PpoGame};
use crate::policy::{Actors, Critics, NetShape};
use crate::rollout::{explained_variance, sample, targets, Rollout, RolloutRewards};
use crate::{kl_and_clipped, PolicyKind, RlError, Surrogate, TrainConfig, MASKED_LOGIT};
use aga_burn::stacking::{split_agents, stack_agents};
use aga_burn::{
    Dual, GameOptimizer, GameOptimizerConfig, GameStep, HvpBackend, ModuleLosses, StepDiagnostics,
};
use aga_core::Method;
use aga_envs::{
    seed_of, EnvConfig, EpisodeMetrics, EpisodeSummary, MultiAgentEnv, Ssd, StepOutcome, VecEnv,
};
use aga_parallel::{check_same, fingerprint, AllReduce, Weighted};
use burn::module::{AutodiffModule, Module};
use burn::optim::adaptor::OptimizerAdaptor;
use burn::optim::{Adam, AdamConfig, Optimizer};
use burn::record::{BinFileRecorder, DoublePrecisionSettings, Recorder};
use burn::tensor::backend::Backend;
use burn::tensor::{Int, Tensor, TensorData};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};
use std::path::Path;
use std::time::Instant;

type AD<B> = HvpBackend<B>;

/// Rows per critic evaluation after a rollout.
const VALUE_CHUNK: usize = 4096;
type ActorOpt<B> = OptimizerAdaptor<Adam, Actors<AD<B>>, AD<B>>;
type CriticOpt<B> = OptimizerAdaptor<Adam, Critics<AD<B>>, AD<B>>;
/// The centralised critic (a stack of one) and its optimiser.
type CentralCritic<B> = (Critics<AD<B>>, GameOptimizer<CriticOpt<B>>);

/// What one update (one rollout and its PPO epochs) measured: one row of `metrics.csv`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(bound = "")]
pub struct UpdateMetrics<M: EpisodeSummary = EpisodeMetrics> {
    /// The update's number, from 1.
    pub update: u64,
    /// Environment steps so far (summed over copies).
    pub env_steps: u64,
    /// Mean over copies of the collective reward per step in this rollout.
    pub reward_per_step: f64,
    /// Episodes that ended during this rollout.
    pub episodes_ended: usize,
    /// The mean metrics of the most recent episodes to end (those of this rollout, else the
    /// latest earlier ones); `None` before the first episode ends.
    pub episode: Option<M>,
    /// Means over the update's minibatch steps of the rule's diagnostics.
    pub rule: RuleMetrics,
    /// PPO's own diagnostics of the update.
    pub ppo: PpoMetrics,
    /// The learning rate of this update (after annealing).
    pub lr: f64,
    /// Wall-clock seconds of the update (rollout and learning).
    pub seconds: f64,
    /// Environment steps per wall-clock second in this update.
    pub env_steps_per_second: f64,
}

impl<M: EpisodeSummary> UpdateMetrics<M> {
    /// The same metrics with the wall-clock fields zeroed: everything else is a deterministic
    /// function of the run's configuration and seed (what resume tests compare).
    pub fn without_timing(mut self) -> Self {
        self.seconds = 0.0;
        self.env_steps_per_second = 0.0;
        self
    }
}

/// PPO's diagnostics (as CleanRL logs them), averaged over agents.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct PpoMetrics {
    /// `mean((ρ − 1) − log ρ)` over the rollout after the update, `ρ = π_new / π_old` of the
    /// actions taken (Schulman's low-variance estimator of KL(π_old ‖ π_new)).
    pub approx_kl: f64,
    /// Share of the rollout's samples with `|ρ − 1| > ε` after the update (under the joint
    /// surrogate, `ρ` is the joint action's ratio `□`, shared by the step's agents).
    pub clip_fraction: f64,
    /// Mean entropy of the policies on the rollout's observations, after the update.
    pub entropy: f64,
    /// `1 − Var(R − V)/Var(R)` of the individual value heads on the rollout (before the
    /// update, as CleanRL).
    pub explained_variance: f64,
    /// The same for the collective value heads (or the centralised critic).
    pub explained_variance_collective: f64,
}

/// The rule's diagnostics, averaged over an update's minibatch steps.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct RuleMetrics {
    /// Mean `λ` used (after the sign rule); NaN for rules without `λ`.
    pub lambda: f64,
    /// Mean `‖ξ‖`.
    pub xi_norm: f64,
    /// Mean `‖ξ_c‖`.
    pub xi_c_norm: f64,
    /// Mean `cos(ξ, ξ_c)`.
    pub cos_xi_xi_c: f64,
    /// Share of steps whose alignment sign was `+1` (AgA, SGA); NaN otherwise.
    pub positive_alignment: f64,
    /// Mean individual surrogate loss (with the entropy term) before the steps.
    pub policy_loss: f64,
    /// Mean critic loss before the steps.
    pub value_loss: f64,
}

/// Everything that changes during a run, saved in a checkpoint besides the networks and the
/// optimisers' states.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(bound = "")]
struct RunState<E: MultiAgentEnv> {
    updates: u64,
    env_steps: u64,
    last_episode: Option<E::Metrics>,
    envs: VecEnv<E>,
    /// The networks' parameter shapes (actors, critics), checked before loading them.
    shapes: (Vec<Vec<usize>>, Vec<Vec<usize>>),
    /// The actors' surrogate (checkpoints before it was recorded are PPO's).
    #[serde(default)]
    surrogate: Surrogate,
}

/// The updates a checkpoint written by [`Trainer::save`] into `dir` records, read from its
/// `state.json` without loading the networks (a checkpoint is complete once that file is there:
/// it is written last); `None` when there is none or it cannot be read. The run is finished
/// when they reach [`TrainConfig::total_updates`].
pub fn checkpoint_updates(dir: &Path) -> Option<u64> {
    #[derive(Deserialize)]
    struct Progress {
        updates: u64,
    }
    let text = std::fs::read_to_string(dir.join("state.json")).ok()?;
    serde_json::from_str::<Progress>(&text)
        .ok()
        .map(|p| p.updates)
}

/// A training run: the agents' actors and critics, their optimisers and the environments.
///
/// Generic over the environment: any [`MultiAgentEnv`] trains (Cleanup and Harvest are
/// [`Ssd`], the default).
pub struct Trainer<B: Backend, E: MultiAgentEnv = Ssd> {
    config: TrainConfig,
    /// A fresh copy of the environment (evaluation, compatibility of checkpoints).
    prototype: E,
    shape: NetShape,
    /// The centralised critic's input: the global state, or every agent's view side by side.
    central_shape: NetShape,
    device: B::Device,
    /// Agents in the environment.
    agents: usize,
    /// Every agent's actor, stacked.
    actors: Actors<AD<B>>,
    /// Every agent's critic, stacked.
    critics: Critics<AD<B>>,
    /// The centralised collective critic `V_c(s)` (option).
    central: Option<CentralCritic<B>>,
    actor_opt: GameOptimizer<ActorOpt<B>>,
    critic_opt: GameOptimizer<CriticOpt<B>>,
    state: RunState<E>,
    /// The current observations `[e, agent, obs]`.
    obs: Vec<E::Obs>,
    /// A rollout was collected and not learnt from yet (no checkpoint may be taken then).
    pending: bool,
    /// A data-parallel worker's transport (`None`: the process holds the whole batch).
    parallel: Option<Box<dyn AllReduce>>,
}

/// Copies `first..first + count` of `total` for worker `rank` of `world` (contiguous, sizes
/// differing by at most one).
fn shard_of(total: usize, rank: usize, world: usize) -> (usize, usize) {
    let first = rank * total / world;
    (first, (rank + 1) * total / world - first)
}

/// One step of `opt` on `players` and `losses`: as it is in a single process (`parallel`
/// `None`), or through the workers' sums with this worker's shard weighing `weight` (its share
/// of the minibatch's samples).
fn game_step<B, M, L, O>(
    opt: &mut GameOptimizer<O>,
    lr: f64,
    players: Vec<M>,
    losses: &L,
    parallel: Option<&mut (dyn AllReduce + 'static)>,
    weight: f64,
) -> Result<GameStep<M>, RlError>
where
    B: Backend,
    M: AutodiffModule<AD<B>>,
    L: ModuleLosses<AD<B>, M>,
    O: Optimizer<M, AD<B>>,
{
    match parallel {
        None => opt.step::<B, M, L>(lr, players, losses),
        Some(all_reduce) => opt.step_reduced::<B, M, L, _>(
            lr,
            players,
            losses,
            &mut Weighted { all_reduce, weight },
        ),
    }
    .map_err(RlError::Transform)
}

fn adam() -> AdamConfig {
    // CleanRL's PPO uses Adam with ε = 1e-5.
    AdamConfig::new().with_epsilon(1e-5)
}

impl<B: Backend> Trainer<B, Ssd> {
    /// A new run on Cleanup or Harvest: the observation follows the policy (RGB for the CNN,
    /// one-hot for the MLP).
    pub fn new(
        config: TrainConfig,
        env_config: EnvConfig,
        device: B::Device,
    ) -> Result<Self, RlError> {
        let env = Ssd::new(env_config, config.policy.obs_kind())?;
        Self::with_env(config, env, device)
    }

    /// A Cleanup or Harvest run continued from the checkpoint in `dir`.
    pub fn load(
        config: TrainConfig,
        env_config: EnvConfig,
        device: B::Device,
        dir: &Path,
    ) -> Result<Self, RlError> {
        let env = Ssd::new(env_config, config.policy.obs_kind())?;
        Self::load_with_env(config, env, device, dir)
    }

    /// The environment's configuration.
    pub fn env_config(&self) -> &EnvConfig {
        self.prototype.config()
    }
}

impl<B: Backend, E: MultiAgentEnv> Trainer<B, E> {
    /// A new run on `env`: networks initialised from the seed, `ppo.envs` copies of `env`
    /// reset with seeds derived from it.
    pub fn with_env(config: TrainConfig, env: E, device: B::Device) -> Result<Self, RlError> {
        Self::build(config, env, device, None)
    }

    /// A data-parallel worker of a new run: this worker steps its share of the `ppo.envs`
    /// copies (contiguous, seeded as in the whole batch) and computes its shard of every
    /// minibatch; every derivative, loss and advantage statistic is summed over the workers
    /// through `all_reduce`, so every worker takes the step one process with the whole batch
    /// would (docs/scaling.md). Every worker must be built with the same configuration and
    /// environment: both, and the initial networks, are checked across the workers first.
    pub fn with_env_parallel(
        config: TrainConfig,
        env: E,
        device: B::Device,
        all_reduce: Box<dyn AllReduce>,
    ) -> Result<Self, RlError> {
        let mut trainer = Self::build(config, env, device, Some(all_reduce))?;
        trainer.check_workers_agree()?;
        Ok(trainer)
    }

    fn build(
        config: TrainConfig,
        env: E,
        device: B::Device,
        parallel: Option<Box<dyn AllReduce>>,
    ) -> Result<Self, RlError> {
        config.validate()?;
        let (first, copies) = match &parallel {
            None => (0, config.ppo.envs),
            Some(p) => {
                if p.world_size() > config.ppo.envs {
                    return Err(RlError::Parallel(format!(
                        "{} workers cannot share {} environment copies: give each worker at least one",
                        p.world_size(),
                        config.ppo.envs
                    )));
                }
                shard_of(config.ppo.envs, p.rank(), p.world_size())
            }
        };
        let agents = env.num_agents();
        let spec = env.obs_spec();
        let shape = NetShape::for_spec(config.policy, &spec, env.num_actions())?;
        // The centralised critic reads the global state, or every agent's view side by side
        // (the bytes as the environment writes them, scaled as the views are), with the MLP.
        let central_spec = env.state_spec().unwrap_or_else(|| aga_envs::ObsSpec {
            shape: vec![agents * spec.len()],
            ..spec.clone()
        });
        let central_shape = NetShape::for_spec(PolicyKind::Mlp, &central_spec, 2)?;
        let seeds = |salt: u64| -> Vec<u64> {
            (0..agents)
                .map(|i| seed_of(config.seed ^ salt, i))
                .collect()
        };
        let actors = Actors::new(shape, &device, &seeds(0xAC7));
        let critics = Critics::new(shape, &device, &seeds(0xC417));
        // One Adam for each stack (Adam's state is per parameter element: the same as one per
        // agent); gradient clipping stays per agent (`ModuleLosses::stacked_agents`). Under the
        // joint surrogate every agent is a player of its own, with an Adam of its own.
        let players = match config.surrogate {
            Surrogate::Ppo => 1,
            Surrogate::Dice => agents,
        };
        let actor_opt = config
            .rule()
            .init((0..players).map(|_| adam().init()).collect())
            .map_err(RlError::Transform)?;
        let critic_optimizer = || {
            // No ‖ξ_c‖/cos diagnostics: nothing reads them for the critics, and they cost a pass
            // (and, in data-parallel runs, a reduction) of their own every minibatch.
            GameOptimizerConfig::new(Method::Simgd)
                .with_max_grad_norm(Some(config.ppo.max_grad_norm))
                .with_diagnostics(false)
                .init(vec![adam().init()])
                .map_err(RlError::Transform)
        };
        let critic_opt = critic_optimizer()?;
        let central = match config.centralised_critic {
            true => Some((
                Critics::new(central_shape, &device, &[seed_of(config.seed ^ 0xCE47, 0)]),
                critic_optimizer()?,
            )),
            false => None,
        };
        let surrogate = config.surrogate;
        let envs = VecEnv::from_env_range(env.clone(), first, copies, config.seed)?;
        let mut obs = vec![E::Obs::default(); envs.obs_batch_len()];
        envs.observe(&mut obs)?;
        Ok(Self {
            config,
            prototype: env,
            shape,
            central_shape,
            device,
            agents,
            actors,
            critics,
            central,
            actor_opt,
            critic_opt,
            state: RunState {
                updates: 0,
                env_steps: 0,
                last_episode: None,
                envs,
                shapes: (Vec::new(), Vec::new()),
                surrogate,
            },
            obs,
            pending: false,
            parallel,
        })
    }

    /// This process's environment copies (all of them, or a data-parallel worker's share).
    fn local_copies(&self) -> usize {
        self.state.envs.envs().len()
    }

    /// A data-parallel worker's reductions so far (`None` in a single process).
    pub fn reduce_stats(&self) -> Option<aga_parallel::ReduceStats> {
        self.parallel.as_ref().map(|p| p.stats())
    }

    /// Whether this trainer is a data-parallel worker, and if so its rank and the workers.
    pub fn worker(&self) -> Option<(usize, usize)> {
        self.parallel.as_ref().map(|p| (p.rank(), p.world_size()))
    }

    /// Checks across the workers that they have the same configuration, environment,
    /// progress and networks (the networks from the same seed, or the same checkpoint): a
    /// fingerprint of each is compared ([`aga_parallel::check_same`]).
    fn check_workers_agree(&mut self) -> Result<(), RlError> {
        let setup = serde_json::to_vec(&(&self.config, &self.prototype, self.state.updates))
            .map_err(|e| RlError::Checkpoint(e.to_string()))?;
        let networks: Vec<u8> = self
            .network_values()
            .iter()
            .flat_map(|x| x.to_le_bytes())
            .collect();
        let all_reduce = self.parallel.as_deref_mut().expect("a worker");
        check_same(
            all_reduce,
            fingerprint(&setup),
            "configuration, environment or progress",
        )
        .map_err(|e| RlError::Parallel(e.to_string()))?;
        check_same(
            all_reduce,
            fingerprint(&networks),
            "set of initial networks",
        )
        .map_err(|e| RlError::Parallel(e.to_string()))
    }

    /// `Σ_k values_k` over the workers (the values themselves in a single process).
    fn sum_over_workers(&mut self, values: Vec<f64>) -> Result<Vec<f64>, RlError> {
        match self.parallel.as_deref_mut() {
            None => Ok(values),
            Some(p) => p.sum(values).map_err(|e| RlError::Parallel(e.to_string())),
        }
    }

    /// Every network's parameter shapes: the actors, then the critics and the centralised
    /// critic, if any.
    fn shapes(&self) -> (Vec<Vec<usize>>, Vec<Vec<usize>>) {
        let mut critics = shapes_of(&self.critics);
        if let Some((central, _)) = &self.central {
            critics.extend(shapes_of(central));
        }
        (shapes_of(&self.actors), critics)
    }

    /// The run's configuration.
    pub fn config(&self) -> &TrainConfig {
        &self.config
    }

    /// The environment (a fresh copy, as the run was built with).
    pub fn env(&self) -> &E {
        &self.prototype
    }

    /// What the centralised critic reads (the global state, or every agent's view side by
    /// side, with the views' divisor), when the run has one.
    pub fn central_critic_input(&self) -> Option<NetShape> {
        self.central.as_ref().map(|_| self.central_shape)
    }

    /// Every agent's actor (one stack along the agent axis), as trained so far.
    pub fn actors(&self) -> &Actors<AD<B>> {
        &self.actors
    }

    /// Every parameter of the run's networks — the actors, the critics, the centralised critic
    /// if any — in the modules' visiting order, which is the same in every process whatever the
    /// parameters' random ids (what data-parallel workers compare, and a way to compare runs).
    pub fn network_values(&self) -> Vec<f64> {
        let mut values = params_of(&self.actors);
        values.extend(params_of(&self.critics));
        if let Some((central, _)) = &self.central {
            values.extend(params_of(central));
        }
        values
    }

    /// Every agent's critic (both value heads), stacked.
    pub fn critics(&self) -> &Critics<AD<B>> {
        &self.critics
    }

    /// Agents in the environment.
    pub fn num_agents(&self) -> usize {
        self.agents
    }

    /// Environment steps done so far.
    pub fn env_steps(&self) -> u64 {
        self.state.env_steps
    }

    /// Updates done so far.
    pub fn updates(&self) -> u64 {
        self.state.updates
    }

    /// Environment steps of one update (`envs × rollout_steps`).
    pub fn steps_per_update(&self) -> u64 {
        (self.config.ppo.envs * self.config.ppo.rollout_steps) as u64
    }

    /// Updates in the whole run (the last one may pass `steps` by less than one rollout).
    pub fn total_updates(&self) -> u64 {
        self.config.total_updates()
    }

    /// Whether the run has done its `steps`.
    pub fn finished(&self) -> bool {
        self.state.updates >= self.total_updates()
    }

    /// Set a new total budget (for a resumed run that goes further than it was first asked).
    pub fn set_steps(&mut self, steps: u64) -> Result<(), RlError> {
        let mut config = self.config.clone();
        config.steps = steps;
        config.validate()?;
        self.config = config;
        Ok(())
    }

    /// The learning rate of update `k` (0-based): linear annealing from `lr` towards 0 over the
    /// annealing horizon (the run's updates, or `anneal_steps`), as CleanRL.
    fn lr_at(&self, k: u64) -> f64 {
        let p = &self.config.ppo;
        if !p.anneal_lr {
            return p.lr;
        }
        let horizon = p
            .anneal_steps
            .unwrap_or(self.config.steps)
            .div_ceil(self.steps_per_update())
            .max(1);
        let frac = 1.0 - (k as f64) / (horizon as f64);
        p.lr * frac.max(1e-3)
    }

    /// Agent `agent`'s network inputs for rows of an observation batch laid out
    /// `[row, agent, obs]` (every row of `obs`).
    fn agent_features(&self, obs: &[E::Obs], agent: usize) -> Vec<f32> {
        let (n, len) = (self.agents, self.shape.obs_len());
        let rows = obs.len() / (n * len);
        let mut out = Vec::with_capacity(rows * len);
        for r in 0..rows {
            let start = (r * n + agent) * len;
            self.shape.push_features(&obs[start..start + len], &mut out);
        }
        out
    }

    /// Every agent's network inputs, agent-major (`[agent, row, features]`), for rows of an
    /// observation batch laid out `[row, agent, obs]`.
    fn stacked_features(&self, obs: &[E::Obs]) -> Vec<f32> {
        let mut out = Vec::with_capacity(obs.len());
        for agent in 0..self.agents {
            out.extend(self.agent_features(obs, agent));
        }
        out
    }

    /// `[agents, rows, len / (agents · rows)]` on any backend of the run's device.
    fn stacked<C: Backend<Device = B::Device>>(
        &self,
        data: Vec<f32>,
        agents: usize,
        rows: usize,
    ) -> Tensor<C, 3> {
        let cols = data.len() / (agents * rows).max(1);
        Tensor::from_data(TensorData::new(data, [agents, rows, cols]), &self.device)
    }

    /// Every agent's additive masks, agent-major (`[agent, row, action]`), for rows of a mask
    /// batch laid out `[row, agent, action]`.
    fn stacked_masks(&self, masks: &[bool], rows: impl Iterator<Item = usize> + Clone) -> Vec<f32> {
        let mut out = Vec::new();
        for agent in 0..self.agents {
            out.extend(self.agent_masks(masks, agent, rows.clone()));
        }
        out
    }

    /// Additive masks (0 or [`MASKED_LOGIT`]) of agent `agent` for rows of a mask batch laid
    /// out `[row, agent, action]`.
    fn agent_masks(
        &self,
        masks: &[bool],
        agent: usize,
        rows: impl Iterator<Item = usize>,
    ) -> Vec<f32> {
        let (n, a) = (self.agents, self.shape.outputs);
        let mut out = Vec::new();
        for r in rows {
            let start = (r * n + agent) * a;
            out.extend(
                masks[start..start + a]
                    .iter()
                    .map(|&ok| if ok { 0.0 } else { MASKED_LOGIT }),
            );
        }
        out
    }

    /// Per agent of the stack `critics`, `[V, V_c]` of every row (`width` features each) of
    /// that agent's `features[agent]` (every agent the same number of rows), flat: one batched
    /// forward per chunk of rows, so that memory does not grow with the rollout (every row is
    /// evaluated on its own, so the results do not depend on the chunk size).
    fn critic_values(
        &self,
        critics: &Critics<Dual<B>>,
        features: &[Vec<f32>],
        width: usize,
    ) -> Vec<Vec<f32>> {
        let k = features.len();
        let rows = features[0].len() / width.max(1);
        let mut values: Vec<Vec<f32>> = vec![Vec::with_capacity(2 * rows); k];
        for start in (0..rows).step_by(VALUE_CHUNK) {
            let end = (start + VALUE_CHUNK).min(rows);
            let mut chunk = Vec::with_capacity(k * (end - start) * width);
            for f in features {
                chunk.extend_from_slice(&f[start * width..end * width]);
            }
            let out = to_f32(critics.values(self.stacked(chunk, k, end - start)));
            for (agent, v) in values.iter_mut().enumerate() {
                v.extend_from_slice(
                    &out[agent * 2 * (end - start)..(agent + 1) * 2 * (end - start)],
                );
            }
        }
        values
    }

    /// The centralised critic's input rows for observation rows `[row, agent, obs]` or
    /// states `[row, state]`, as floats.
    fn central_features(&self, rows: &[E::Obs]) -> Vec<f32> {
        let mut out = Vec::with_capacity(rows.len());
        self.central_shape.push_features(rows, &mut out);
        out
    }

    /// The copies' current global states, where the environment has them.
    fn current_states(&self) -> Result<Option<Vec<E::Obs>>, RlError> {
        match self.prototype.state_spec() {
            Some(spec) => {
                let mut out = vec![E::Obs::default(); self.local_copies() * spec.len()];
                self.state.envs.states(&mut out)?;
                Ok(Some(out))
            }
            None => Ok(None),
        }
    }

    /// One update: a rollout of `rollout_steps` steps in every copy ([`Trainer::collect`]),
    /// then PPO's epochs on it ([`Trainer::learn`]).
    pub fn update(&mut self) -> Result<UpdateMetrics<E::Metrics>, RlError> {
        let start = Instant::now();
        let rollout = self.collect()?;
        let mut m = self.learn(rollout)?;
        m.seconds = start.elapsed().as_secs_f64();
        m.env_steps_per_second = self.steps_per_update() as f64 / m.seconds.max(1e-12);
        Ok(m)
    }

    /// The rollout of the next update: `rollout_steps` steps in every environment copy with
    /// the current policies (actions sampled), then both value heads and GAE for every agent.
    pub fn collect(&mut self) -> Result<Rollout<E>, RlError> {
        if self.pending {
            return Err(RlError::Checkpoint(
                "a rollout is already waiting for learn()".into(),
            ));
        }
        let p = &self.config.ppo;
        let (n, total, steps) = (self.agents, p.envs, p.rollout_steps);
        let copies = self.local_copies();
        let seed = seed_of(self.config.seed ^ 0x5EED_FA6A, self.state.updates as usize);
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let actors = self.actors.valid();
        let masked = self.prototype.has_action_masks();
        let mut buf = RolloutBuffers::<E> {
            obs: Vec::with_capacity(steps * self.obs.len()),
            states: self.prototype.state_spec().map(|_| Vec::new()),
            masks: masked.then(Vec::new),
            actions: Vec::with_capacity(steps * copies * n),
            log_probs: Vec::with_capacity(steps * copies * n),
            rewards: RolloutRewards {
                rewards: Vec::with_capacity(steps * copies * n),
                outcomes: Vec::with_capacity(steps * copies),
                bootstrap: Vec::new(),
            },
            truncations: Vec::new(),
            ended: Vec::new(),
        };
        for t in 0..steps {
            self.rollout_step(&actors, &mut buf, &mut rng, t)?;
        }
        self.state.env_steps += (steps * total) as u64;
        if let Some(mean) = E::Metrics::mean(&buf.ended) {
            self.state.last_episode = Some(mean);
        }
        let rewards = buf
            .rewards
            .rewards
            .iter()
            .map(|&r| f64::from(r))
            .sum::<f64>();
        // Every worker's rewards and ended episodes (the episodes' metrics stay this worker's).
        let totals = self.sum_over_workers(vec![rewards, buf.ended.len() as f64])?;
        let (reward_per_step, episodes_ended) =
            (totals[0] / (steps * total) as f64, totals[1] as usize);
        let (values, central) = self.rollout_values(&mut buf)?;
        let per_agent = targets(
            &self.config,
            copies,
            &buf.rewards,
            &values,
            central.as_deref(),
        );
        let samples = steps * copies;
        let ev = |head: usize| {
            (0..n)
                .map(|i| {
                    let v = (0..samples).map(|s| match (head, &central) {
                        (1, Some(c)) => c[2 * s + 1],
                        _ => values[i][2 * s + head],
                    });
                    let r = if head == 0 {
                        &per_agent[i].1
                    } else {
                        &per_agent[i].3
                    };
                    explained_variance(v, r)
                })
                .sum::<f64>()
                / n as f64
        };
        let explained_variance = (ev(0), ev(1));
        self.pending = true;
        Ok(Rollout {
            obs: buf.obs,
            states: buf.states,
            masks: buf.masks,
            actions: buf.actions,
            log_probs: buf.log_probs,
            values: values
                .into_iter()
                .map(|mut v| {
                    v.truncate(2 * samples);
                    v
                })
                .collect(),
            central: central.map(|mut c| {
                c.truncate(2 * samples);
                c
            }),
            per_agent,
            reward_per_step,
            episodes_ended,
            explained_variance,
            rng,
        })
    }

    /// Step `t` of a rollout: sample every agent's action from its policy (one batched
    /// forward of every actor, one read back), step every copy, record what the learner
    /// needs.
    fn rollout_step(
        &mut self,
        actors: &Actors<Dual<B>>,
        buf: &mut RolloutBuffers<E>,
        rng: &mut ChaCha8Rng,
        t: usize,
    ) -> Result<(), RlError> {
        let (n, a_n) = (self.agents, self.shape.outputs);
        let (copies, first, total) = (
            self.local_copies(),
            self.state.envs.first_copy(),
            self.config.ppo.envs,
        );
        buf.obs.extend_from_slice(&self.obs);
        if let Some(states) = buf.states.as_mut() {
            states.extend(self.current_states()?.expect("the environment has a state"));
        }
        let masks = match buf.masks.is_some() {
            true => {
                let mut m = vec![true; copies * n * a_n];
                self.state.envs.action_masks(&mut m)?;
                Some(m)
            }
            false => None,
        };
        let mut actions = vec![0u8; copies * n];
        let mut log_probs = vec![0f32; copies * n];
        let x = self.stacked(self.stacked_features(&self.obs), n, copies);
        let mask = masks
            .as_ref()
            .map(|m| self.stacked(self.stacked_masks(m, 0..copies), n, copies));
        let lp = to_f32(actors.masked_log_probs(x, mask));
        // The draws of every copy of the whole batch, in its order; this process uses its
        // copies' (a data-parallel worker samples what one process would).
        for i in 0..n {
            for g in 0..total {
                let u = rng.gen::<f64>();
                let Some(e) = g.checked_sub(first).filter(|&e| e < copies) else {
                    continue;
                };
                let row = &lp[(i * copies + e) * a_n..(i * copies + e + 1) * a_n];
                let a = sample(row, u);
                actions[e * n + i] = a as u8;
                log_probs[e * n + i] = row[a];
            }
        }
        if let (Some(all), Some(m)) = (buf.masks.as_mut(), masks) {
            all.extend(m);
        }
        let mut rewards = vec![0f32; copies * n];
        let mut outcomes = vec![StepOutcome::default(); copies];
        let finished =
            self.state
                .envs
                .step_autoreset(&actions, &mut rewards, &mut self.obs, &mut outcomes)?;
        for f in finished {
            if f.outcome.truncated && !f.outcome.terminated && self.config.ppo.bootstrap_truncation
            {
                // `final_state` is there exactly when the environment has a global state.
                buf.truncations
                    .push((t * copies + f.copy, f.final_obs, f.final_state));
            }
            buf.ended.push(f.metrics);
        }
        buf.actions.extend(actions);
        buf.log_probs.extend(log_probs);
        buf.rewards.rewards.extend(rewards);
        buf.rewards.outcomes.extend(outcomes);
        Ok(())
    }

    /// Every agent's `[V, V_c]` of the rollout's samples and of the state after it (one pair
    /// per copy), the centralised critic's `V_c` of the same where there is one, and the
    /// bootstrap values of the truncated episode ends (into `buf.rewards.bootstrap`).
    #[allow(clippy::type_complexity)]
    fn rollout_values(
        &self,
        buf: &mut RolloutBuffers<E>,
    ) -> Result<(Vec<Vec<f32>>, Option<Vec<f32>>), RlError> {
        let n = self.agents;
        let len = self.shape.obs_len();
        let gamma = self.config.ppo.gamma as f32;
        let finals: Vec<E::Obs> = buf
            .truncations
            .iter()
            .flat_map(|x| x.1.iter().copied())
            .collect();
        let features: Vec<Vec<f32>> = (0..n)
            .map(|i| {
                let mut features = self.agent_features(&buf.obs, i);
                features.extend(self.agent_features(&self.obs, i));
                features.extend(self.agent_features(&finals, i));
                features
            })
            .collect();
        let mut values = self.critic_values(&self.critics.valid(), &features, len);
        let finals_values: Vec<Vec<f32>> = values
            .iter_mut()
            .map(|v| v.split_off(v.len() - 2 * buf.truncations.len()))
            .collect();
        let central = match &self.central {
            None => None,
            Some((critic, _)) => {
                let width = self.central_shape.obs_len();
                let mut rows = match &buf.states {
                    Some(states) => self.central_features(states),
                    None => self.central_features(&buf.obs),
                };
                match self.current_states()? {
                    Some(states) => rows.extend(self.central_features(&states)),
                    None => rows.extend(self.central_features(&self.obs)),
                }
                for (_, obs, state) in &buf.truncations {
                    rows.extend(self.central_features(state.as_deref().unwrap_or(obs)));
                }
                let mut per_stack = self.critic_values(&critic.valid(), &[rows], width);
                per_stack.pop()
            }
        };
        let first_final = values[0].len() / 2;
        buf.rewards.bootstrap = buf
            .truncations
            .iter()
            .enumerate()
            .map(|(k, (s, _, _))| {
                let v_i = (0..n).map(|i| gamma * finals_values[i][2 * k]).collect();
                let v_c = (0..n)
                    .map(|i| match &central {
                        Some(c) => gamma * c[2 * (first_final + k) + 1],
                        None => gamma * finals_values[i][2 * k + 1],
                    })
                    .collect();
                (*s, v_i, v_c)
            })
            .collect();
        let central = central.map(|mut c| {
            c.truncate(2 * first_final);
            c
        });
        Ok((values, central))
    }

    /// PPO's epochs on `rollout` (from [`Trainer::collect`]): every minibatch step goes through
    /// the game optimiser with the run's rule; the critics regress on their targets.
    pub fn learn(&mut self, rollout: Rollout<E>) -> Result<UpdateMetrics<E::Metrics>, RlError> {
        let n = self.agents;
        // The whole batch's samples (`t·E + e`: step `t` of copy `e`); this process holds the
        // rows of its copies (`t·copies + e − first`).
        let samples = self.steps_per_update() as usize;
        let (total, first, copies) = (
            self.config.ppo.envs,
            self.state.envs.first_copy(),
            self.local_copies(),
        );
        let local = self.config.ppo.rollout_steps * copies;
        if rollout.actions.len() != local * n || rollout.per_agent.len() != n {
            return Err(RlError::Checkpoint(
                "the rollout was not collected by this trainer's configuration".into(),
            ));
        }
        // The rollout is consumed whatever happens next.
        self.pending = false;
        let start = Instant::now();
        let p = self.config.ppo.clone();
        let lr = self.lr_at(self.state.updates);
        let mut rng = rollout.rng.clone();
        let mut sums = RuleSums::default();
        let data = self.upload(&rollout);
        for _ in 0..p.epochs {
            let mut order: Vec<usize> = (0..samples).collect();
            for j in (1..samples).rev() {
                order.swap(j, rng.gen_range(0..=j));
            }
            for idx in order
                .chunks_exact(samples / p.minibatches)
                .take(p.minibatches)
            {
                let rows: Vec<usize> = idx
                    .iter()
                    .filter_map(|&s| {
                        let (t, e) = (s / total, s % total);
                        let e = e.checked_sub(first).filter(|&e| e < copies)?;
                        Some(t * copies + e)
                    })
                    .collect();
                self.minibatch_step(&data, &rollout, &rows, idx.len(), lr, &mut sums)?;
            }
        }
        let ppo = self.ppo_metrics(&rollout, &data);
        self.state.updates += 1;
        let seconds = start.elapsed().as_secs_f64();
        Ok(UpdateMetrics {
            update: self.state.updates,
            env_steps: self.state.env_steps,
            reward_per_step: rollout.reward_per_step,
            episodes_ended: rollout.episodes_ended,
            episode: self.state.last_episode.clone(),
            rule: sums.mean(),
            ppo,
            lr,
            seconds,
            env_steps_per_second: samples as f64 / seconds.max(1e-12),
        })
    }

    /// A data-parallel worker's advantages of `rows`, each agent's individual then collective
    /// ones (`[agent, row]`, in `f64`: the backend's float type on upload), normalised with the whole minibatch's (`minibatch`
    /// samples over every worker) per-agent mean and population standard deviation: the
    /// normalisation of [`crate::surrogate::normalise_advantage_rows`] over the whole
    /// minibatch, from two sums over the workers (the means, then the centred squares).
    fn globally_normalised_advantages(
        &mut self,
        rollout: &Rollout<E>,
        rows: &[usize],
        minibatch: usize,
    ) -> Result<[Vec<f64>; 2], RlError> {
        let n = self.agents;
        let m = minibatch as f64;
        let column = |k: usize, i: usize| -> &[f32] {
            match k {
                0 => &rollout.per_agent[i].0,
                _ => &rollout.per_agent[i].2,
            }
        };
        let sums = (0..2)
            .flat_map(|k| (0..n).map(move |i| (k, i)))
            .map(|(k, i)| rows.iter().map(|&r| f64::from(column(k, i)[r])).sum())
            .collect();
        let means: Vec<f64> = self.sum_over_workers(sums)?.iter().map(|s| s / m).collect();
        let squares = (0..2)
            .flat_map(|k| (0..n).map(move |i| (k, i)))
            .map(|(k, i)| {
                rows.iter()
                    .map(|&r| (f64::from(column(k, i)[r]) - means[k * n + i]).powi(2))
                    .sum()
            })
            .collect();
        let stds: Vec<f64> = self
            .sum_over_workers(squares)?
            .iter()
            .map(|s| (s / m).sqrt())
            .collect();
        let normalised = |k: usize| -> Vec<f64> {
            (0..n)
                .flat_map(|i| {
                    let (mean, std) = (means[k * n + i], stds[k * n + i]);
                    rows.iter()
                        .map(move |&r| (f64::from(column(k, i)[r]) - mean) / (std + 1e-8))
                })
                .collect()
        };
        Ok([normalised(0), normalised(1)])
    }

    /// Everything the epochs read, on the device once per update, every agent's rows stacked
    /// agent-major (`[agents, samples, …]`); minibatches are selected from it on the device.
    fn upload(&self, r: &Rollout<E>) -> Uploaded<B> {
        let (n, samples) = (self.agents, r.actions.len() / self.agents);
        // Column `k` of every agent's (advantages, returns, collective advantages, collective
        // returns).
        let per_agent = |k: usize| {
            let data: Vec<f32> = r
                .per_agent
                .iter()
                .flat_map(|a| [&a.0, &a.1, &a.2, &a.3][k].iter().copied())
                .collect();
            self.stacked::<AD<B>>(data, n, samples)
                .reshape([n, samples])
        };
        let interleaved = |v: &[f32]| -> Vec<f32> {
            (0..n)
                .flat_map(|i| (0..samples).map(move |s| v[s * n + i]))
                .collect()
        };
        let actions: Vec<i64> = (0..n)
            .flat_map(|i| (0..samples).map(move |s| i64::from(r.actions[s * n + i])))
            .collect();
        let values: Vec<f32> = r.values.iter().flat_map(|v| v.iter().copied()).collect();
        let central = r.central.as_ref().map(|central| {
            let width = self.central_shape.obs_len();
            let rows = r.states.as_ref().unwrap_or(&r.obs);
            let mut obs = Vec::with_capacity(samples * width);
            for s in 0..samples {
                self.central_shape
                    .push_features(&rows[s * width..(s + 1) * width], &mut obs);
            }
            let targets = self.stacked::<AD<B>>(r.per_agent[0].3.clone(), 1, samples);
            Minibatch {
                obs: self.stacked(obs, 1, samples),
                actions: Tensor::zeros([1, samples, 1], &self.device),
                old_log_probs: Tensor::zeros([1, samples], &self.device),
                advantages: Tensor::zeros([1, samples], &self.device),
                collective_advantages: Tensor::zeros([1, samples], &self.device),
                returns: targets.clone().reshape([1, samples]),
                collective_returns: targets.reshape([1, samples]),
                old_values: self.stacked(central.clone(), 1, samples),
                masks: None,
                normalised_advantages: false,
            }
        });
        Uploaded {
            agents: Minibatch {
                obs: self.stacked(self.stacked_features(&r.obs), n, samples),
                actions: Tensor::from_data(TensorData::new(actions, [n, samples, 1]), &self.device),
                old_log_probs: self
                    .stacked::<AD<B>>(interleaved(&r.log_probs), n, samples)
                    .reshape([n, samples]),
                advantages: per_agent(0),
                returns: per_agent(1),
                collective_advantages: per_agent(2),
                collective_returns: per_agent(3),
                old_values: self.stacked(values, n, samples),
                masks: r
                    .masks
                    .as_ref()
                    .map(|m| self.stacked(self.stacked_masks(m, 0..samples), n, samples)),
                normalised_advantages: false,
            },
            central,
        }
    }

    /// One minibatch (the samples `idx`): the actors' step with the rule, then the critics'
    /// regression (and the centralised critic's).
    ///
    /// `idx` are this process's rows of a minibatch of `minibatch` samples; a data-parallel
    /// worker weighs its derivatives by its share `idx.len() / minibatch` of them.
    fn minibatch_step(
        &mut self,
        data: &Uploaded<B>,
        rollout: &Rollout<E>,
        idx: &[usize],
        minibatch: usize,
        lr: f64,
        sums: &mut RuleSums,
    ) -> Result<(), RlError> {
        let p = self.config.ppo.clone();
        let n = self.agents;
        if idx.is_empty() {
            return Err(RlError::Parallel(
                "a worker's share of a minibatch is empty: use fewer workers, fewer minibatches or longer rollouts".into(),
            ));
        }
        let weight = idx.len() as f64 / minibatch as f64;
        let rows: Vec<i64> = idx.iter().map(|&s| s as i64).collect();
        let rows =
            Tensor::<AD<B>, 1, Int>::from_data(TensorData::new(rows, [idx.len()]), &self.device);
        let mut batch = data.agents.select(&rows);
        if self.parallel.is_some() {
            let [individual, collective] =
                self.globally_normalised_advantages(rollout, idx, minibatch)?;
            let shape = [n, idx.len()];
            batch.advantages = Tensor::from_data(TensorData::new(individual, shape), &self.device);
            batch.collective_advantages =
                Tensor::from_data(TensorData::new(collective, shape), &self.device);
            batch.normalised_advantages = true;
        }
        // The networks are cloned (cheap: tensors are shared) so that a failed step leaves
        // the trainer as it was.
        let step = match self.config.surrogate {
            Surrogate::Ppo => {
                let game = PpoGame {
                    batch: batch.clone(),
                    clip: p.clip,
                    entropy_coef: p.entropy_coef,
                };
                game_step::<B, _, _, _>(
                    &mut self.actor_opt,
                    lr,
                    vec![self.actors.clone()],
                    &game,
                    self.parallel.as_deref_mut(),
                    weight,
                )?
            }
            Surrogate::Dice => {
                // One player per agent, under ids derived from the stack's (Adam's state
                // follows them from step to step); the trained agents are stacked again.
                let game = DiceGame {
                    batch: batch.clone(),
                    clip: p.clip,
                    entropy_coef: p.entropy_coef,
                    template: self.actors.clone(),
                };
                let mut step = game_step::<B, _, _, _>(
                    &mut self.actor_opt,
                    lr,
                    split_agents(&self.actors),
                    &game,
                    self.parallel.as_deref_mut(),
                    weight,
                )?;
                let stacked = stack_agents(&self.actors, &step.players, true);
                step.players = vec![stacked];
                step
            }
        };
        self.actors = step.players.into_iter().next().expect("one stack");
        sums.add(&step.diagnostics, &step.losses_before, n);
        let critic_loss = CriticLoss {
            batch,
            value_coef: p.value_coef,
            clip: p.clip_value.then_some(p.clip),
        };
        let step = game_step::<B, _, _, _>(
            &mut self.critic_opt,
            lr,
            vec![self.critics.clone()],
            &critic_loss,
            self.parallel.as_deref_mut(),
            weight,
        )?;
        self.critics = step.players.into_iter().next().expect("one stack");
        sums.value_loss += step.losses_before.iter().sum::<f64>() / n as f64;
        if let (Some((critic, opt)), Some(central)) = (self.central.as_mut(), &data.central) {
            let loss = CriticLoss {
                batch: central.select(&rows),
                value_coef: p.value_coef,
                clip: p.clip_value.then_some(p.clip),
            };
            let step = game_step::<B, _, _, _>(
                opt,
                lr,
                vec![critic.clone()],
                &loss,
                self.parallel.as_deref_mut(),
                weight,
            )?;
            *critic = step.players.into_iter().next().expect("one critic");
        }
        Ok(())
    }

    /// Approximate KL, clip fraction and entropy of the updated policies on the rollout, and
    /// the rollout's explained variances.
    fn ppo_metrics(&self, r: &Rollout<E>, data: &Uploaded<B>) -> PpoMetrics {
        let (n, a_n) = (self.agents, self.shape.outputs);
        let samples = r.actions.len() / n;
        let clip = self.config.ppo.clip;
        let (mut kl, mut clipped, mut entropy) = (0.0, 0.0, 0.0);
        let actors = self.actors.valid();
        let obs = data.agents.obs.clone().inner();
        let masks = data.agents.masks.clone().map(|m| m.inner());
        for start in (0..samples).step_by(VALUE_CHUNK) {
            let end = (start + VALUE_CHUNK).min(samples);
            let rows = end - start;
            let x = obs.clone().slice([0..n, start..end]);
            let mask = masks.clone().map(|m| m.slice([0..n, start..end]));
            let lp = to_f32(actors.masked_log_probs(x, mask));
            // The joint surrogate clips the joint action's ratio: its log is the sum of the
            // agents' log-ratios of the step.
            let mut joint_log_ratio = vec![0.0f64; rows];
            for i in 0..n {
                for (k, s) in (start..end).enumerate() {
                    let row = &lp[(i * rows + k) * a_n..(i * rows + k + 1) * a_n];
                    let (new, old) = (
                        f64::from(row[r.actions[s * n + i] as usize]),
                        f64::from(r.log_probs[s * n + i]),
                    );
                    let (kl_term, is_clipped) = kl_and_clipped(new, old, clip);
                    kl += kl_term;
                    joint_log_ratio[k] += new - old;
                    if self.config.surrogate == Surrogate::Ppo {
                        clipped += f64::from(u8::from(is_clipped));
                    }
                    entropy -= row
                        .iter()
                        .map(|&l| f64::from(l).exp() * f64::from(l))
                        .filter(|x| x.is_finite())
                        .sum::<f64>();
                }
            }
            if self.config.surrogate == Surrogate::Dice {
                // Every agent's row of the step is clipped together.
                let steps_clipped = joint_log_ratio
                    .iter()
                    .filter(|&&l| (l.exp() - 1.0).abs() > clip)
                    .count();
                clipped += (steps_clipped * n) as f64;
            }
        }
        let count = (samples * n).max(1) as f64;
        PpoMetrics {
            approx_kl: kl / count,
            clip_fraction: clipped / count,
            entropy: entropy / count,
            explained_variance: r.explained_variance.0,
            explained_variance_collective: r.explained_variance.1,
        }
    }

    /// Save everything a bit-identical resume needs into `dir` (created if missing). The
    /// networks and Adam states are stored in f64 (exact for f32 and f64 runs). Not between
    /// [`Trainer::collect`] and [`Trainer::learn`]: the rollout is not part of a checkpoint.
    pub fn save(&self, dir: &Path) -> Result<(), RlError> {
        if self.pending {
            return Err(RlError::Checkpoint(
                "cannot save between collect() and learn(): the rollout would be lost".into(),
            ));
        }
        std::fs::create_dir_all(dir).map_err(|e| RlError::io(dir, e))?;
        let recorder = BinFileRecorder::<DoublePrecisionSettings>::new();
        self.actors
            .clone()
            .save_file(dir.join("actors"), &recorder)
            .map_err(RlError::record)?;
        self.critics
            .clone()
            .save_file(dir.join("critics"), &recorder)
            .map_err(RlError::record)?;
        Recorder::<AD<B>>::record(
            &recorder,
            self.actor_opt.to_record::<B, Actors<AD<B>>>(),
            dir.join("actor_adam"),
        )
        .map_err(RlError::record)?;
        Recorder::<AD<B>>::record(
            &recorder,
            self.critic_opt.to_record::<B, Critics<AD<B>>>(),
            dir.join("critic_adam"),
        )
        .map_err(RlError::record)?;
        if let Some((critic, opt)) = &self.central {
            critic
                .clone()
                .save_file(dir.join("central"), &recorder)
                .map_err(RlError::record)?;
            Recorder::<AD<B>>::record(
                &recorder,
                opt.to_record::<B, Critics<AD<B>>>(),
                dir.join("central_adam"),
            )
            .map_err(RlError::record)?;
        }
        let mut state = self.state.clone();
        state.shapes = self.shapes();
        let state =
            serde_json::to_string(&state).map_err(|e| RlError::Checkpoint(e.to_string()))?;
        let path = dir.join("state.json");
        std::fs::write(&path, state).map_err(|e| RlError::io(&path, e))?;
        Ok(())
    }

    /// A run of `config` on `env` continued from the checkpoint in `dir` (written by
    /// [`Trainer::save`] for the same configuration).
    pub fn load_with_env(
        config: TrainConfig,
        env: E,
        device: B::Device,
        dir: &Path,
    ) -> Result<Self, RlError> {
        Self::load_inner(config, env, device, dir, None)
    }

    /// A data-parallel worker ([`Trainer::with_env_parallel`]) continued from its own
    /// checkpoint in `dir` (written by this worker of a run with the same workers); the
    /// workers' progress and networks are checked to agree.
    pub fn load_with_env_parallel(
        config: TrainConfig,
        env: E,
        device: B::Device,
        dir: &Path,
        all_reduce: Box<dyn AllReduce>,
    ) -> Result<Self, RlError> {
        let mut trainer = Self::load_inner(config, env, device, dir, Some(all_reduce))?;
        trainer.check_workers_agree()?;
        Ok(trainer)
    }

    fn load_inner(
        config: TrainConfig,
        env: E,
        device: B::Device,
        dir: &Path,
        parallel: Option<Box<dyn AllReduce>>,
    ) -> Result<Self, RlError> {
        let mut fresh = Self::build(config, env, device.clone(), parallel)?;
        let path = dir.join("state.json");
        let text = std::fs::read_to_string(&path).map_err(|e| RlError::io(&path, e))?;
        let state: RunState<E> =
            serde_json::from_str(&text).map_err(|e| RlError::Checkpoint(e.to_string()))?;
        // Burn's loading neither checks shapes nor fails cleanly on another structure: compare
        // the checkpoint with the configuration first.
        if state.shapes != fresh.shapes() {
            return Err(RlError::Checkpoint(
                "the checkpoint's networks do not have the configuration's shapes".into(),
            ));
        }
        if state.surrogate != fresh.config.surrogate {
            return Err(RlError::Checkpoint(format!(
                "the checkpoint was trained with the {} surrogate, the configuration asks for {}",
                state.surrogate, fresh.config.surrogate
            )));
        }
        if (state.envs.first_copy(), state.envs.envs().len())
            != (fresh.state.envs.first_copy(), fresh.local_copies())
        {
            return Err(RlError::Checkpoint(format!(
                "the checkpoint holds environment copies {}..{}, this process's share is {}..{} (another number of workers?)",
                state.envs.first_copy(),
                state.envs.first_copy() + state.envs.envs().len(),
                fresh.state.envs.first_copy(),
                fresh.state.envs.first_copy() + fresh.local_copies()
            )));
        }
        if state.envs.num_agents() != fresh.agents
            || !fresh.prototype.compatible(&state.envs.envs()[0])
        {
            return Err(RlError::Checkpoint(
                "the checkpoint's environments do not match the configuration".into(),
            ));
        }
        let recorder = BinFileRecorder::<DoublePrecisionSettings>::new();
        fresh.actors = fresh
            .actors
            .clone()
            .load_file(dir.join("actors"), &recorder, &device)
            .map_err(RlError::record)?;
        fresh.critics = fresh
            .critics
            .clone()
            .load_file(dir.join("critics"), &recorder, &device)
            .map_err(RlError::record)?;
        let record = Recorder::<AD<B>>::load(&recorder, dir.join("actor_adam"), &device)
            .map_err(RlError::record)?;
        fresh.actor_opt = fresh
            .actor_opt
            .load_record::<B, Actors<AD<B>>>(record)
            .map_err(RlError::Transform)?;
        let record = Recorder::<AD<B>>::load(&recorder, dir.join("critic_adam"), &device)
            .map_err(RlError::record)?;
        fresh.critic_opt = fresh
            .critic_opt
            .load_record::<B, Critics<AD<B>>>(record)
            .map_err(RlError::Transform)?;
        if let Some((critic, opt)) = fresh.central.take() {
            let critic = critic
                .load_file(dir.join("central"), &recorder, &device)
                .map_err(RlError::record)?;
            let record = Recorder::<AD<B>>::load(&recorder, dir.join("central_adam"), &device)
                .map_err(RlError::record)?;
            let opt = opt
                .load_record::<B, Critics<AD<B>>>(record)
                .map_err(RlError::Transform)?;
            fresh.central = Some((critic, opt));
        }
        fresh.state = state;
        fresh.obs = vec![E::Obs::default(); fresh.state.envs.obs_batch_len()];
        fresh.state.envs.observe(&mut fresh.obs)?;
        Ok(fresh)
    }

    /// The greedy policy (each agent's most probable allowed action) on `episodes` fresh
    /// episodes seeded from `seed`: the mean of their metrics.
    pub fn evaluate(&self, episodes: usize, seed: u64) -> Result<E::Metrics, RlError> {
        /// The most steps an evaluation episode may take before it is called endless.
        const MAX_EPISODE_STEPS: usize = 10_000_000;
        let copies = episodes.max(1);
        let mut envs = VecEnv::from_env(self.prototype.clone(), copies, seed)?;
        let n = self.agents;
        let mut obs = vec![E::Obs::default(); envs.obs_batch_len()];
        envs.observe(&mut obs)?;
        let mut masks = vec![true; copies * n * self.shape.outputs];
        let mut rewards = vec![0f32; copies * n];
        let mut actions = vec![0u8; copies * n];
        let mut outcomes = vec![StepOutcome::default(); copies];
        let mut done: Vec<Option<E::Metrics>> = vec![None; copies];
        for _ in 0..MAX_EPISODE_STEPS {
            envs.action_masks(&mut masks)?;
            self.greedy_actions_masked(&obs, Some(&masks), &mut actions);
            for f in envs.step_autoreset(&actions, &mut rewards, &mut obs, &mut outcomes)? {
                done[f.copy].get_or_insert(f.metrics);
            }
            if done.iter().all(Option::is_some) {
                let all: Vec<E::Metrics> = done.into_iter().flatten().collect();
                return Ok(E::Metrics::mean(&all).expect("at least one episode"));
            }
        }
        Err(RlError::Env(aga_envs::EnvError::BadParameter(format!(
            "an evaluation episode did not end within {MAX_EPISODE_STEPS} steps"
        ))))
    }

    /// Each agent's most probable action for a batch of observations (`copies × agents ×
    /// obs_len`, as [`VecEnv`] writes them) into `actions` (`copies × agents`).
    pub fn greedy_actions(&self, obs: &[E::Obs], actions: &mut [u8]) {
        self.greedy_actions_masked(obs, None, actions)
    }

    /// [`Trainer::greedy_actions`] among the allowed actions (`masks`: `copies × agents ×
    /// actions`, as [`VecEnv::action_masks`] writes them).
    pub fn greedy_actions_masked(
        &self,
        obs: &[E::Obs],
        masks: Option<&[bool]>,
        actions: &mut [u8],
    ) {
        let n = self.agents;
        let copies = actions.len() / n;
        let x = self.stacked(self.stacked_features(obs), n, copies);
        let mask = masks.map(|m| self.stacked(self.stacked_masks(m, 0..copies), n, copies));
        let best: Vec<i64> = self
            .actors
            .valid()
            .masked_log_probs(x, mask)
            .argmax(2)
            .into_data()
            .convert::<i64>()
            .to_vec::<i64>()
            .expect("int data");
        for i in 0..n {
            for e in 0..copies {
                actions[e * n + i] = best[i * copies + e] as u8;
            }
        }
    }
}

/// A rollout's tensors on the device for the epochs of one update.
struct Uploaded<B: Backend> {
    /// Every agent's samples.
    agents: Minibatch<AD<B>>,
    /// The centralised critic's samples (a stack of one), when the run has one.
    central: Option<Minibatch<AD<B>>>,
}

/// What a rollout gathers step by step.
struct RolloutBuffers<E: MultiAgentEnv> {
    obs: Vec<E::Obs>,
    states: Option<Vec<E::Obs>>,
    masks: Option<Vec<bool>>,
    actions: Vec<u8>,
    log_probs: Vec<f32>,
    rewards: RolloutRewards,
    /// Truncated episode ends: sample, final observations, final state.
    #[allow(clippy::type_complexity)]
    truncations: Vec<(usize, Vec<E::Obs>, Option<Vec<E::Obs>>)>,
    ended: Vec<E::Metrics>,
}

fn to_f32<C: Backend, const D: usize>(t: Tensor<C, D>) -> Vec<f32> {
    t.into_data()
        .convert::<f32>()
        .to_vec::<f32>()
        .expect("float data")
}

#[derive(Default)]
struct RuleSums {
    steps: usize,
    lambda: f64,
    lambda_count: usize,
    xi: f64,
    xi_c: f64,
    cos: f64,
    positive: usize,
    signs: usize,
    policy_loss: f64,
    value_loss: f64,
}

impl RuleSums {
    /// One step's diagnostics; `losses` are the stacks' summed losses of `agents` agents.
    fn add(&mut self, d: &StepDiagnostics, losses: &[f64], agents: usize) {
        self.steps += 1;
        if let Some(l) = d.lambda {
            self.lambda += l;
            self.lambda_count += 1;
        }
        self.xi += d.xi_norm;
        self.xi_c += d.xi_c_norm;
        self.cos += d.cos_xi_xi_c;
        if let Some(s) = d.alignment_sign {
            self.signs += 1;
            if s > 0.0 {
                self.positive += 1;
            }
        }
        self.policy_loss += losses.iter().sum::<f64>() / agents.max(1) as f64;
    }

    fn mean(&self) -> RuleMetrics {
        let k = self.steps.max(1) as f64;
        let ratio = |a: f64, b: usize| if b == 0 { f64::NAN } else { a / b as f64 };
        RuleMetrics {
            lambda: ratio(self.lambda, self.lambda_count),
            xi_norm: self.xi / k,
            xi_c_norm: self.xi_c / k,
            cos_xi_xi_c: self.cos / k,
            positive_alignment: ratio(self.positive as f64, self.signs),
            policy_loss: self.policy_loss / k,
            value_loss: self.value_loss / k,
        }
    }
}

/// The shapes of every float parameter of some modules, in visit order.
/// Every parameter's values of `module`, in the module's visiting order (the same in every
/// process whatever the parameters' random ids).
fn params_of<B: Backend, M: Module<B>>(module: &M) -> Vec<f64> {
    struct Values(Vec<f64>);
    impl<B: Backend> burn::module::ModuleVisitor<B> for Values {
        fn visit_float<const D: usize>(&mut self, param: &burn::module::Param<Tensor<B, D>>) {
            self.0.extend(
                param
                    .val()
                    .into_data()
                    .convert::<f64>()
                    .to_vec::<f64>()
                    .expect("float data"),
            );
        }
    }
    let mut values = Values(Vec::new());
    module.visit(&mut values);
    values.0
}

fn shapes_of<B: Backend, M: Module<B>>(module: &M) -> Vec<Vec<usize>> {
    struct Shapes(Vec<Vec<usize>>);
    impl<B: Backend> burn::module::ModuleVisitor<B> for Shapes {
        fn visit_float<const D: usize>(&mut self, param: &burn::module::Param<Tensor<B, D>>) {
            self.0.push(param.val().dims().to_vec());
        }
    }
    let mut shapes = Shapes(Vec::new());
    module.visit(&mut shapes);
    shapes.0
}
