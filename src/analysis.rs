//! Fixed-point analysis (MATH.md §3): dense `H` and `H_c` built column by column from exact
//! Hessian-vector products, their spectra, and a classification of the point.
//!
//! **Tolerances.** A point is a fixed point of the game when `‖ξ‖_∞ ≤ gradient_tol` (of the
//! collective loss when `‖ξ_c‖_∞ ≤ gradient_tol`); default `1e-6`, so that the end of a
//! finite gradient-descent run still counts. An eigenvalue counts as zero when its magnitude is
//! at most `eigen_tol · max(1, ‖M‖_max)` for the matrix `M` it belongs to; default `1e-9`.
//!
//! **Classes.** For the game (`class`): `stable` when the symmetric part `S` of `H` is positive
//! semi-definite and `H` is invertible (smallest singular value above the eigenvalue
//! tolerance); `unstable` when `S` is negative definite (`H ≺ 0`); otherwise `saddle` (this
//! includes degenerate points). For the collective loss (`class_c`): `stable` when `H_c` is
//! positive definite (a strict local minimum of `l_c`), `unstable` when negative definite (a
//! local maximum), otherwise `saddle`. A point that is not fixed is `not-fixed`.

use aga_burn::{Derivatives, Game, GameError, HvpBackend};
use burn::tensor::backend::Backend;
use nalgebra::DMatrix;
use serde::{Deserialize, Serialize};
use std::fmt;

/// The largest `d` the dense analysis accepts (it takes `2d` Hessian-vector products and
/// stores two `d × d` matrices).
pub const MAX_DENSE_DIM: usize = 2000;

/// What kind of point this is, for the game or for the collective loss.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum PointClass {
    /// A stable fixed point.
    Stable,
    /// An unstable fixed point.
    Unstable,
    /// A fixed point that is neither (mixed or degenerate curvature).
    Saddle,
    /// The gradient does not vanish here.
    NotFixed,
}

impl PointClass {
    /// The name used in JSON and tables.
    pub fn name(self) -> &'static str {
        match self {
            PointClass::Stable => "stable",
            PointClass::Unstable => "unstable",
            PointClass::Saddle => "saddle",
            PointClass::NotFixed => "not-fixed",
        }
    }
}

impl fmt::Display for PointClass {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// The tolerances of the classification (see the module documentation).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Tolerances {
    /// A gradient vanishes when its largest entry is at most this.
    pub gradient: f64,
    /// Relative tolerance under which an eigenvalue or singular value counts as zero.
    pub eigen: f64,
}

impl Default for Tolerances {
    fn default() -> Self {
        Self {
            gradient: 1e-6,
            eigen: 1e-9,
        }
    }
}

/// The full analysis of one point, as `aga hessian --json` prints it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FixedPointAnalysis {
    /// `ξ`.
    pub xi: Vec<f64>,
    /// `ξ_c`.
    pub xi_c: Vec<f64>,
    /// The game Hessian `H`, row by row (`h[r][c] = ∂ξ_r/∂w_c`).
    pub h: Vec<Vec<f64>>,
    /// The collective Hessian `H_c`, row by row.
    pub h_c: Vec<Vec<f64>>,
    /// Eigenvalues of `S = (H + Hᵀ)/2`, ascending.
    pub eig_s: Vec<f64>,
    /// Eigenvalues of `H_c`, ascending.
    pub eig_h_c: Vec<f64>,
    /// The class of the point for the game.
    pub class: PointClass,
    /// The class of the point for the collective loss.
    pub class_c: PointClass,
}

/// Why an analysis could not be made.
#[derive(Debug, thiserror::Error)]
pub enum AnalysisError {
    /// The game failed to evaluate.
    #[error(transparent)]
    Game(#[from] GameError),
    /// Too many parameters for dense matrices.
    #[error("the dense Hessian analysis supports at most {max} parameters, the game has {got}; for larger games use Hessian-vector products (aga_burn::Derivatives::hvp, hvp_collective) instead of dense matrices")]
    TooLarge {
        /// The limit.
        max: usize,
        /// The game's `d`.
        got: usize,
    },
    /// A Hessian entry is NaN or infinite.
    #[error("the Hessian at this point has non-finite entries")]
    NonFinite,
}

/// Analyse the point `w` of the game behind `engine`.
pub fn analyse<B, G>(
    engine: &Derivatives<'_, B, G>,
    w: &[f64],
    tol: Tolerances,
) -> Result<FixedPointAnalysis, AnalysisError>
where
    B: Backend,
    G: Game<HvpBackend<B>> + ?Sized,
{
    let d = engine.layout().dim();
    if d > MAX_DENSE_DIM {
        return Err(AnalysisError::TooLarge {
            max: MAX_DENSE_DIM,
            got: d,
        });
    }
    let point = engine.point(w)?;
    let first = engine.first_order(&point)?;
    let mut h = DMatrix::<f64>::zeros(d, d);
    let mut h_c = DMatrix::<f64>::zeros(d, d);
    let mut e = vec![0.0; d];
    for k in 0..d {
        e[k] = 1.0;
        let v = engine.vector("e_k", &e)?;
        let column = engine.hvp(&point, &v)?.to_vec();
        let column_c = engine.hvp_collective(&point, &v)?.to_vec();
        for r in 0..d {
            h[(r, k)] = column[r];
            h_c[(r, k)] = column_c[r];
        }
        e[k] = 0.0;
    }
    if h.iter().chain(h_c.iter()).any(|x| !x.is_finite()) {
        return Err(AnalysisError::NonFinite);
    }
    let xi = first.xi.to_vec();
    let xi_c = first.xi_c.to_vec();
    Ok(classify(xi, xi_c, h, h_c, tol))
}

/// Classify a point from its gradients and dense Hessians.
pub fn classify(
    xi: Vec<f64>,
    xi_c: Vec<f64>,
    h: DMatrix<f64>,
    h_c: DMatrix<f64>,
    tol: Tolerances,
) -> FixedPointAnalysis {
    let s = (&h + h.transpose()) * 0.5;
    // H_c is symmetric in exact arithmetic; symmetrise away rounding before the eigensolver.
    let h_c_sym = (&h_c + h_c.transpose()) * 0.5;
    let eig_s = sorted_eigenvalues(s);
    let eig_h_c = sorted_eigenvalues(h_c_sym);
    let scale = |m: &DMatrix<f64>| tol.eigen * m.amax().max(1.0);
    let (zero_h, zero_c) = (scale(&h), scale(&h_c));
    let vanishes = |g: &[f64]| g.iter().all(|x| x.abs() <= tol.gradient);

    let class = if !vanishes(&xi) {
        PointClass::NotFixed
    } else if eig_s.iter().all(|&l| l < -zero_h) {
        PointClass::Unstable
    } else if eig_s.iter().all(|&l| l >= -zero_h)
        && h.clone().svd(false, false).singular_values.min() > zero_h
    {
        PointClass::Stable
    } else {
        PointClass::Saddle
    };
    let class_c = if !vanishes(&xi_c) {
        PointClass::NotFixed
    } else if eig_h_c.iter().all(|&l| l > zero_c) {
        PointClass::Stable
    } else if eig_h_c.iter().all(|&l| l < -zero_c) {
        PointClass::Unstable
    } else {
        PointClass::Saddle
    };
    let rows = |m: &DMatrix<f64>| -> Vec<Vec<f64>> {
        (0..m.nrows())
            .map(|r| m.row(r).iter().copied().collect())
            .collect()
    };
    FixedPointAnalysis {
        xi,
        xi_c,
        h: rows(&h),
        h_c: rows(&h_c),
        eig_s,
        eig_h_c,
        class,
        class_c,
    }
}

fn sorted_eigenvalues(m: DMatrix<f64>) -> Vec<f64> {
    let mut values: Vec<f64> = m.symmetric_eigen().eigenvalues.iter().copied().collect();
    values.sort_by(f64::total_cmp);
    values
}
