//! The toy game of the AgA paper (Li et al. 2024, Fig. 1; MATH.md §5).

use aga_burn::{Game, ParamLayout, Params};
use burn::tensor::{backend::Backend, Tensor};

/// Two players with scalar actions `a_1`, `a_2`:
///
/// `l_1 = −sin(a_1 a_2 + a_2²)`, `l_2 = −cos(1 + a_1 − (1 + a_2)² + a_1 a_2²)`.
///
/// Layout: player 1 owns `a_1` (shape `[1]`), player 2 owns `a_2`; flat order `(a_1, a_2)`.
/// Simgd, consensus and SGA end at unstable points or local maxima of the rewards, collective
/// descent ignores player 1's reward, and AgA reaches the collective optimum along the ridge of
/// player 1's reward.
#[derive(Debug, Clone, Copy, Default)]
pub struct Toy;

impl Toy {
    /// The losses in closed form, `(l_1, l_2)`, for tests and plots.
    pub fn losses_f64(a1: f64, a2: f64) -> (f64, f64) {
        (
            -(a1 * a2 + a2 * a2).sin(),
            -(1.0 + a1 - (1.0 + a2).powi(2) + a1 * a2 * a2).cos(),
        )
    }
}

impl<B: Backend> Game<B> for Toy {
    fn layout(&self) -> ParamLayout {
        ParamLayout::new(vec![vec![vec![1]], vec![vec![1]]])
            .expect("two scalar players")
            .with_names(vec!["a1".into(), "a2".into()])
    }

    fn losses(&self, p: &Params<B>) -> Vec<Tensor<B, 1>> {
        (0..2).filter_map(|i| self.loss(i, p)).collect()
    }

    fn loss(&self, player: usize, p: &Params<B>) -> Option<Tensor<B, 1>> {
        let a1 = p.flat(0, 0);
        let a2 = p.flat(1, 0);
        let a2_sq = a2.clone() * a2.clone();
        match player {
            // l_1 = −sin(a_1 a_2 + a_2²)
            0 => Some(-(a1 * a2 + a2_sq).sin()),
            // l_2 = −cos(1 + a_1 − (1 + a_2)² + a_1 a_2²)
            1 => {
                let one_plus_a2 = a2 + 1.0;
                let inner = (a1.clone() + 1.0) - one_plus_a2.clone() * one_plus_a2 + a1 * a2_sq;
                Some(-inner.cos())
            }
            _ => None,
        }
    }
}
