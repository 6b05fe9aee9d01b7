//! The n-player public goods game of MATH.md §5.

use crate::{limits, GamesError};
use aga_burn::{Game, ParamLayout, Params};
use burn::tensor::{activation::sigmoid, backend::Backend, Tensor};

/// Player `i` holds a logit `θ_i` and contributes `a_i = σ(θ_i) ∈ (0, 1)`; the pot `Σ_j a_j` is
/// multiplied by `m` (`1 < m < n`) and shared equally:
/// `r_i = (1 − a_i) + m Σ_j a_j / n`, `l_i = −r_i`.
///
/// Contributing costs a player `1 − m/n > 0` per unit and earns the group `m − 1 > 0`: the Nash
/// equilibrium is `a = 0` (every `r_i = 1`), the collective optimum `a = 1` (every `r_i = m`).
/// Layout: `(θ_1, …, θ_n)`, one scalar per player.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PublicGoods {
    players: usize,
    multiplier: f64,
}

impl PublicGoods {
    /// `n` players and multiplier `m`; requires `n ≥ 2` and `1 < m < n`.
    pub fn new(players: usize, multiplier: f64) -> Result<Self, GamesError> {
        if players < 2 {
            return Err(GamesError::TooSmall {
                what: "the number of public goods players",
                min: 2,
                got: players,
            });
        }
        if players > limits::MAX_PLAYERS {
            return Err(GamesError::TooLarge {
                what: "the number of public goods players",
                max: limits::MAX_PLAYERS as u128,
                got: players as u128,
                hint: "the derivative engine's per-loss pass holds n copies of all n parameters",
            });
        }
        if !(multiplier.is_finite() && multiplier > 1.0 && multiplier < players as f64) {
            return Err(GamesError::BadParameter(format!(
                "the public goods multiplier must satisfy 1 < m < n = {players}, got {multiplier}"
            )));
        }
        Ok(Self {
            players,
            multiplier,
        })
    }

    /// The paper's setting as documented in MATH.md: `n = 2`, `m = 1.5`.
    pub fn two_player() -> Self {
        Self::new(2, 1.5).expect("valid defaults")
    }

    /// Number of players `n`.
    pub fn players(&self) -> usize {
        self.players
    }

    /// Multiplier `m`.
    pub fn multiplier(&self) -> f64 {
        self.multiplier
    }

    /// Rewards `r_i` for contributions `a`.
    pub fn rewards(&self, contributions: &[f64]) -> Vec<f64> {
        let pot = self.multiplier * contributions.iter().sum::<f64>() / self.players as f64;
        contributions.iter().map(|a| 1.0 - a + pot).collect()
    }
}

impl<B: Backend> Game<B> for PublicGoods {
    fn layout(&self) -> ParamLayout {
        ParamLayout::new(vec![vec![vec![1]]; self.players])
            .expect("scalar players")
            .with_names((1..=self.players).map(|i| format!("theta{i}")).collect())
    }

    fn losses(&self, params: &Params<B>) -> Vec<Tensor<B, 1>> {
        let a: Vec<Tensor<B, 1>> = (0..self.players)
            .map(|i| sigmoid(params.flat(i, 0)))
            .collect();
        let share = a
            .iter()
            .cloned()
            .reduce(|x, y| x + y)
            .expect("at least two players")
            .mul_scalar(self.multiplier / self.players as f64);
        // l_i = −(1 − a_i + share) = a_i − 1 − share
        a.into_iter().map(|a_i| a_i - share.clone() - 1.0).collect()
    }
}
