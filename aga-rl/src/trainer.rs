//! The learner: rollouts from many environment copies, GAE on two value heads per agent, and
//! PPO epochs whose every minibatch step goes through [`GameOptimizer`] with the run's rule.

use crate::losses::{AgentBatch, CriticLoss, PpoGame};
use crate::policy::{Actor, Critic, NetShape};
use crate::{gae, svo_shaped, RlError, RlMethod, TrainConfig};
use aga_burn::{Dual, GameOptimizer, GameOptimizerConfig, HvpBackend};
use aga_core::Method;
use aga_envs::{seed_of, Env, EnvConfig, EpisodeMetrics, VecEnv};
use burn::module::{AutodiffModule, Module};
use burn::optim::adaptor::OptimizerAdaptor;
use burn::optim::{Adam, AdamConfig};
use burn::record::{BinFileRecorder, DoublePrecisionSettings, Recorder};
use burn::tensor::backend::Backend;
use burn::tensor::{Int, Tensor, TensorData};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};
use std::path::Path;

type AD<B> = HvpBackend<B>;

/// Rows per critic evaluation after a rollout.
const VALUE_CHUNK: usize = 4096;
type ActorOpt<B> = OptimizerAdaptor<Adam, Actor<AD<B>>, AD<B>>;
type CriticOpt<B> = OptimizerAdaptor<Adam, Critic<AD<B>>, AD<B>>;
/// The centralised critic and its optimiser.
type CentralCritic<B> = (Critic<AD<B>>, GameOptimizer<CriticOpt<B>>);

/// What one update (one rollout and its PPO epochs) measured: one row of `metrics.csv`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct UpdateMetrics {
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
    pub episode: Option<EpisodeMetrics>,
    /// Means over the update's minibatch steps of the rule's diagnostics.
    pub rule: RuleMetrics,
    /// The learning rate of this update (after annealing).
    pub lr: f64,
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

/// Per agent: advantages, value targets, collective advantages, collective value targets.
type AgentTargets = (Vec<f32>, Vec<f32>, Vec<f32>, Vec<f32>);

/// A rollout with its advantages, ready for PPO's epochs (see [`Trainer::collect`]).
pub struct Rollout {
    /// Every step's observation batch, as the environments wrote them.
    obs: Vec<u8>,
    /// Actions, `[step, copy, agent]`.
    actions: Vec<u8>,
    /// Their log-probabilities under the rollout's policies.
    log_probs: Vec<f32>,
    per_agent: Vec<AgentTargets>,
    reward_per_step: f64,
    episodes_ended: usize,
    /// The update's generator, continued by the minibatch shuffles.
    rng: ChaCha8Rng,
}

impl Rollout {
    /// Agent `agent`'s GAE advantages of its own (possibly shaped) reward, one per sample
    /// (`step × copy`).
    pub fn advantages(&self, agent: usize) -> &[f32] {
        &self.per_agent[agent].0
    }

    /// Agent `agent`'s GAE advantages of the collective reward (from its own collective head,
    /// or from the centralised critic, which gives every agent the same).
    pub fn collective_advantages(&self, agent: usize) -> &[f32] {
        &self.per_agent[agent].2
    }
}

/// Everything that changes during a run, saved in a checkpoint besides the networks and the
/// optimisers' states.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct RunState {
    updates: u64,
    env_steps: u64,
    last_episode: Option<EpisodeMetrics>,
    envs: VecEnv,
    /// The networks' parameter shapes (actors, critics), checked before loading them.
    shapes: (Vec<Vec<usize>>, Vec<Vec<usize>>),
}

/// A training run: the agents' actors and critics, their optimisers and the environments.
pub struct Trainer<B: Backend> {
    config: TrainConfig,
    env_config: EnvConfig,
    shape: NetShape,
    device: B::Device,
    actors: Vec<Actor<AD<B>>>,
    critics: Vec<Critic<AD<B>>>,
    /// The centralised collective critic `V_c(s)` over every agent's view (option).
    central: Option<CentralCritic<B>>,
    actor_opt: GameOptimizer<ActorOpt<B>>,
    critic_opt: GameOptimizer<CriticOpt<B>>,
    state: RunState,
    obs: Vec<u8>,
    /// A rollout was collected and not learnt from yet (no checkpoint may be taken then).
    pending: bool,
}

fn adam() -> AdamConfig {
    // CleanRL's PPO uses Adam with ε = 1e-5.
    AdamConfig::new().with_epsilon(1e-5)
}

impl<B: Backend> Trainer<B> {
    /// A new run: networks initialised from the seed, environments reset.
    pub fn new(
        config: TrainConfig,
        env_config: EnvConfig,
        device: B::Device,
    ) -> Result<Self, RlError> {
        config.validate()?;
        let env = Env::new(env_config.clone())?;
        let kind = config.policy.obs_kind();
        let side = 2 * env_config.view_radius + 1;
        let shape = NetShape {
            kind: config.policy,
            side,
            channels: kind.channels(),
            outputs: env.num_actions(),
        };
        shape.validate()?;
        let agents = env.num_agents();
        let actors: Vec<_> = (0..agents)
            .map(|i| Actor::new(shape, &device, seed_of(config.seed ^ 0xAC7, i)))
            .collect();
        let critics: Vec<_> = (0..agents)
            .map(|i| Critic::new(shape, &device, seed_of(config.seed ^ 0xC417, i)))
            .collect();
        let envs = VecEnv::new(env_config.clone(), config.ppo.envs, config.seed, kind)?;
        let actor_opt = config
            .rule()
            .init((0..agents).map(|_| adam().init()).collect())
            .map_err(RlError::Transform)?;
        let critic_opt = GameOptimizerConfig::new(Method::Simgd)
            .with_max_grad_norm(Some(config.ppo.max_grad_norm))
            .init((0..agents).map(|_| adam().init()).collect())
            .map_err(RlError::Transform)?;
        // The centralised critic reads the concatenation of every agent's view (the bytes as
        // the environment writes them) with the MLP torso.
        let central = if config.centralised_critic {
            let central_shape = NetShape {
                kind: crate::PolicyKind::Mlp,
                side,
                channels: kind.channels() * agents,
                outputs: 2,
            };
            let critic = Critic::new(central_shape, &device, seed_of(config.seed ^ 0xCE47, 0));
            let opt = GameOptimizerConfig::new(Method::Simgd)
                .with_max_grad_norm(Some(config.ppo.max_grad_norm))
                .init(vec![adam().init()])
                .map_err(RlError::Transform)?;
            Some((critic, opt))
        } else {
            None
        };
        let mut obs = vec![0; envs.obs_batch_len()];
        envs.observe(&mut obs)?;
        Ok(Self {
            central,
            config,
            env_config,
            shape,
            device,
            actors,
            critics,
            actor_opt,
            critic_opt,
            state: RunState {
                updates: 0,
                env_steps: 0,
                last_episode: None,
                envs,
                shapes: (Vec::new(), Vec::new()),
            },
            obs,
            pending: false,
        })
    }

    /// Every network's parameter shapes: the actors, then the critics and the centralised
    /// critic, if any.
    fn shapes(&self) -> (Vec<Vec<usize>>, Vec<Vec<usize>>) {
        let mut critics = shapes_of(&self.critics);
        if let Some((central, _)) = &self.central {
            critics.extend(shapes_of(std::slice::from_ref(central)));
        }
        (shapes_of(&self.actors), critics)
    }

    /// The run's configuration.
    pub fn config(&self) -> &TrainConfig {
        &self.config
    }

    /// The environment's configuration.
    pub fn env_config(&self) -> &EnvConfig {
        &self.env_config
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
        self.config.steps.div_ceil(self.steps_per_update())
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

    /// Observations of agent `i` in the current batch, as floats `[envs, obs_len]`.
    fn agent_obs(&self, obs: &[u8], i: usize) -> Vec<f32> {
        let (n, len) = (self.actors.len(), self.shape.obs_len());
        let copies = obs.len() / (n * len);
        let mut out = Vec::with_capacity(copies * len);
        for e in 0..copies {
            let start = (e * n + i) * len;
            self.shape.push_features(&obs[start..start + len], &mut out);
        }
        out
    }

    /// `[rows, len / rows]` on the inference backend (`Dual<B>`, no tangents).
    fn inference_tensor(&self, data: Vec<f32>, rows: usize) -> Tensor<Dual<B>, 2> {
        let cols = data.len() / rows.max(1);
        Tensor::from_data(TensorData::new(data, [rows, cols]), &self.device)
    }

    /// `[V, V_c]` of every row (`width` features each) of `features`, flat, in chunks so that
    /// memory does not grow with the rollout (every row is evaluated on its own, so the
    /// results do not depend on the chunk size).
    fn critic_values(&self, critic: &Critic<Dual<B>>, features: &[f32], width: usize) -> Vec<f32> {
        let mut values = Vec::with_capacity(2 * features.len() / width.max(1));
        for chunk in features.chunks(VALUE_CHUNK * width) {
            let rows = chunk.len() / width;
            values.extend(
                critic
                    .values(self.inference_tensor(chunk.to_vec(), rows))
                    .into_data()
                    .convert::<f32>()
                    .to_vec::<f32>()
                    .expect("float data"),
            );
        }
        values
    }

    /// `[rows, len / rows]` on the learner's backend.
    fn learner_tensor(&self, data: Vec<f32>, rows: usize) -> Tensor<AD<B>, 2> {
        let cols = data.len() / rows.max(1);
        Tensor::from_data(TensorData::new(data, [rows, cols]), &self.device)
    }

    /// One update: a rollout of `rollout_steps` steps in every copy ([`Trainer::collect`]),
    /// then PPO's epochs on it ([`Trainer::learn`]).
    pub fn update(&mut self) -> Result<UpdateMetrics, RlError> {
        let rollout = self.collect()?;
        self.learn(rollout)
    }

    /// The rollout of the next update: `rollout_steps` steps in every environment copy with
    /// the current policies (actions sampled), then both value heads and GAE for every agent.
    pub fn collect(&mut self) -> Result<Rollout, RlError> {
        if self.pending {
            return Err(RlError::Checkpoint(
                "a rollout is already waiting for learn()".into(),
            ));
        }
        self.pending = true;
        let p = self.config.ppo.clone();
        let n = self.actors.len();
        let copies = p.envs;
        let steps = p.rollout_steps;
        let len = self.shape.obs_len();
        let k = self.state.updates;
        let mut rng =
            ChaCha8Rng::seed_from_u64(seed_of(self.config.seed ^ 0x5EED_FA6A, k as usize));
        let inference: Vec<_> = self.actors.iter().map(|a| a.valid()).collect();

        // ---- rollout ----------------------------------------------------------------------
        let mut obs_buf = Vec::with_capacity(steps * self.obs.len());
        let mut actions_buf = vec![0u8; steps * copies * n];
        let mut logp_buf = vec![0f32; steps * copies * n];
        let mut rewards_buf = vec![0f32; steps * copies * n];
        let mut dones_buf = vec![false; steps * copies];
        let mut rewards = vec![0f32; copies * n];
        let mut dones = vec![false; copies];
        let mut ended: Vec<EpisodeMetrics> = Vec::new();
        for t in 0..steps {
            obs_buf.extend_from_slice(&self.obs);
            let mut actions = vec![0u8; copies * n];
            for (i, actor) in inference.iter().enumerate() {
                let x = self.inference_tensor(self.agent_obs(&self.obs, i), copies);
                let lp: Vec<f32> = actor
                    .log_probs(x)
                    .into_data()
                    .convert::<f32>()
                    .to_vec::<f32>()
                    .expect("float data");
                let a_n = self.shape.outputs;
                for e in 0..copies {
                    let row = &lp[e * a_n..(e + 1) * a_n];
                    let a = sample(row, rng.gen::<f64>());
                    actions[e * n + i] = a as u8;
                    logp_buf[(t * copies + e) * n + i] = row[a];
                }
            }
            actions_buf[t * copies * n..(t + 1) * copies * n].copy_from_slice(&actions);
            let finished = self.state.envs.step_autoreset(
                &actions,
                &mut rewards,
                &mut self.obs,
                &mut dones,
            )?;
            ended.extend(finished.into_iter().map(|(_, m)| m));
            rewards_buf[t * copies * n..(t + 1) * copies * n].copy_from_slice(&rewards);
            dones_buf[t * copies..(t + 1) * copies].copy_from_slice(&dones);
        }
        self.state.env_steps += (steps * copies) as u64;
        let reward_per_step =
            rewards_buf.iter().map(|&r| f64::from(r)).sum::<f64>() / (steps * copies) as f64;
        if let Some(mean) = EpisodeMetrics::mean(&ended) {
            self.state.last_episode = Some(mean);
        }

        // ---- values and advantages ---------------------------------------------------------
        // Sample order for agent i: s = t * copies + e.
        let samples = steps * copies;
        // The centralised critic's `V_c(s)` for every sample and the state after the rollout.
        let central_values: Option<Vec<f32>> = match &self.central {
            Some((critic, _)) => {
                let mut all: Vec<f32> = obs_buf.iter().map(|&b| f32::from(b)).collect();
                all.extend(self.obs.iter().map(|&b| f32::from(b)));
                Some(self.critic_values(&critic.valid(), &all, n * len))
            }
            None => None,
        };
        let mut per_agent = Vec::with_capacity(n);
        for i in 0..n {
            let critic = self.critics[i].valid();
            let mut all_obs = Vec::with_capacity((samples + copies) * len);
            for t in 0..steps {
                all_obs.extend(
                    self.agent_obs(&obs_buf[t * self.obs.len()..(t + 1) * self.obs.len()], i),
                );
            }
            all_obs.extend(self.agent_obs(&self.obs, i));
            let values = self.critic_values(&critic, &all_obs, len);
            let mut adv = vec![0f32; samples];
            let mut ret = vec![0f32; samples];
            let mut adv_c = vec![0f32; samples];
            let mut ret_c = vec![0f32; samples];
            for e in 0..copies {
                let (mut r_i, mut r_c, mut v_i, mut v_c, mut d) =
                    (Vec::new(), Vec::new(), Vec::new(), Vec::new(), Vec::new());
                for t in 0..steps {
                    let at = (t * copies + e) * n;
                    let step_rewards = &rewards_buf[at..at + n];
                    let own = match self.config.method {
                        RlMethod::Svo => svo_shaped(
                            step_rewards,
                            self.config.svo_angle.unwrap_or(std::f64::consts::FRAC_PI_4),
                            self.config.svo_weight.unwrap_or(1.0),
                        )[i],
                        _ => step_rewards[i],
                    };
                    r_i.push(own);
                    r_c.push(step_rewards.iter().sum::<f32>());
                    let s = t * copies + e;
                    v_i.push(values[2 * s]);
                    v_c.push(match &central_values {
                        Some(c) => c[2 * s + 1],
                        None => values[2 * s + 1],
                    });
                    d.push(dones_buf[t * copies + e]);
                }
                let last = samples + e;
                let gi = gae(&r_i, &v_i, &d, values[2 * last], p.gamma, p.gae_lambda);
                let last_c = match &central_values {
                    Some(c) => c[2 * last + 1],
                    None => values[2 * last + 1],
                };
                let gc = gae(&r_c, &v_c, &d, last_c, p.gamma, p.gae_lambda);
                for t in 0..steps {
                    let s = t * copies + e;
                    adv[s] = gi.advantages[t];
                    ret[s] = gi.returns[t];
                    adv_c[s] = gc.advantages[t];
                    ret_c[s] = gc.returns[t];
                }
            }
            per_agent.push((adv, ret, adv_c, ret_c));
        }

        Ok(Rollout {
            obs: obs_buf,
            actions: actions_buf,
            log_probs: logp_buf,
            per_agent,
            reward_per_step,
            episodes_ended: ended.len(),
            rng,
        })
    }

    /// PPO's epochs on `rollout` (from [`Trainer::collect`]): every minibatch step goes through
    /// the game optimiser with the run's rule; the critics regress on their targets.
    pub fn learn(&mut self, rollout: Rollout) -> Result<UpdateMetrics, RlError> {
        self.pending = false;
        let Rollout {
            obs: obs_buf,
            actions: actions_buf,
            log_probs: logp_buf,
            per_agent,
            reward_per_step,
            episodes_ended,
            mut rng,
        } = rollout;
        let p = self.config.ppo.clone();
        let n = self.actors.len();
        let copies = p.envs;
        let samples = p.rollout_steps * copies;
        let len = self.shape.obs_len();
        let k = self.state.updates;

        // ---- PPO epochs --------------------------------------------------------------------
        let lr = self.lr_at(k);
        let mb_size = samples / p.minibatches;
        let mut sums = RuleSums::default();
        for _ in 0..p.epochs {
            let mut order: Vec<usize> = (0..samples).collect();
            for j in (1..samples).rev() {
                order.swap(j, rng.gen_range(0..=j));
            }
            for mb in 0..p.minibatches {
                let idx = &order[mb * mb_size..(mb + 1) * mb_size];
                let batches: Vec<AgentBatch<AD<B>>> = (0..n)
                    .map(|i| {
                        let (adv, ret, adv_c, ret_c) = &per_agent[i];
                        let mut o = Vec::with_capacity(idx.len() * len);
                        let mut acts = Vec::with_capacity(idx.len());
                        let pick = |v: &[f32]| -> Vec<f32> { idx.iter().map(|&s| v[s]).collect() };
                        let mut old = Vec::with_capacity(idx.len());
                        for &s in idx {
                            let (t, e) = (s / copies, s % copies);
                            let start = t * self.obs.len() + (e * n + i) * len;
                            self.shape
                                .push_features(&obs_buf[start..start + len], &mut o);
                            acts.push(i64::from(actions_buf[s * n + i]));
                            old.push(logp_buf[s * n + i]);
                        }
                        let m = idx.len();
                        let dev = self.device.clone();
                        let v1 = |v: Vec<f32>| {
                            Tensor::<AD<B>, 1>::from_data(TensorData::new(v, [m]), &dev)
                        };
                        AgentBatch {
                            obs: self.learner_tensor(o, m),
                            actions: Tensor::<AD<B>, 2, Int>::from_data(
                                TensorData::new(acts, [m, 1]),
                                &dev,
                            ),
                            old_log_probs: v1(old),
                            advantages: v1(pick(adv)),
                            collective_advantages: v1(pick(adv_c)),
                            returns: v1(pick(ret)),
                            collective_returns: v1(pick(ret_c)),
                        }
                    })
                    .collect();
                let game = PpoGame {
                    batches: batches.clone(),
                    clip: p.clip,
                    entropy_coef: p.entropy_coef,
                };
                let actors = std::mem::take(&mut self.actors);
                let step = self
                    .actor_opt
                    .step::<B, _, _>(lr, actors, &game)
                    .map_err(RlError::Transform)?;
                self.actors = step.players;
                sums.add(&step.diagnostics, &step.losses_before);
                let critic_loss = CriticLoss {
                    batches,
                    value_coef: p.value_coef,
                };
                let critics = std::mem::take(&mut self.critics);
                let step = self
                    .critic_opt
                    .step::<B, _, _>(lr, critics, &critic_loss)
                    .map_err(RlError::Transform)?;
                self.critics = step.players;
                sums.value_loss += step.losses_before.iter().sum::<f64>() / n as f64;
                if let Some((critic, mut opt)) = self.central.take() {
                    // Both heads regress on the collective targets (only the second is used).
                    let width = n * len;
                    let m = idx.len();
                    let mut o = Vec::with_capacity(m * width);
                    for &s in idx {
                        let (t, e) = (s / copies, s % copies);
                        let start = t * self.obs.len() + e * width;
                        o.extend(obs_buf[start..start + width].iter().map(|&b| f32::from(b)));
                    }
                    let dev = self.device.clone();
                    let targets: Vec<f32> = idx.iter().map(|&s| per_agent[0].3[s]).collect();
                    let v1 =
                        |v: Vec<f32>| Tensor::<AD<B>, 1>::from_data(TensorData::new(v, [m]), &dev);
                    let batch = AgentBatch {
                        obs: self.learner_tensor(o, m),
                        actions: Tensor::<AD<B>, 2, Int>::zeros([m, 1], &dev),
                        old_log_probs: v1(vec![0.0; m]),
                        advantages: v1(vec![0.0; m]),
                        collective_advantages: v1(vec![0.0; m]),
                        returns: v1(targets.clone()),
                        collective_returns: v1(targets),
                    };
                    let loss = CriticLoss {
                        batches: vec![batch],
                        value_coef: p.value_coef,
                    };
                    let step = opt
                        .step::<B, _, _>(lr, vec![critic], &loss)
                        .map_err(RlError::Transform)?;
                    self.central =
                        Some((step.players.into_iter().next().expect("one critic"), opt));
                }
            }
        }
        self.state.updates += 1;
        Ok(UpdateMetrics {
            update: self.state.updates,
            env_steps: self.state.env_steps,
            reward_per_step,
            episodes_ended,
            episode: self.state.last_episode.clone(),
            rule: sums.mean(),
            lr,
        })
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
            self.actor_opt.to_record::<B, Actor<AD<B>>>(),
            dir.join("actor_adam"),
        )
        .map_err(RlError::record)?;
        Recorder::<AD<B>>::record(
            &recorder,
            self.critic_opt.to_record::<B, Critic<AD<B>>>(),
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
                opt.to_record::<B, Critic<AD<B>>>(),
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

    /// A run of `config` continued from the checkpoint in `dir` (written by
    /// [`Trainer::save`] for the same configuration).
    pub fn load(
        config: TrainConfig,
        env_config: EnvConfig,
        device: B::Device,
        dir: &Path,
    ) -> Result<Self, RlError> {
        let mut fresh = Self::new(config, env_config, device.clone())?;
        let path = dir.join("state.json");
        let text = std::fs::read_to_string(&path).map_err(|e| RlError::io(&path, e))?;
        let state: RunState =
            serde_json::from_str(&text).map_err(|e| RlError::Checkpoint(e.to_string()))?;
        // Burn's loading neither checks shapes nor fails cleanly on another structure: compare
        // the checkpoint with the configuration first.
        if state.shapes != fresh.shapes() {
            return Err(RlError::Checkpoint(
                "the checkpoint's networks do not have the configuration's shapes".into(),
            ));
        }
        if state.envs.envs().len() != fresh.config.ppo.envs
            || state.envs.num_agents() != fresh.actors.len()
            || state.envs.envs()[0].config() != &fresh.env_config
            || state.envs.obs_kind() != fresh.config.policy.obs_kind()
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
            .load_record::<B, Actor<AD<B>>>(record)
            .map_err(RlError::Transform)?;
        let record = Recorder::<AD<B>>::load(&recorder, dir.join("critic_adam"), &device)
            .map_err(RlError::record)?;
        fresh.critic_opt = fresh
            .critic_opt
            .load_record::<B, Critic<AD<B>>>(record)
            .map_err(RlError::Transform)?;
        if let Some((critic, opt)) = fresh.central.take() {
            let critic = critic
                .load_file(dir.join("central"), &recorder, &device)
                .map_err(RlError::record)?;
            let record = Recorder::<AD<B>>::load(&recorder, dir.join("central_adam"), &device)
                .map_err(RlError::record)?;
            let opt = opt
                .load_record::<B, Critic<AD<B>>>(record)
                .map_err(RlError::Transform)?;
            fresh.central = Some((critic, opt));
        }
        fresh.state = state;
        fresh.obs = vec![0; fresh.state.envs.obs_batch_len()];
        fresh.state.envs.observe(&mut fresh.obs)?;
        Ok(fresh)
    }

    /// The greedy policy (each agent's most probable action) on `episodes` fresh episodes
    /// seeded from `seed`: the mean of their metrics.
    pub fn evaluate(&self, episodes: usize, seed: u64) -> Result<EpisodeMetrics, RlError> {
        let kind = self.config.policy.obs_kind();
        let mut envs = VecEnv::new(self.env_config.clone(), episodes.max(1), seed, kind)?;
        let mut obs = vec![0; envs.obs_batch_len()];
        envs.observe(&mut obs)?;
        let copies = episodes.max(1);
        let n = self.actors.len();
        let mut rewards = vec![0f32; copies * n];
        let mut actions = vec![0u8; copies * n];
        for _ in 0..self.env_config.horizon {
            self.greedy_actions(&obs, &mut actions);
            envs.step(&actions, &mut rewards, &mut obs)?;
        }
        Ok(EpisodeMetrics::mean(&envs.metrics()).expect("at least one episode"))
    }

    /// Each agent's most probable action for a batch of observations (`copies × agents ×
    /// obs_len`, as [`VecEnv`] writes them) into `actions` (`copies × agents`).
    pub fn greedy_actions(&self, obs: &[u8], actions: &mut [u8]) {
        let n = self.actors.len();
        let copies = actions.len() / n;
        for (i, actor) in self.actors.iter().enumerate() {
            let x = self.inference_tensor(self.agent_obs(obs, i), copies);
            let best: Vec<i64> = actor
                .valid()
                .log_probs(x)
                .argmax(1)
                .into_data()
                .convert::<i64>()
                .to_vec::<i64>()
                .expect("int data");
            for e in 0..copies {
                actions[e * n + i] = best[e] as u8;
            }
        }
    }
}

/// Inverse-CDF sampling from log-probabilities with a uniform draw `u ∈ [0, 1)`.
fn sample(log_probs: &[f32], u: f64) -> usize {
    let mut acc = 0.0;
    for (a, &lp) in log_probs.iter().enumerate() {
        acc += f64::from(lp).exp();
        if u < acc {
            return a;
        }
    }
    log_probs.len() - 1
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
    fn add(&mut self, d: &aga_burn::StepDiagnostics, losses: &[f64]) {
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
        self.policy_loss += losses.iter().sum::<f64>() / losses.len().max(1) as f64;
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
fn shapes_of<B: Backend, M: Module<B>>(modules: &[M]) -> Vec<Vec<usize>> {
    struct Shapes(Vec<Vec<usize>>);
    impl<B: Backend> burn::module::ModuleVisitor<B> for Shapes {
        fn visit_float<const D: usize>(&mut self, param: &burn::module::Param<Tensor<B, D>>) {
            self.0.push(param.val().dims().to_vec());
        }
    }
    let mut shapes = Shapes(Vec::new());
    for m in modules {
        m.visit(&mut shapes);
    }
    shapes.0
}
