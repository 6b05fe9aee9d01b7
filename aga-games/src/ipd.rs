//! The iterated prisoner's dilemma with its exact discounted value (Foerster et al. 2018).

use crate::GamesError;
use aga_burn::{Game, ParamLayout, Params};
use burn::tensor::{activation::sigmoid, backend::Backend, Tensor, TensorData};

/// Rewards of the one-shot game in the states `(CC, CD, DC, DD)` (own action first), for
/// player 1 and player 2: mutual cooperation −1 each, the sucker −3, the defector 0, mutual
/// defection −2 each (MATH.md §5).
pub const IPD_REWARDS: [[f64; 4]; 2] = [[-1.0, -3.0, 0.0, -2.0], [-1.0, 0.0, -3.0, -2.0]];

/// The infinitely iterated prisoner's dilemma between two memory-one policies, with the exact
/// discounted value.
///
/// Player `i` holds 5 logits: `θ_i[0]` for cooperating in the first round and `θ_i[1..5]` for
/// cooperating after the previous round's outcome `(CC, CD, DC, DD)`, seen from player `i`'s
/// side (own action first). The Markov chain over outcomes has initial distribution `p_0` and
/// transition matrix `P`; the loss is the normalised discounted value
/// `l_i = −(1 − γ) p_0ᵀ (I − γP)⁻¹ r_i`, so that all-defect gives exactly 2 and
/// all-cooperate exactly 1. The linear system is solved by Gaussian elimination written as
/// Burn code (`I − γP` is strictly diagonally dominant, so no pivoting is needed), which keeps
/// the game differentiable to any order on any backend.
///
/// Layout: `(θ_1[0..5], θ_2[0..5])`, names `p1_start, p1_CC, p1_CD, p1_DC, p1_DD, p2_…`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Ipd {
    gamma: f64,
}

impl Default for Ipd {
    /// `γ = 0.96`, as in LOLA and SOS.
    fn default() -> Self {
        Self { gamma: 0.96 }
    }
}

impl Ipd {
    /// An IPD with discount `γ ∈ (0, 1)`.
    pub fn new(gamma: f64) -> Result<Self, GamesError> {
        if !(gamma.is_finite() && gamma > 0.0 && gamma < 1.0) {
            return Err(GamesError::BadParameter(format!(
                "the IPD discount gamma must be in (0, 1), got {gamma}"
            )));
        }
        Ok(Self { gamma })
    }

    /// The discount `γ`.
    pub fn gamma(&self) -> f64 {
        self.gamma
    }
}

impl<B: Backend> Game<B> for Ipd {
    fn layout(&self) -> ParamLayout {
        let mut names = Vec::with_capacity(10);
        for player in 1..=2 {
            for state in ["start", "CC", "CD", "DC", "DD"] {
                names.push(format!("p{player}_{state}"));
            }
        }
        ParamLayout::new(vec![vec![vec![5]], vec![vec![5]]])
            .expect("two players with 5 logits")
            .with_names(names)
    }

    fn losses(&self, params: &Params<B>) -> Vec<Tensor<B, 1>> {
        let c1 = sigmoid(params.flat(0, 0));
        let c2 = sigmoid(params.flat(1, 0));
        let device = c1.device();
        let one_minus = |t: &Tensor<B, 1>| t.clone().neg() + 1.0;
        // Outcome distribution of a round given each player's cooperation probability.
        let outcomes = |a: Tensor<B, 1>, b: Tensor<B, 1>| {
            [
                a.clone() * b.clone(),
                a.clone() * one_minus(&b),
                one_minus(&a) * b.clone(),
                one_minus(&a) * one_minus(&b),
            ]
        };
        let start = Tensor::cat(
            outcomes(c1.clone().slice(0..1), c2.clone().slice(0..1)).to_vec(),
            0,
        );
        // Player 2 sees CD as DC and vice versa.
        let own = c1.slice(1..5);
        let other = Tensor::cat(
            vec![
                c2.clone().slice(1..2),
                c2.clone().slice(3..4),
                c2.clone().slice(2..3),
                c2.slice(4..5),
            ],
            0,
        );
        let columns: Vec<Tensor<B, 2>> = outcomes(own, other)
            .into_iter()
            .map(|c| c.reshape([4, 1]))
            .collect();
        let transition = Tensor::cat(columns, 1); // [4, 4], rows sum to 1
        let system = Tensor::<B, 2>::eye(4, &device) - transition.mul_scalar(self.gamma);
        let rewards: Vec<f64> = (0..4)
            .flat_map(|s| [IPD_REWARDS[0][s], IPD_REWARDS[1][s]])
            .collect();
        let rewards = Tensor::<B, 2>::from_data(TensorData::new(rewards, [4, 2]), &device);
        let values = solve_without_pivoting(system, rewards); // (I − γP)⁻¹ [r_1 r_2], [4, 2]
        let discounted = (start.reshape([4, 1]) * values).sum_dim(0); // [1, 2]
        let losses = discounted.mul_scalar(-(1.0 - self.gamma)).reshape([2]);
        vec![losses.clone().slice(0..1), losses.slice(1..2)]
    }
}

/// Solve `A X = R` by Gaussian elimination without pivoting (for a strictly diagonally
/// dominant `A`), as differentiable Burn code. `A` is `[n, n]`, `R` is `[n, k]`.
fn solve_without_pivoting<B: Backend>(a: Tensor<B, 2>, rhs: Tensor<B, 2>) -> Tensor<B, 2> {
    let n = a.dims()[0];
    let k = rhs.dims()[1];
    let cols = n + k;
    let mut m = Tensor::cat(vec![a, rhs], 1);
    for p in 0..n - 1 {
        let pivot_row = m.clone().slice([p..p + 1, 0..cols]);
        let pivot = pivot_row.clone().slice([0..1, p..p + 1]);
        let below = m.clone().slice([p + 1..n, 0..cols]);
        let factors = below.clone().slice([0..n - p - 1, p..p + 1]) / pivot;
        let below = below - factors * pivot_row;
        m = Tensor::cat(vec![m.slice([0..p + 1, 0..cols]), below], 0);
    }
    let mut x: Vec<Option<Tensor<B, 2>>> = vec![None; n];
    for p in (0..n).rev() {
        let row = m.clone().slice([p..p + 1, 0..cols]);
        let mut acc = row.clone().slice([0..1, n..cols]);
        for (j, xj) in x.iter().enumerate().skip(p + 1) {
            let xj = xj.as_ref().expect("solved already");
            acc = acc - row.clone().slice([0..1, j..j + 1]) * xj.clone();
        }
        x[p] = Some(acc / row.slice([0..1, p..p + 1]));
    }
    Tensor::cat(x.into_iter().map(|r| r.expect("solved")).collect(), 0)
}
