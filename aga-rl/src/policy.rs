//! The agents' networks, every agent's at once: actors (action logits) and critics with two
//! value heads, each on its own torso — a CNN over the egocentric RGB window (SocialJax's IPPO
//! network) or an MLP over the one-hot window (the fast option).
//!
//! Agents are a batch dimension, as `jax.vmap` makes them: every parameter is stacked along a
//! leading agent axis (`[agents, inputs, outputs]` for a dense layer), inputs are `[agents,
//! batch, features]`, and one batched product serves every agent — one forward and one backward
//! pass for all of them instead of a loop. Each agent's slice is its own network: nothing is
//! shared between agents.

use aga_envs::{ObsElement, ObsKind, ObsSpec};
use burn::module::{Module, Param};
use burn::tensor::activation::{log_softmax, relu};
use burn::tensor::backend::Backend;
use burn::tensor::module::conv2d;
use burn::tensor::ops::ConvOptions;
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

/// Every agent's dense layer at once: `y_a = x_a W_a + b_a` as one batched product over
/// `[agents, batch, inputs]`.
#[derive(Module, Debug)]
pub struct StackedLinear<B: Backend> {
    /// `[agents, inputs, outputs]`.
    pub weight: Param<Tensor<B, 3>>,
    /// `[agents, 1, outputs]`.
    pub bias: Param<Tensor<B, 3>>,
}

impl<B: Backend> StackedLinear<B> {
    /// `[agents, batch, inputs]` to `[agents, batch, outputs]`.
    pub fn forward(&self, x: Tensor<B, 3>) -> Tensor<B, 3> {
        // The bias as a rank-one product `1 · b` rather than a broadcast add: Flex adds a
        // broadcast `[agents, 1, out]` element by element through a strided iterator (3.6% of
        // an MLP update's profile), while the product and the equal-shape add take its fast
        // paths (and the bias gradient `1ᵀ g` is a product too).
        let [agents, rows, _] = x.dims();
        let ones = Tensor::<B, 3>::ones([agents, rows, 1], &x.device());
        x.matmul(self.weight.val()) + ones.matmul(self.bias.val())
    }
}

/// Every agent's valid (unpadded, stride 1) convolution: agent `a`'s kernel slides over agent
/// `a`'s images only.
#[derive(Module, Debug)]
pub struct StackedConv2d<B: Backend> {
    /// `[agents, out_channels, in_channels, k, k]`.
    pub weight: Param<Tensor<B, 5>>,
    /// `[agents, out_channels]`.
    pub bias: Param<Tensor<B, 2>>,
}

impl<B: Backend> StackedConv2d<B> {
    /// Agent `agent`'s `[batch, in, h, w]` images to `[batch, out, h − k + 1, w − k + 1]`.
    pub fn forward_agent(&self, agent: usize, x: Tensor<B, 4>) -> Tensor<B, 4> {
        let [_, out, inputs, k, _] = self.weight.dims();
        let weight = self
            .weight
            .val()
            .slice(agent..agent + 1)
            .reshape([out, inputs, k, k]);
        let bias = self.bias.val().slice(agent..agent + 1).reshape([out]);
        conv2d(
            x,
            weight,
            Some(bias),
            ConvOptions::new([1, 1], [0, 0], [1, 1], 1),
        )
    }
}

/// Every agent's torso: the CNN or the MLP (the other's layers are empty).
#[derive(Module, Debug)]
pub struct StackedTorso<B: Backend> {
    convs: Vec<StackedConv2d<B>>,
    dense: Vec<StackedLinear<B>>,
    #[module(skip)]
    shape: NetShape,
}

impl<B: Backend> StackedTorso<B> {
    /// The torso's parameters and then `head`'s, layer by layer, as host vectors (in f64, exact
    /// for f32 and f64 backends).
    fn values(&self, head: &StackedLinear<B>) -> Vec<(Vec<f64>, Vec<f64>)> {
        fn host<B: Backend, const D: usize>(p: &Param<Tensor<B, D>>) -> Vec<f64> {
            p.val()
                .into_data()
                .convert::<f64>()
                .to_vec::<f64>()
                .expect("a float tensor reads back")
        }
        let convs = self.convs.iter().map(|c| (host(&c.weight), host(&c.bias)));
        let dense = self
            .dense
            .iter()
            .chain(std::iter::once(head))
            .map(|l| (host(&l.weight), host(&l.bias)));
        convs.chain(dense).collect()
    }

    /// `[agents, batch, obs_len]` observations (as [`NetShape::push_features`] lays them out)
    /// to `[agents, batch, HIDDEN]` features.
    pub fn forward(&self, obs: Tensor<B, 3>) -> Tensor<B, 3> {
        let shape = self.shape;
        let [agents, batch, _] = obs.dims();
        let obs = if shape.divisor == 1.0 {
            obs
        } else {
            obs.div_scalar(shape.divisor)
        };
        match shape.kind {
            PolicyKind::Cnn => {
                // The convolutions agent by agent (each its own kernels), then one batched
                // product for every agent's dense layer.
                let features: Vec<Tensor<B, 3>> = (0..agents)
                    .map(|a| {
                        let mut x = obs.clone().slice(a..a + 1).reshape([
                            batch,
                            shape.channels,
                            shape.side,
                            shape.side,
                        ]);
                        for conv in &self.convs {
                            x = relu(conv.forward_agent(a, x));
                        }
                        let [b, c, h, w] = x.dims();
                        x.reshape([1, b, c * h * w])
                    })
                    .collect();
                relu(self.dense[0].forward(Tensor::cat(features, 0)))
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

/// Every agent's policy: a torso and a linear layer to the action logits.
#[derive(Module, Debug)]
pub struct Actors<B: Backend> {
    torso: StackedTorso<B>,
    logits: StackedLinear<B>,
}

impl<B: Backend> Actors<B> {
    /// Freshly initialised actors, agent `a`'s weights drawn from `seeds[a]` (Burn's default
    /// initialisation, uniform in `±1/√fan_in`, but from a seeded host generator, so a seed
    /// gives the same network on every backend); the logits layer's weights are scaled by
    /// 0.01 and its bias is zero, so that the first policy is close to uniform (as CleanRL's
    /// orthogonal initialisation with gain 0.01 intends).
    pub fn new(shape: NetShape, device: &B::Device, seeds: &[u64]) -> Self {
        let (torso, logits) = torso_and_head(shape, device, seeds, |w, b| {
            w.iter_mut().for_each(|x| *x *= 0.01);
            b.iter_mut().for_each(|x| *x = 0.0);
        });
        Self { torso, logits }
    }

    /// Actors with the given parameters: per layer (torso in order, then the logits layer)
    /// `(weights, biases)` of every agent, agent-major, in the layouts of [`StackedLinear`] and
    /// [`StackedConv2d`] (a dense weight is `[inputs, outputs]`, `y = x W + b`; a convolution's
    /// `[out, in, k, k]`), converted to the backend's float type. For loading networks trained
    /// elsewhere, and for reference tests.
    pub fn from_values(
        shape: NetShape,
        values: Vec<(Vec<f64>, Vec<f64>)>,
        agents: usize,
        device: &B::Device,
    ) -> Result<Self, ConfigError> {
        let (torso, logits) = torso_and_head_from(shape, values, agents, device)?;
        Ok(Self { torso, logits })
    }

    /// Every parameter, in the order and layout [`Actors::from_values`] takes.
    pub fn parameter_values(&self) -> Vec<(Vec<f64>, Vec<f64>)> {
        self.torso.values(&self.logits)
    }

    /// Agents in the stack.
    pub fn agents(&self) -> usize {
        self.logits.weight.dims()[0]
    }

    /// Log-probabilities of every action, `[agents, batch, actions]`, of `[agents, batch,
    /// obs_len]` observations.
    pub fn log_probs(&self, obs: Tensor<B, 3>) -> Tensor<B, 3> {
        self.masked_log_probs(obs, None)
    }

    /// Log-probabilities with some actions ruled out: `mask` (`[agents, batch, actions]`)
    /// holds 0 for an allowed action and [`MASKED_LOGIT`] for a forbidden one (a constant
    /// added to the logits), so forbidden actions get probability ~0 and take no part in the
    /// softmax's normalisation.
    pub fn masked_log_probs(&self, obs: Tensor<B, 3>, mask: Option<Tensor<B, 3>>) -> Tensor<B, 3> {
        let logits = self.logits.forward(self.torso.forward(obs));
        match mask {
            Some(mask) => log_softmax(logits + mask, 2),
            None => log_softmax(logits, 2),
        }
    }
}

/// Every agent's critic: a torso and two value heads, `[V_i, V_c]` (the agent's own return and
/// the collective return).
#[derive(Module, Debug)]
pub struct Critics<B: Backend> {
    torso: StackedTorso<B>,
    values: StackedLinear<B>,
}

impl<B: Backend> Critics<B> {
    /// Freshly initialised critics with two value heads, agent `a`'s weights drawn from
    /// `seeds[a]`.
    pub fn new(shape: NetShape, device: &B::Device, seeds: &[u64]) -> Self {
        let shape = NetShape {
            outputs: 2,
            ..shape
        };
        let (torso, values) = torso_and_head(shape, device, seeds, |_, _| {});
        Self { torso, values }
    }

    /// Critics with the given parameters (the head has two outputs); the layout of
    /// [`Actors::from_values`].
    pub fn from_values(
        shape: NetShape,
        values: Vec<(Vec<f64>, Vec<f64>)>,
        agents: usize,
        device: &B::Device,
    ) -> Result<Self, ConfigError> {
        let shape = NetShape {
            outputs: 2,
            ..shape
        };
        let (torso, values) = torso_and_head_from(shape, values, agents, device)?;
        Ok(Self { torso, values })
    }

    /// Every parameter, in the order and layout [`Actors::from_values`] takes.
    pub fn parameter_values(&self) -> Vec<(Vec<f64>, Vec<f64>)> {
        self.torso.values(&self.values)
    }

    /// Agents in the stack.
    pub fn agents(&self) -> usize {
        self.values.weight.dims()[0]
    }

    /// `[agents, batch, 2]`: channel 0 the individual value, channel 1 the collective value.
    pub fn values(&self, obs: Tensor<B, 3>) -> Tensor<B, 3> {
        self.values.forward(self.torso.forward(obs))
    }
}

/// One layer's parameter shapes for one agent.
struct Layer {
    /// The weight's shape: `[inputs, outputs]` or `[out, in, k, k]`.
    weight: Vec<usize>,
    /// The bias's length.
    bias: usize,
    /// `fan_in` of Burn's default initialisation.
    fan_in: usize,
}

impl Layer {
    fn dense(inputs: usize, outputs: usize) -> Self {
        Self {
            weight: vec![inputs, outputs],
            bias: outputs,
            fan_in: inputs,
        }
    }

    fn conv(inputs: usize, outputs: usize, k: usize) -> Self {
        Self {
            weight: vec![outputs, inputs, k, k],
            bias: outputs,
            fan_in: inputs * k * k,
        }
    }
}

/// The torso's layers for one agent, in order.
fn torso_layers(shape: NetShape) -> Vec<Layer> {
    match shape.kind {
        PolicyKind::Cnn => {
            let out = shape.side - 8;
            vec![
                Layer::conv(shape.channels, CHANNELS, 5),
                Layer::conv(CHANNELS, CHANNELS, 3),
                Layer::conv(CHANNELS, CHANNELS, 3),
                Layer::dense(CHANNELS * out * out, HIDDEN),
            ]
        }
        PolicyKind::Mlp => vec![
            Layer::dense(shape.obs_len(), HIDDEN),
            Layer::dense(HIDDEN, HIDDEN),
        ],
    }
}

/// Every layer's weights and biases for every agent, stacked agent-major: agent `a`'s values
/// drawn uniformly in `±1/√fan_in` from a generator seeded with `seeds[a]`, layer by layer
/// (weight, then bias).
fn draw(layers: &[Layer], seeds: &[u64]) -> Vec<(Vec<f32>, Vec<f32>)> {
    let mut drawn: Vec<(Vec<f32>, Vec<f32>)> = layers.iter().map(|_| Default::default()).collect();
    for &seed in seeds {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        for (layer, (w, b)) in layers.iter().zip(&mut drawn) {
            let bound = 1.0 / (layer.fan_in.max(1) as f64).sqrt();
            let count: usize = layer.weight.iter().product();
            w.extend((0..count).map(|_| rng.gen_range(-bound..bound) as f32));
            b.extend((0..layer.bias).map(|_| rng.gen_range(-bound..bound) as f32));
        }
    }
    drawn
}

/// A stack's torso and its head (a dense layer `HIDDEN → shape.outputs`), drawn from `seeds`
/// ([`draw`]); `adjust_head` may change the head's drawn weights and bias before they become
/// parameters.
fn torso_and_head<B: Backend>(
    shape: NetShape,
    device: &B::Device,
    seeds: &[u64],
    adjust_head: impl FnOnce(&mut [f32], &mut [f32]),
) -> (StackedTorso<B>, StackedLinear<B>) {
    let mut layers = torso_layers(shape);
    layers.push(Layer::dense(HIDDEN, shape.outputs));
    let mut drawn = draw(&layers, seeds);
    let (w, b) = drawn.last_mut().expect("a head");
    adjust_head(w, b);
    let (torso, mut heads) = build(shape, &layers, drawn, seeds.len(), device);
    (torso, heads.pop().expect("a head"))
}

/// A stack's torso and head from given values (checked against the layers of `shape`).
fn torso_and_head_from<B: Backend>(
    shape: NetShape,
    values: Vec<(Vec<f64>, Vec<f64>)>,
    agents: usize,
    device: &B::Device,
) -> Result<(StackedTorso<B>, StackedLinear<B>), ConfigError> {
    shape.validate()?;
    let mut layers = torso_layers(shape);
    layers.push(Layer::dense(HIDDEN, shape.outputs));
    if values.len() != layers.len() {
        return Err(ConfigError::Incompatible(format!(
            "the network has {} layers, {} were given",
            layers.len(),
            values.len()
        )));
    }
    for (j, (layer, (w, b))) in layers.iter().zip(&values).enumerate() {
        let (wn, bn) = (
            agents * layer.weight.iter().product::<usize>(),
            agents * layer.bias,
        );
        if w.len() != wn || b.len() != bn {
            return Err(ConfigError::Incompatible(format!(
                "layer {j}: expected {wn} weights and {bn} biases for {agents} agents, got {} and {}",
                w.len(),
                b.len()
            )));
        }
        if w.iter().chain(b).any(|x| !x.is_finite()) {
            return Err(ConfigError::Incompatible(format!(
                "layer {j}: a parameter is not finite"
            )));
        }
    }
    let (torso, mut heads) = build(shape, &layers, values, agents, device);
    Ok((torso, heads.pop().expect("a head")))
}

/// The torso and the remaining dense layers (the heads) from drawn values.
fn build<B: Backend, E: burn::tensor::Element>(
    shape: NetShape,
    layers: &[Layer],
    drawn: Vec<(Vec<E>, Vec<E>)>,
    agents: usize,
    device: &B::Device,
) -> (StackedTorso<B>, Vec<StackedLinear<B>>) {
    let mut convs = Vec::new();
    let mut dense = Vec::new();
    for (layer, (w, b)) in layers.iter().zip(drawn) {
        match layer.weight[..] {
            [inputs, outputs] => dense.push(StackedLinear {
                weight: Param::from_data(TensorData::new(w, [agents, inputs, outputs]), device),
                bias: Param::from_data(TensorData::new(b, [agents, 1, outputs]), device),
            }),
            [out, inputs, k, _] => convs.push(StackedConv2d {
                weight: Param::from_data(TensorData::new(w, [agents, out, inputs, k, k]), device),
                bias: Param::from_data(TensorData::new(b, [agents, out]), device),
            }),
            _ => unreachable!("dense or convolution layers only"),
        }
    }
    let heads = dense.split_off(dense.len() - 1);
    (
        StackedTorso {
            convs,
            dense,
            shape,
        },
        heads,
    )
}
