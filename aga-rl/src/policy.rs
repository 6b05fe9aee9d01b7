//! The agents' networks: an actor (action logits) and a critic with two value heads, each on
//! its own torso — a CNN over the egocentric RGB window (SocialJax's IPPO network) or an MLP
//! over the one-hot window (the fast option).

use aga_envs::{ObsElement, ObsKind, ObsSpec};
use burn::module::{Module, ModuleMapper, Param};
use burn::nn::conv::{Conv2d, Conv2dConfig};
use burn::nn::{Linear, LinearConfig};
use burn::tensor::activation::{log_softmax, relu};
use burn::tensor::backend::Backend;
use burn::tensor::Tensor;
use burn::tensor::TensorData;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

use crate::ConfigError;

/// Which torso the networks use.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum PolicyKind {
    /// Conv 5×5, 3×3, 3×3 (32 channels each, ReLU, no padding) over the RGB window scaled to
    /// `[0, 1]`, then a 64-unit ReLU layer: SocialJax's IPPO CNN.
    Cnn,
    /// Two 64-unit tanh layers over the one-hot window (CleanRL's PPO MLP): much cheaper.
    Mlp,
}

impl PolicyKind {
    /// The observation the torso reads.
    pub fn obs_kind(self) -> ObsKind {
        match self {
            PolicyKind::Cnn => ObsKind::Rgb,
            PolicyKind::Mlp => ObsKind::OneHot,
        }
    }

    /// The name on the command line and in files.
    pub fn name(self) -> &'static str {
        match self {
            PolicyKind::Cnn => "cnn",
            PolicyKind::Mlp => "mlp",
        }
    }
}

impl fmt::Display for PolicyKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for PolicyKind {
    type Err = ConfigError;

    fn from_str(s: &str) -> Result<Self, ConfigError> {
        match s {
            "cnn" => Ok(PolicyKind::Cnn),
            "mlp" => Ok(PolicyKind::Mlp),
            other => Err(ConfigError::UnknownPolicy(other.to_string())),
        }
    }
}

/// What a masked action's logit is shifted by (far below any real logit, finite so that
/// `0 · log π` stays 0 in the entropy).
pub const MASKED_LOGIT: f32 = -1e9;

/// Units of the torso's last layer (and of the MLP's hidden layers).
pub const HIDDEN: usize = 64;
/// Channels of each convolution.
pub const CHANNELS: usize = 32;

/// The shape of an observation and of the network reading it.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct NetShape {
    /// The torso.
    pub kind: PolicyKind,
    /// Side of the square observation window, `2r + 1` (1 for a flat observation).
    pub side: usize,
    /// Channels per pixel of the observation (the features of a flat one).
    pub channels: usize,
    /// Outputs of the head.
    pub outputs: usize,
    /// What the torso divides its input by first ([`ObsSpec::divisor`]: 255 for RGB bytes).
    pub divisor: f32,
}

impl NetShape {
    /// The network of kind `kind` for observations of `spec`, with `outputs` outputs: an image
    /// `[side, side, channels]` keeps its shape (the CNN needs one), anything else is read as
    /// a flat vector.
    pub fn for_spec(kind: PolicyKind, spec: &ObsSpec, outputs: usize) -> Result<Self, ConfigError> {
        let (side, channels) = match spec.shape[..] {
            [h, w, c] if h == w => (h, c),
            _ if kind == PolicyKind::Cnn => {
                return Err(ConfigError::Incompatible(format!(
                "the CNN policy needs square image observations [side, side, channels], got {:?}",
                spec.shape
            )))
            }
            _ => (1, spec.len()),
        };
        if !(spec.divisor.is_finite() && spec.divisor > 0.0) {
            return Err(ConfigError::Incompatible(format!(
                "an observation divisor must be positive and finite, got {}",
                spec.divisor
            )));
        }
        let shape = Self {
            kind,
            side,
            channels,
            outputs,
            divisor: spec.divisor,
        };
        shape.validate()?;
        Ok(shape)
    }

    /// Bytes (= input features) of one observation.
    pub fn obs_len(&self) -> usize {
        self.side * self.side * self.channels
    }

    /// Append one observation (as the environment writes it, channel-last) to `out` as the
    /// network's input features: the bytes as floats, channel-first for the CNN (so that its
    /// first convolution reads a contiguous `[channels, side, side]` image).
    pub fn push_features<T: ObsElement>(&self, obs: &[T], out: &mut Vec<f32>) {
        match self.kind {
            PolicyKind::Mlp => out.extend(obs.iter().map(|&b| b.to_f32())),
            PolicyKind::Cnn => {
                let c = self.channels;
                for ch in 0..c {
                    out.extend(obs.iter().skip(ch).step_by(c).map(|&b| b.to_f32()));
                }
            }
        }
    }

    /// Check that the CNN's three valid convolutions fit the window (side ≥ 9).
    pub fn validate(&self) -> Result<(), ConfigError> {
        if self.kind == PolicyKind::Cnn && self.side < 9 {
            return Err(ConfigError::Incompatible(format!(
                "the CNN policy needs an observation window of at least 9×9 (view radius ≥ 4), got {0}×{0}",
                self.side
            )));
        }
        if self.outputs == 0 {
            return Err(ConfigError::Incompatible(
                "a network needs an output".into(),
            ));
        }
        Ok(())
    }
}

/// A torso: the CNN or the MLP (the other's layers are empty).
#[derive(Module, Debug)]
pub struct Torso<B: Backend> {
    convs: Vec<Conv2d<B>>,
    dense: Vec<Linear<B>>,
    #[module(skip)]
    shape: NetShape,
}

impl<B: Backend> Torso<B> {
    fn new(shape: NetShape, device: &B::Device) -> Self {
        let (convs, dense) = match shape.kind {
            PolicyKind::Cnn => {
                let convs = vec![
                    Conv2dConfig::new([shape.channels, CHANNELS], [5, 5]).init(device),
                    Conv2dConfig::new([CHANNELS, CHANNELS], [3, 3]).init(device),
                    Conv2dConfig::new([CHANNELS, CHANNELS], [3, 3]).init(device),
                ];
                let out = shape.side - 8;
                let dense = vec![LinearConfig::new(CHANNELS * out * out, HIDDEN).init(device)];
                (convs, dense)
            }
            PolicyKind::Mlp => (
                Vec::new(),
                vec![
                    LinearConfig::new(shape.obs_len(), HIDDEN).init(device),
                    LinearConfig::new(HIDDEN, HIDDEN).init(device),
                ],
            ),
        };
        Self {
            convs,
            dense,
            shape,
        }
    }

    /// `[batch, obs_len]` observations (as [`NetShape::push_features`] lays them out) to
    /// `[batch, HIDDEN]` features.
    pub fn forward(&self, obs: Tensor<B, 2>) -> Tensor<B, 2> {
        let shape = self.shape;
        let batch = obs.dims()[0];
        let obs = if shape.divisor == 1.0 {
            obs
        } else {
            obs.div_scalar(shape.divisor)
        };
        match shape.kind {
            PolicyKind::Cnn => {
                let mut x = obs.reshape([batch, shape.channels, shape.side, shape.side]);
                for conv in &self.convs {
                    x = relu(conv.forward(x));
                }
                let [b, c, h, w] = x.dims();
                relu(self.dense[0].forward(x.reshape([b, c * h * w])))
            }
            PolicyKind::Mlp => {
                let mut x = obs;
                for layer in &self.dense {
                    x = layer.forward(x).tanh();
                }
                x
            }
        }
    }
}

/// One agent's policy: a torso and a linear layer to the action logits.
#[derive(Module, Debug)]
pub struct Actor<B: Backend> {
    torso: Torso<B>,
    logits: Linear<B>,
}

impl<B: Backend> Actor<B> {
    /// A freshly initialised actor, its weights drawn from `seed` (Burn's default
    /// initialisation, uniform in `±1/√fan_in`, but from a seeded host generator, so a seed
    /// gives the same network on every backend); the logits layer's weights are scaled by
    /// 0.01 and its bias is zero, so that the first policy is close to uniform (as CleanRL's
    /// orthogonal initialisation with gain 0.01 intends).
    pub fn new(shape: NetShape, device: &B::Device, seed: u64) -> Self {
        let actor = Self {
            torso: Torso::new(shape, device),
            logits: LinearConfig::new(HIDDEN, shape.outputs).init(device),
        };
        let mut actor = seeded(actor, seed);
        let logits = actor.logits;
        actor.logits = Linear {
            weight: logits.weight.map(|w| w.mul_scalar(0.01)),
            bias: logits.bias.map(|b| b.map(|b| b.mul_scalar(0.0))),
        };
        seeded_leaves(actor)
    }

    /// Log-probabilities of every action, `[batch, actions]`.
    pub fn log_probs(&self, obs: Tensor<B, 2>) -> Tensor<B, 2> {
        log_softmax(self.logits.forward(self.torso.forward(obs)), 1)
    }

    /// Log-probabilities with some actions ruled out: `mask` holds 0 for an allowed action
    /// and [`MASKED_LOGIT`] for a forbidden one (a constant added to the logits), so forbidden
    /// actions get probability ~0 and take no part in the softmax's normalisation.
    pub fn masked_log_probs(&self, obs: Tensor<B, 2>, mask: Option<Tensor<B, 2>>) -> Tensor<B, 2> {
        let logits = self.logits.forward(self.torso.forward(obs));
        match mask {
            Some(mask) => log_softmax(logits + mask, 1),
            None => log_softmax(logits, 1),
        }
    }
}

/// One agent's critic: a torso and two value heads, `[V_i, V_c]` (the agent's own return and
/// the collective return).
#[derive(Module, Debug)]
pub struct Critic<B: Backend> {
    torso: Torso<B>,
    values: Linear<B>,
}

impl<B: Backend> Critic<B> {
    /// A freshly initialised critic with two value heads, its weights drawn from `seed`.
    pub fn new(shape: NetShape, device: &B::Device, seed: u64) -> Self {
        let critic = Self {
            torso: Torso::new(
                NetShape {
                    outputs: 2,
                    ..shape
                },
                device,
            ),
            values: LinearConfig::new(HIDDEN, 2).init(device),
        };
        seeded(critic, seed)
    }

    /// `[batch, 2]`: column 0 the individual value, column 1 the collective value.
    pub fn values(&self, obs: Tensor<B, 2>) -> Tensor<B, 2> {
        self.values.forward(self.torso.forward(obs))
    }
}

/// Redraw every float parameter uniformly in `±1/√fan_in` from a generator seeded with `seed`
/// (weights: `fan_in` from their shape, `[in, out]` or `[out, in, k, k]`; a bias takes the
/// fan-in of the weight visited before it), as trainable leaves.
fn seeded<B: Backend, M: Module<B>>(module: M, seed: u64) -> M {
    struct Draw {
        rng: ChaCha8Rng,
        fan_in: usize,
    }
    impl<B: Backend> ModuleMapper<B> for Draw {
        fn map_float<const D: usize>(&mut self, param: Param<Tensor<B, D>>) -> Param<Tensor<B, D>> {
            let (id, tensor, mapper) = param.consume();
            let dims = tensor.dims();
            match D {
                2 => self.fan_in = dims[0],
                4 => self.fan_in = dims[1] * dims[2] * dims[3],
                _ => {}
            }
            let bound = 1.0 / (self.fan_in.max(1) as f64).sqrt();
            let count: usize = dims.iter().product();
            let values: Vec<f32> = (0..count)
                .map(|_| self.rng.gen_range(-bound..bound) as f32)
                .collect();
            let device = tensor.device();
            let fresh = Tensor::<B, D>::from_data(TensorData::new(values, dims), &device);
            Param::from_mapped_value(id, fresh.require_grad(), mapper)
        }
    }
    module.map(&mut Draw {
        rng: ChaCha8Rng::seed_from_u64(seed),
        fan_in: 1,
    })
}

/// Every float parameter made a trainable leaf again (a tensor mapped by an op is that op's
/// output, which the optimisers and the game would skip).
fn seeded_leaves<B: Backend, M: Module<B>>(module: M) -> M {
    struct Leaves;
    impl<B: Backend> ModuleMapper<B> for Leaves {
        fn map_float<const D: usize>(&mut self, param: Param<Tensor<B, D>>) -> Param<Tensor<B, D>> {
            let (id, tensor, mapper) = param.consume();
            Param::from_mapped_value(id, tensor.detach().require_grad(), mapper)
        }
    }
    module.map(&mut Leaves)
}
