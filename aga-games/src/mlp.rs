//! The MLP benchmark game (MATH.md §5).

use crate::{limits, GamesError};
use aga_burn::{Game, ParamLayout, Params};
use burn::tensor::{backend::Backend, Tensor, TensorData};
use rand::{rngs::StdRng, SeedableRng};
use rand_distr::{Distribution, Normal};

/// `n` players, each an MLP `input → h → h → 1` with `tanh` after both hidden layers, on one
/// fixed input batch `X ∈ R^{batch×input}` with standard normal entries. With `y_i = f_i(X)` and
/// `ȳ = (1/n) Σ_j y_j`:
///
/// `l_i = mean((y_i − ȳ)²) − mean(y_i ⊙ y_{(i+1) mod n})`.
///
/// The benchmark setting is `input = 32`, `batch = 256` ([`MlpGame::benchmark`]).
/// Layout of player `i`: `W1 [input, h]`, `b1 [h]`, `W2 [h, h]`, `b2 [h]`, `W3 [h, 1]`, `b3 [1]`
/// (`y = tanh(tanh(X W1 + b1) W2 + b2) W3 + b3`); [`MlpGame::init`] draws weights
/// `N(0, 1/fan_in)` and zero biases.
#[derive(Debug, Clone)]
pub struct MlpGame {
    players: usize,
    input: usize,
    hidden: usize,
    batch: usize,
    x: Vec<f64>,
    seed: u64,
}

impl MlpGame {
    /// A game with the given sizes; `seed` fixes `X` and [`MlpGame::init`].
    pub fn new(
        players: usize,
        input: usize,
        hidden: usize,
        batch: usize,
        seed: u64,
    ) -> Result<Self, GamesError> {
        for (what, min, got) in [
            ("players", 2, players),
            ("input", 1, input),
            ("hidden", 1, hidden),
            ("batch", 1, batch),
        ] {
            if got < min {
                return Err(GamesError::TooSmall { what, min, got });
            }
        }
        check_sizes(players, input, hidden, batch)?;
        let mut rng = StdRng::seed_from_u64(seed);
        let normal = Normal::new(0.0, 1.0).expect("unit normal");
        let x = (0..batch * input)
            .map(|_| normal.sample(&mut rng))
            .collect();
        Ok(Self {
            players,
            input,
            hidden,
            batch,
            x,
            seed,
        })
    }

    /// The benchmark game of MATH.md §5: `n` players, `32 → h → h → 1`, batch 256.
    pub fn benchmark(players: usize, hidden: usize, seed: u64) -> Result<Self, GamesError> {
        Self::new(players, 32, hidden, 256, seed)
    }

    /// The fixed input batch `X`, row-major `[batch, input]`.
    pub fn inputs(&self) -> &[f64] {
        &self.x
    }

    /// `(players, input, hidden, batch)`.
    pub fn sizes(&self) -> (usize, usize, usize, usize) {
        (self.players, self.input, self.hidden, self.batch)
    }

    /// Number of parameters of one player.
    pub fn player_dim(&self) -> usize {
        let (i, h) = (self.input, self.hidden);
        i * h + h + h * h + h + h + 1
    }

    /// Initial parameters (flat, all players): weights `N(0, 1/fan_in)`, biases zero.
    pub fn init(&self) -> Vec<f64> {
        let mut rng = StdRng::seed_from_u64(self.seed.wrapping_add(1));
        let (i, h) = (self.input, self.hidden);
        let mut w = Vec::with_capacity(self.players * self.player_dim());
        for _ in 0..self.players {
            for (fan_in, fan_out) in [(i, h), (h, h), (h, 1)] {
                let normal = Normal::new(0.0, (1.0 / fan_in as f64).sqrt()).expect("valid std");
                w.extend((0..fan_in * fan_out).map(|_| normal.sample(&mut rng)));
                w.extend(std::iter::repeat_n(0.0, fan_out));
            }
        }
        w
    }

    fn forward<B: Backend>(&self, p: &Params<B>, player: usize, x: Tensor<B, 2>) -> Tensor<B, 1> {
        let h1 = (x.matmul(p.get::<2>(player, 0)) + p.get::<1>(player, 1).unsqueeze()).tanh();
        let h2 = (h1.matmul(p.get::<2>(player, 2)) + p.get::<1>(player, 3).unsqueeze()).tanh();
        let out = h2.matmul(p.get::<2>(player, 4)) + p.get::<1>(player, 5).unsqueeze();
        out.reshape([self.batch])
    }
}

/// Reject sizes whose parameters or activations would not fit, before allocating anything.
/// Counts are computed in `u128`, so no size can overflow them.
fn check_sizes(
    players: usize,
    input: usize,
    hidden: usize,
    batch: usize,
) -> Result<(), GamesError> {
    let (n, i, h, b) = (
        players as u128,
        input as u128,
        hidden as u128,
        batch as u128,
    );
    if n > limits::MAX_PLAYERS as u128 {
        return Err(GamesError::TooLarge {
            what: "the number of MLP players",
            max: limits::MAX_PLAYERS as u128,
            got: n,
            hint:
                "the derivative engine runs every player's forward pass once per player (n² passes)",
        });
    }
    let params = n * (i * h + h + h * h + h + h + 1);
    if params > limits::MAX_PARAMETERS as u128 {
        return Err(GamesError::TooLarge {
            what: "the MLP game's parameter count",
            max: limits::MAX_PARAMETERS as u128,
            got: params,
            hint: "use fewer players or a smaller --hidden",
        });
    }
    // The per-loss pass holds n copies of every player's hidden activations (2 layers).
    let activations = n * n * b * h * 2 + b * i;
    if activations > limits::MAX_ACTIVATIONS as u128 {
        return Err(GamesError::TooLarge {
            what: "the MLP game's activation count (players² × batch × hidden × 2)",
            max: limits::MAX_ACTIVATIONS as u128,
            got: activations,
            hint: "use fewer players or a smaller --hidden",
        });
    }
    Ok(())
}

impl<B: Backend> Game<B> for MlpGame {
    fn layout(&self) -> ParamLayout {
        let (i, h) = (self.input, self.hidden);
        let player = vec![
            vec![i, h],
            vec![h],
            vec![h, h],
            vec![h],
            vec![h, 1],
            vec![1],
        ];
        ParamLayout::new(vec![player; self.players]).expect("positive sizes")
    }

    fn losses(&self, p: &Params<B>) -> Vec<Tensor<B, 1>> {
        let ys = self.outputs(p);
        self.head(&ys)
    }

    /// Shared forward pass: player `i`'s output is its network's prediction `y_i = f_i(X)`.
    fn player_outputs(&self, p: &Params<B>) -> Option<Vec<Tensor<B, 1>>> {
        Some(self.outputs(p))
    }

    fn losses_of_outputs(&self, ys: &[Tensor<B, 1>]) -> Vec<Tensor<B, 1>> {
        self.head(ys)
    }

    fn loss_of_outputs(&self, player: usize, ys: &[Tensor<B, 1>]) -> Option<Tensor<B, 1>> {
        if ys.len() != self.players {
            return None; // the engine reports the wrong count through `losses_of_outputs`
        }
        Some(self.loss_of(player, ys, &self.mean_output(ys)))
    }
}

impl MlpGame {
    fn outputs<B: Backend>(&self, p: &Params<B>) -> Vec<Tensor<B, 1>> {
        let device = p.flat(0, 0).device();
        let x = Tensor::<B, 2>::from_data(
            TensorData::new(self.x.clone(), [self.batch, self.input]),
            &device,
        );
        (0..self.players)
            .map(|i| self.forward(p, i, x.clone()))
            .collect()
    }

    /// `ȳ = (1/n) Σ_j y_j`.
    fn mean_output<B: Backend>(&self, ys: &[Tensor<B, 1>]) -> Tensor<B, 1> {
        Tensor::stack::<2>(ys.to_vec(), 0)
            .mean_dim(0)
            .reshape([self.batch])
    }

    /// `l_i = mean((y_i − ȳ)²) − mean(y_i ⊙ y_{(i+1) mod n})`.
    fn loss_of<B: Backend>(
        &self,
        i: usize,
        ys: &[Tensor<B, 1>],
        mean_y: &Tensor<B, 1>,
    ) -> Tensor<B, 1> {
        let next = &ys[(i + 1) % ys.len()];
        let spread = (ys[i].clone() - mean_y.clone()).powi_scalar(2).mean();
        let coupling = (ys[i].clone() * next.clone()).mean();
        spread - coupling
    }

    fn head<B: Backend>(&self, ys: &[Tensor<B, 1>]) -> Vec<Tensor<B, 1>> {
        let mean_y = self.mean_output(ys);
        (0..ys.len())
            .map(|i| self.loss_of(i, ys, &mean_y))
            .collect()
    }
}
