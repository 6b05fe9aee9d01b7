//! Two-player, two-action matrix games with sigmoid policies: matching pennies and stag hunt.

use aga_burn::{Game, ParamLayout, Params};
use burn::tensor::{backend::Backend, Tensor};

/// A 2×2 game in which player `i` holds one logit `θ_i` and plays its first action with
/// probability `p_i = σ(θ_i)`. With `x = (p_1, 1 − p_1)` and `y = (p_2, 1 − p_2)`, the losses are
/// the expected costs `l_i = xᵀ L_i y` (`L_i[a][b]` is player `i`'s loss when player 1 plays `a`
/// and player 2 plays `b`).
///
/// Layout: player 1 owns `θ_1` (shape `[1]`), player 2 owns `θ_2`; flat order `(θ_1, θ_2)`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct MatrixGame {
    /// Player 1's loss matrix.
    pub loss_1: [[f64; 2]; 2],
    /// Player 2's loss matrix.
    pub loss_2: [[f64; 2]; 2],
    names: [&'static str; 2],
}

impl MatrixGame {
    /// Matching pennies (as in the SOS reference code): `L_1 = [[1, −1], [−1, 1]] = −L_2`, so
    /// `l_1 = (2p_1 − 1)(2p_2 − 1) = −l_2`. Player 1 wants to mismatch, player 2 to match; the
    /// unique Nash equilibrium is `p = (½, ½)`, i.e. `θ = 0`, and the game Hessian there is
    /// antisymmetric (simgd cycles around it).
    pub fn matching_pennies() -> Self {
        let l1 = [[1.0, -1.0], [-1.0, 1.0]];
        Self {
            loss_1: l1,
            loss_2: [[-1.0, 1.0], [1.0, -1.0]],
            names: ["theta1", "theta2"],
        }
    }

    /// Stag hunt: rewards (stag, stag) = 4, (stag, hare) = 0, (hare, stag) = 3,
    /// (hare, hare) = 2 for the row player, symmetric for the column player; losses are the
    /// negated rewards. Action 1 is "stag". Both pure profiles are equilibria — (stag, stag)
    /// pays more, (hare, hare) is risk-dominant — and the mixed one is `p = (⅔, ⅔)`.
    pub fn stag_hunt() -> Self {
        let l1 = [[-4.0, 0.0], [-3.0, -2.0]];
        Self {
            loss_1: l1,
            loss_2: [[l1[0][0], l1[1][0]], [l1[0][1], l1[1][1]]],
            names: ["theta1", "theta2"],
        }
    }

    /// The losses in closed form at the probabilities `(p_1, p_2)`.
    pub fn losses_at_probabilities(&self, p1: f64, p2: f64) -> (f64, f64) {
        let x = [p1, 1.0 - p1];
        let y = [p2, 1.0 - p2];
        let bilinear = |l: &[[f64; 2]; 2]| {
            (0..2)
                .map(|a| (0..2).map(|b| x[a] * l[a][b] * y[b]).sum::<f64>())
                .sum::<f64>()
        };
        (bilinear(&self.loss_1), bilinear(&self.loss_2))
    }
}

/// `xᵀ L y` for `x = (p, 1 − p)`, `y = (q, 1 − q)` as Burn code.
fn expected<B: Backend>(l: &[[f64; 2]; 2], p: &Tensor<B, 1>, q: &Tensor<B, 1>) -> Tensor<B, 1> {
    let not_p = p.clone().neg() + 1.0;
    let not_q = q.clone().neg() + 1.0;
    (p.clone() * q.clone()).mul_scalar(l[0][0])
        + (p.clone() * not_q.clone()).mul_scalar(l[0][1])
        + (not_p.clone() * q.clone()).mul_scalar(l[1][0])
        + (not_p * not_q).mul_scalar(l[1][1])
}

impl<B: Backend> Game<B> for MatrixGame {
    fn layout(&self) -> ParamLayout {
        ParamLayout::new(vec![vec![vec![1]], vec![vec![1]]])
            .expect("two scalar players")
            .with_names(self.names.iter().map(|s| s.to_string()).collect())
    }

    fn losses(&self, params: &Params<B>) -> Vec<Tensor<B, 1>> {
        let p = burn::tensor::activation::sigmoid(params.flat(0, 0));
        let q = burn::tensor::activation::sigmoid(params.flat(1, 0));
        vec![
            expected(&self.loss_1, &p, &q),
            expected(&self.loss_2, &p, &q),
        ]
    }
}
