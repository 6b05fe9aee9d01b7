//! Test support for the `aga` workspace (not published, only a dev-dependency): a closed-form
//! oracle (quadratic games) and the one comparison helper every test uses.
//!
//! The comparison fails on NaN and infinity: a NaN anywhere in either vector makes the error
//! infinite, so a broken derivative can never pass as "close".
//!
//! Player `i` has loss `l_i(w) = ½ wᵀ Q_i w + b_iᵀ w` over the flat vector `w`, and owns the
//! coordinates in `blocks[i]`. All derivatives are exact matrix products, which makes this an
//! independent reference for the rules and for the Burn engine.

use aga_core::GameOracle;
use std::convert::Infallible;
use std::ops::Range;

/// A quadratic game with explicit (symmetric) matrices `Q_i` and vectors `b_i`.
#[derive(Debug, Clone)]
pub struct QuadraticGame {
    /// `Q_i`, each `d × d`, symmetric.
    pub q: Vec<Vec<Vec<f64>>>,
    /// `b_i`, each of length `d`.
    pub b: Vec<Vec<f64>>,
    /// The coordinates each player owns.
    pub blocks: Vec<Range<usize>>,
}

impl QuadraticGame {
    /// `l_1 = ½ x² + x y`, `l_2 = ½ y² − x y` over `(x, y)`.
    pub fn two_player_example() -> Self {
        Self {
            q: vec![
                vec![vec![1.0, 1.0], vec![1.0, 0.0]],
                vec![vec![0.0, -1.0], vec![-1.0, 1.0]],
            ],
            b: vec![vec![0.0, 0.0], vec![0.0, 0.0]],
            blocks: vec![0..1, 1..2],
        }
    }

    /// Number of parameters.
    pub fn dim(&self) -> usize {
        self.b[0].len()
    }

    /// Loss of each player at `w`.
    pub fn losses(&self, w: &[f64]) -> Vec<f64> {
        (0..self.q.len())
            .map(|i| 0.5 * dot(w, &matvec(&self.q[i], w)) + dot(&self.b[i], w))
            .collect()
    }

    /// The oracle at `w`.
    pub fn at(&self, w: Vec<f64>) -> QuadraticOracle<'_> {
        QuadraticOracle { game: self, w }
    }

    /// The game Hessian `H` (row `k` in block `i` is row `k` of `Q_i`).
    pub fn game_hessian(&self) -> Vec<Vec<f64>> {
        let d = self.dim();
        let mut h = vec![vec![0.0; d]; d];
        for (i, block) in self.blocks.iter().enumerate() {
            for k in block.clone() {
                h[k] = self.q[i][k].clone();
            }
        }
        h
    }

    /// The collective Hessian `H_c = Σ_i Q_i`.
    pub fn collective_hessian(&self) -> Vec<Vec<f64>> {
        let d = self.dim();
        let mut h = vec![vec![0.0; d]; d];
        for q in &self.q {
            for r in 0..d {
                for c in 0..d {
                    h[r][c] += q[r][c];
                }
            }
        }
        h
    }
}

/// [`QuadraticGame`]'s derivatives at one point.
#[derive(Debug)]
pub struct QuadraticOracle<'a> {
    game: &'a QuadraticGame,
    w: Vec<f64>,
}

impl GameOracle for QuadraticOracle<'_> {
    type Vector = Vec<f64>;
    type Error = Infallible;

    fn xi(&mut self) -> Result<Vec<f64>, Infallible> {
        let g = self.game;
        let mut xi = vec![0.0; g.dim()];
        for (i, block) in g.blocks.iter().enumerate() {
            let grad = matvec(&g.q[i], &self.w);
            for k in block.clone() {
                xi[k] = grad[k] + g.b[i][k];
            }
        }
        Ok(xi)
    }

    fn xi_c(&mut self) -> Result<Vec<f64>, Infallible> {
        let g = self.game;
        let mut xi_c = matvec(&g.collective_hessian(), &self.w);
        for b in &g.b {
            for (x, bk) in xi_c.iter_mut().zip(b) {
                *x += bk;
            }
        }
        Ok(xi_c)
    }

    fn hvp(&mut self, v: &Vec<f64>) -> Result<Vec<f64>, Infallible> {
        Ok(matvec(&self.game.game_hessian(), v))
    }

    fn hvp_transpose(&mut self, v: &Vec<f64>) -> Result<Vec<f64>, Infallible> {
        Ok(matvec(&transpose(&self.game.game_hessian()), v))
    }

    fn hvp_collective(&mut self, v: &Vec<f64>) -> Result<Vec<f64>, Infallible> {
        Ok(matvec(&self.game.collective_hessian(), v))
    }

    fn num_players(&self) -> usize {
        self.game.q.len()
    }

    fn project(&self, v: &Vec<f64>, player: usize) -> Vec<f64> {
        let block = &self.game.blocks[player];
        v.iter()
            .enumerate()
            .map(|(k, x)| if block.contains(&k) { *x } else { 0.0 })
            .collect()
    }

    fn losses(&mut self) -> Result<Vec<f64>, Infallible> {
        Ok(self.game.losses(&self.w))
    }

    fn loss_gradients(&mut self) -> Result<Vec<Vec<f64>>, Infallible> {
        let g = self.game;
        Ok((0..g.q.len())
            .map(|i| {
                matvec(&g.q[i], &self.w)
                    .iter()
                    .zip(&g.b[i])
                    .map(|(a, b)| a + b)
                    .collect()
            })
            .collect())
    }

    fn loss_hvps(&mut self, vs: &[Vec<f64>]) -> Result<Vec<Vec<f64>>, Infallible> {
        Ok(vs
            .iter()
            .zip(&self.game.q)
            .map(|(v, q)| matvec(q, v))
            .collect())
    }
}

/// Relative error `‖a − b‖_∞ / max(1, ‖b‖_∞)`, the tolerance measure of `aga`'s tests.
///
/// Returns `+∞` when the lengths differ or when any entry of `a` or `b` is NaN or infinite,
/// so that every comparison `rel_err(a, b) <= tol` fails on a non-finite value.
pub fn rel_err(a: &[f64], b: &[f64]) -> f64 {
    if a.len() != b.len() || a.iter().chain(b).any(|x| !x.is_finite()) {
        return f64::INFINITY;
    }
    let scale = b.iter().fold(1.0f64, |m, x| m.max(x.abs()));
    let worst = a
        .iter()
        .zip(b)
        .map(|(x, y)| (x - y).abs())
        .fold(0.0f64, |m, e| if e > m { e } else { m });
    worst / scale
}

/// Assert `rel_err(actual, expected) <= tol`, failing on NaN, infinity or a length mismatch.
///
/// # Panics
/// When the vectors are not close, with both printed.
#[track_caller]
pub fn assert_close(actual: &[f64], expected: &[f64], tol: f64) {
    let e = rel_err(actual, expected);
    assert!(
        e <= tol,
        "relative error {e:e} > {tol:e} (lengths {} and {})\n got:      {actual:?}\n expected: {expected:?}",
        actual.len(),
        expected.len()
    );
}

/// Assert that two scalars agree to `tol` relative to `max(1, |expected|)`; fails on NaN or
/// infinity.
#[track_caller]
pub fn assert_close_scalar(actual: f64, expected: f64, tol: f64) {
    assert_close(&[actual], &[expected], tol);
}

fn dot(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

fn matvec(m: &[Vec<f64>], v: &[f64]) -> Vec<f64> {
    m.iter().map(|row| dot(row, v)).collect()
}

fn transpose(m: &[Vec<f64>]) -> Vec<Vec<f64>> {
    let n = m.len();
    (0..n).map(|c| (0..n).map(|r| m[r][c]).collect()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn comparison_fails_on_nan_and_infinity() {
        assert_eq!(rel_err(&[1.0, 2.0], &[1.0, 2.0]), 0.0);
        assert!(rel_err(&[1.0, f64::NAN], &[1.0, 2.0]).is_infinite());
        assert!(rel_err(&[1.0, 2.0], &[f64::NAN, 2.0]).is_infinite());
        assert!(rel_err(&[f64::INFINITY], &[f64::INFINITY]).is_infinite());
        assert!(rel_err(&[1.0], &[1.0, 2.0]).is_infinite());
        // `f64::max` drops NaN: the old fold scored this 0, and `e <= tol` passed.
        let e = rel_err(&[f64::NAN], &[0.0]);
        assert!(e.partial_cmp(&1e-12) == Some(std::cmp::Ordering::Greater));
    }

    #[test]
    #[should_panic(expected = "relative error inf")]
    fn assert_close_panics_on_nan() {
        assert_close(&[f64::NAN, 1.0], &[0.0, 1.0], 1.0);
    }

    #[test]
    fn relative_to_the_larger_of_one_and_the_expected_norm() {
        assert!((rel_err(&[101.0], &[100.0]) - 0.01).abs() < 1e-15);
        assert!((rel_err(&[0.5], &[0.25]) - 0.25).abs() < 1e-15);
    }
}
