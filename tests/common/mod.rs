//! Shared helpers for the integration tests: closed forms and finite differences.
#![allow(dead_code)]

use aga::burn_backends::CpuF64;
use aga_burn::FlatTensor;
#[allow(unused_imports)]
pub use aga_testing::{assert_close, rel_err};

pub mod cli;
pub mod in_process;

/// Closed-form derivatives of the toy game (MATH.md §5).
pub mod toy {
    /// `(∇l_1, ∇l_2)` at `(a1, a2)`.
    pub fn grads(a1: f64, a2: f64) -> ([f64; 2], [f64; 2]) {
        let u = a1 * a2 + a2 * a2;
        let du = [a2, a1 + 2.0 * a2];
        let v = 1.0 + a1 - (1.0 + a2).powi(2) + a1 * a2 * a2;
        let dv = [1.0 + a2 * a2, -2.0 * (1.0 + a2) + 2.0 * a1 * a2];
        (
            [-u.cos() * du[0], -u.cos() * du[1]],
            [v.sin() * dv[0], v.sin() * dv[1]],
        )
    }

    /// `(∇²l_1, ∇²l_2)` at `(a1, a2)`.
    pub fn hessians(a1: f64, a2: f64) -> ([[f64; 2]; 2], [[f64; 2]; 2]) {
        let u = a1 * a2 + a2 * a2;
        let du = [a2, a1 + 2.0 * a2];
        let d2u = [[0.0, 1.0], [1.0, 2.0]];
        let v = 1.0 + a1 - (1.0 + a2).powi(2) + a1 * a2 * a2;
        let dv = [1.0 + a2 * a2, -2.0 * (1.0 + a2) + 2.0 * a1 * a2];
        let d2v = [[0.0, 2.0 * a2], [2.0 * a2, -2.0 + 2.0 * a1]];
        let mut h1 = [[0.0; 2]; 2];
        let mut h2 = [[0.0; 2]; 2];
        for r in 0..2 {
            for c in 0..2 {
                h1[r][c] = u.sin() * du[r] * du[c] - u.cos() * d2u[r][c];
                h2[r][c] = v.cos() * dv[r] * dv[c] + v.sin() * d2v[r][c];
            }
        }
        (h1, h2)
    }

    /// The game Hessian `H` (row 0 from `∇²l_1`, row 1 from `∇²l_2`).
    pub fn game_hessian(a1: f64, a2: f64) -> [[f64; 2]; 2] {
        let (h1, h2) = hessians(a1, a2);
        [h1[0], h2[1]]
    }

    /// The collective Hessian `H_c`.
    pub fn collective_hessian(a1: f64, a2: f64) -> [[f64; 2]; 2] {
        let (h1, h2) = hessians(a1, a2);
        [
            [h1[0][0] + h2[0][0], h1[0][1] + h2[0][1]],
            [h1[1][0] + h2[1][0], h1[1][1] + h2[1][1]],
        ]
    }

    /// `(ξ, ξ_c)`.
    pub fn xi(a1: f64, a2: f64) -> ([f64; 2], [f64; 2]) {
        let (g1, g2) = grads(a1, a2);
        ([g1[0], g2[1]], [g1[0] + g2[0], g1[1] + g2[1]])
    }
}

pub fn matvec(m: &[[f64; 2]; 2], v: &[f64]) -> Vec<f64> {
    vec![
        m[0][0] * v[0] + m[0][1] * v[1],
        m[1][0] * v[0] + m[1][1] * v[1],
    ]
}

pub fn transpose(m: &[[f64; 2]; 2]) -> [[f64; 2]; 2] {
    [[m[0][0], m[1][0]], [m[0][1], m[1][1]]]
}

pub fn dot(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

/// Central differences of `ξ` and `ξ_c` along `v`: `(ξ(w + hv) − ξ(w − hv)) / 2h ≈ H v`.
pub fn fd_jvps<G>(
    engine: &aga_burn::Derivatives<'_, CpuF64, G>,
    w: &[f64],
    v: &[f64],
    h: f64,
) -> (Vec<f64>, Vec<f64>)
where
    G: aga_burn::Game<aga_burn::HvpBackend<CpuF64>>,
{
    let at = |s: f64| {
        let p: Vec<f64> = w.iter().zip(v).map(|(a, b)| a + s * b).collect();
        engine.first_order(&engine.point(&p).unwrap()).unwrap()
    };
    let (plus, minus) = (at(h), at(-h));
    let diff = |a: &FlatTensor<CpuF64>, b: &FlatTensor<CpuF64>| -> Vec<f64> {
        a.to_vec()
            .iter()
            .zip(b.to_vec())
            .map(|(x, y)| (x - y) / (2.0 * h))
            .collect()
    };
    (diff(&plus.xi, &minus.xi), diff(&plus.xi_c, &minus.xi_c))
}
