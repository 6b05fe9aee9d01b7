//! The tandem game (Letcher et al. 2019).

use aga_burn::{Game, ParamLayout, Params};
use burn::tensor::{backend::Backend, Tensor};

/// `l_1 = (x + y)² − 2x`, `l_2 = (x + y)² − 2y` over scalar players `x`, `y`.
///
/// Every point of the line `x + y = 1` is a fixed point; LOLA's "arrogant" shaping pulls
/// players off it, which SOS was designed to avoid. Layout: `(x, y)`, one scalar each.
#[derive(Debug, Clone, Copy, Default)]
pub struct Tandem;

impl Tandem {
    /// The losses in closed form.
    pub fn losses_f64(x: f64, y: f64) -> (f64, f64) {
        let s = (x + y) * (x + y);
        (s - 2.0 * x, s - 2.0 * y)
    }
}

impl<B: Backend> Game<B> for Tandem {
    fn layout(&self) -> ParamLayout {
        ParamLayout::new(vec![vec![vec![1]], vec![vec![1]]])
            .expect("two scalar players")
            .with_names(vec!["x".into(), "y".into()])
    }

    fn losses(&self, params: &Params<B>) -> Vec<Tensor<B, 1>> {
        let (x, y) = (params.flat(0, 0), params.flat(1, 0));
        let s = x.clone() + y.clone();
        let sq = s.clone() * s;
        vec![sq.clone() - x.mul_scalar(2.0), sq - y.mul_scalar(2.0)]
    }
}
