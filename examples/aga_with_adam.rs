//! Three MLP players in a neural public-goods game, trained with AgA around Adam and with
//! plain Adam, side by side.
//!
//! Each player is a small MLP that reads a batch of observations and outputs a logit per
//! observation; its contribution is `a_i = σ(logit)`. The pot `Σ_j a_j` is multiplied by
//! `m = 1.5` and shared among the `n = 3` players: `r_i = (1 − a_i) + m Σ_j a_j / n`, and each
//! player minimises `l_i = −mean(r_i)`. Contributing costs a player 1 and returns it only
//! `m/n = 0.5`, so selfish gradient play drives every contribution to 0 (each `l_i → −1`), while
//! the collective optimum is full contribution (each `l_i = −1.5`).
//!
//! Run with `cargo run --release --example aga_with_adam`.

use aga_burn::{initialized, GameOptimizerConfig, HvpBackend};
use aga_core::Method;
use burn::backend::NdArray;
use burn::module::Module;
use burn::nn::{Linear, LinearConfig};
use burn::optim::AdamConfig;
use burn::tensor::{activation, backend::Backend, Distribution, Tensor};

type B = HvpBackend<NdArray<f64>>;

const PLAYERS: usize = 3;
const MULTIPLIER: f64 = 1.5;
const STEPS: usize = 200;
const LEARNING_RATE: f64 = 0.01;

/// One player's policy: observations → hidden → logit.
#[derive(Module, Debug)]
struct Policy<B: Backend> {
    hidden: Linear<B>,
    out: Linear<B>,
}

impl<B: Backend> Policy<B> {
    fn new(device: &B::Device) -> Self {
        Self {
            hidden: LinearConfig::new(4, 16).init(device),
            out: LinearConfig::new(16, 1).init(device),
        }
    }

    /// Contribution in (0, 1) for each observation.
    fn contribution(&self, obs: Tensor<B, 2>) -> Tensor<B, 1> {
        let logits = self.out.forward(self.hidden.forward(obs).tanh());
        let [batch, _] = logits.dims();
        activation::sigmoid(logits).reshape([batch])
    }
}

/// The public-goods losses for a fixed batch of observations.
fn losses(obs: &Tensor<B, 2>) -> impl Fn(&[Policy<B>]) -> Vec<Tensor<B, 1>> + '_ {
    move |players: &[Policy<B>]| {
        let a: Vec<Tensor<B, 1>> = players
            .iter()
            .map(|p| p.contribution(obs.clone()))
            .collect();
        let pot = a.iter().skip(1).fold(a[0].clone(), |s, x| s + x.clone());
        a.iter()
            .map(|a_i| {
                let reward =
                    (a_i.clone().neg() + 1.0) + pot.clone() * (MULTIPLIER / PLAYERS as f64);
                reward.mean().neg()
            })
            .collect()
    }
}

/// Train with the given rule around one Adam per player; print the losses as it goes.
fn train(label: &str, method: Method, obs: &Tensor<B, 2>, init: &[Policy<B>]) -> Vec<f64> {
    let adam = || AdamConfig::new().init::<B, Policy<B>>();
    let mut optimizer = GameOptimizerConfig::new(method)
        .init((0..PLAYERS).map(|_| adam()).collect())
        .expect("a valid configuration");
    let mut players = init.to_vec();
    let losses = losses(obs);
    let mut last = Vec::new();
    for step in 0..=STEPS {
        let result = optimizer
            .step(LEARNING_RATE, players, &losses)
            .expect("the game evaluates");
        players = result.players;
        last = result.losses_before;
        if step % (STEPS / 4) == 0 {
            let collective: f64 = last.iter().sum();
            println!(
                "{label:>10} step {step:>4}: l = [{}], l_c = {collective:.4}, lambda = {:?}",
                last.iter()
                    .map(|l| format!("{l:.4}"))
                    .collect::<Vec<_>>()
                    .join(", "),
                result.diagnostics.lambda,
            );
        }
    }
    last
}

fn main() {
    let device = Default::default();
    <B as Backend>::seed(&device, 7);
    let obs = Tensor::<B, 2>::random([32, 4], Distribution::Normal(0.0, 1.0), &device);
    // Materialise Burn's lazily initialised weights, so that both runs start from the same ones.
    let init: Vec<Policy<B>> = (0..PLAYERS)
        .map(|_| initialized(Policy::new(&device)))
        .collect();

    // Simgd around Adam is plain Adam: each player's own gradient, its own Adam state.
    let selfish = train("Adam", Method::Simgd, &obs, &init);
    let altruistic = train("AgA(Adam)", Method::Aga, &obs, &init);

    let (sum_selfish, sum_aga): (f64, f64) = (selfish.iter().sum(), altruistic.iter().sum());
    println!("collective loss: Adam {sum_selfish:.4}, AgA(Adam) {sum_aga:.4}");
    assert!(
        sum_aga < sum_selfish,
        "AgA should reach a better collective outcome"
    );
}
