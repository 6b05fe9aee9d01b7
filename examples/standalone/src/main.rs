//! A neural Cournot oligopoly with three players of different module types, trained with plain
//! Adam and with AgA around Adam: a user's first hour with `aga`, as docs/guide.md tells it.
//!
//! Each firm `i` sets a quantity `q_i` (its network's output on a fixed input). The price is
//! `P = A − Q` with `Q = Σ_j q_j`, and firm `i`'s profit is `q_i (P − C)`; it minimises
//! `l_i = −q_i (P − C)`. Selfish gradient play goes to the Nash equilibrium
//! `q_i = (A − C)/(n + 1)` (collective loss `−n ((A − C)/(n + 1))²`), the collective optimum is
//! the cartel `Q = (A − C)/2` (collective loss `−((A − C)/2)²`).

use aga::prelude::*;
use burn::backend::NdArray;
use burn::module::{Module, Param};
use burn::nn::{Linear, LinearConfig};
use burn::optim::AdamConfig;
use burn::record::{BinBytesRecorder, DoublePrecisionSettings, Recorder};
use burn::tensor::{backend::Backend, Tensor, TensorData};

/// Exact f64 derivatives on the CPU: `Autodiff<Dual<NdArray<f64>>>`.
type B = HvpBackend<NdArray<f64>>;

const DEMAND: f64 = 10.0; // A
const COST: f64 = 1.0; // C

/// A firm that is one linear layer.
#[derive(Module, Debug)]
struct LinearFirm<B: Backend> {
    layer: Linear<B>,
}

/// A firm that is a small MLP.
#[derive(Module, Debug)]
struct MlpFirm<B: Backend> {
    hidden: Linear<B>,
    out: Linear<B>,
}

/// A firm that is a single number.
#[derive(Module, Debug)]
struct ScalarFirm<B: Backend> {
    quantity: Param<Tensor<B, 1>>,
}

/// Players of different types: one enum deriving `Module`, so that all players share one type.
#[derive(Module, Debug)]
enum Firm<B: Backend> {
    Linear(LinearFirm<B>),
    Mlp(MlpFirm<B>),
    Scalar(ScalarFirm<B>),
}

impl<B: Backend> Firm<B> {
    /// The firm's quantity: its output on the fixed input `x` (shape `[1, 4]`).
    fn quantity(&self, x: Tensor<B, 2>) -> Tensor<B, 1> {
        match self {
            Firm::Linear(f) => f.layer.forward(x).reshape([1]),
            Firm::Mlp(f) => f.out.forward(f.hidden.forward(x).tanh()).reshape([1]),
            Firm::Scalar(f) => f.quantity.val(),
        }
    }
}

/// The Cournot losses `l_i = −q_i (A − Q − C)` as a closure over the fixed input.
fn cournot(x: Tensor<B, 2>) -> impl Fn(&[Firm<B>]) -> Vec<Tensor<B, 1>> {
    move |firms: &[Firm<B>]| {
        let q: Vec<Tensor<B, 1>> = firms.iter().map(|f| f.quantity(x.clone())).collect();
        let total = q.iter().skip(1).fold(q[0].clone(), |s, qi| s + qi.clone());
        let margin = total.neg() + (DEMAND - COST);
        q.into_iter().map(|qi| -(qi * margin.clone())).collect()
    }
}

fn firms(device: &burn::backend::ndarray::NdArrayDevice) -> Vec<Firm<B>> {
    let quantity = Tensor::from_data(TensorData::new(vec![0.5f64], [1]), device);
    vec![
        Firm::Linear(LinearFirm {
            layer: LinearConfig::new(4, 1).init(device),
        }),
        Firm::Mlp(MlpFirm {
            hidden: LinearConfig::new(4, 8).init(device),
            out: LinearConfig::new(8, 1).init(device),
        }),
        Firm::Scalar(ScalarFirm {
            quantity: Param::from_tensor(quantity),
        }),
    ]
    .into_iter()
    .map(initialized) // materialise Burn's lazy weights so both runs start alike
    .collect()
}

/// Train with `method` around one Adam per player, with a learning rate per player and the
/// runaway guard on. Returns the players and the collective loss at the end.
fn train(
    method: Method,
    start: &[Firm<B>],
    steps: usize,
    x: &Tensor<B, 2>,
) -> Result<(Vec<Firm<B>>, f64), TransformError> {
    let adam = || AdamConfig::new().init::<B, Firm<B>>();
    let mut optimizer = GameOptimizerConfig::new(method)
        .with_lambda(1.0)
        .with_max_abs_loss(Some(1e4))
        .init(vec![adam(), adam(), adam()])?;
    let losses = cournot(x.clone());
    let rates = [0.02, 0.02, 0.05];
    let mut players = start.to_vec();
    for _ in 0..steps {
        players = optimizer.step_with_rates(&rates, players, &losses)?.players;
    }
    let end: f64 = losses(&players).into_iter().map(|l| l.into_scalar()).sum();
    Ok((players, end))
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let device = Default::default();
    <B as Backend>::seed(&device, 3);
    let x = Tensor::<B, 2>::from_data(
        TensorData::new(vec![0.5f64, -0.3, 0.8, 0.1], [1, 4]),
        &device,
    );
    let start = firms(&device);
    let steps = 400;

    let (_, selfish) = train(Method::Simgd, &start, steps, &x)?; // plain Adam per player
    let (_, altruistic) = train(Method::Aga, &start, steps, &x)?;
    let n = 3.0;
    let nash = -n * ((DEMAND - COST) / (n + 1.0)).powi(2);
    let cartel = -((DEMAND - COST) / 2.0).powi(2);
    println!("collective loss after {steps} steps: Adam {selfish:.3} (Nash {nash:.3}), AgA(Adam) {altruistic:.3} (cartel {cartel:.3})");

    // Save after 10 AgA steps, resume, and check that the resumed run is the uninterrupted one.
    let losses = cournot(x.clone());
    let config = GameOptimizerConfig::new(Method::Aga);
    let adam = || AdamConfig::new().init::<B, Firm<B>>();
    let mut straight = config.init(vec![adam(), adam(), adam()])?;
    let mut a = start.clone();
    for _ in 0..20 {
        a = straight.step(0.02, a, &losses)?.players;
    }
    let mut first = config.init(vec![adam(), adam(), adam()])?;
    let mut b = start.clone();
    for _ in 0..10 {
        b = first.step(0.02, b, &losses)?.players;
    }
    let recorder = BinBytesRecorder::<DoublePrecisionSettings>::default(); // f64 records
    let saved_optimizer = recorder.record(first.to_record::<NdArray<f64>, Firm<B>>(), ())?;
    let saved_players: Vec<Vec<u8>> = b
        .iter()
        .map(|m| recorder.record(m.clone().into_record(), ()))
        .collect::<Result<_, _>>()?;
    let mut second = config
        .init(vec![adam(), adam(), adam()])?
        .load_record::<NdArray<f64>, Firm<B>>(recorder.load(saved_optimizer, &device)?)?;
    let mut b: Vec<Firm<B>> = firms(&device)
        .into_iter()
        .zip(saved_players)
        .map(|(m, bytes)| Ok(m.load_record(recorder.load(bytes, &device)?)))
        .collect::<Result<_, burn::record::RecorderError>>()?;
    for _ in 0..10 {
        b = second.step(0.02, b, &losses)?.players;
    }
    let q = |f: &[Firm<B>]| -> Vec<f64> {
        f.iter()
            .flat_map(|m| m.quantity(x.clone()).into_data().to_vec::<f64>().unwrap())
            .collect()
    };
    assert_eq!(q(&a), q(&b), "a resumed run continues bit-identically");
    println!(
        "resume after 10 + 10 steps: bit-identical quantities {:?}",
        q(&b)
    );
    assert!(
        altruistic < selfish,
        "AgA should reach a better collective outcome"
    );
    Ok(())
}
