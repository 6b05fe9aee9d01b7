//! The fixed-point analysis: dense `H`, `H_c` from HVPs against closed-form quadratic games,
//! and the classification of minima, maxima, saddles and non-fixed points (MATH.md §3).

use crate::common;

use aga::analysis::{analyse, PointClass, Tolerances};
use aga::burn_backends::CpuF64;
use aga_burn::{Derivatives, Game, ParamLayout, Params};
use aga_testing::QuadraticGame;
use burn::tensor::{backend::Backend, Tensor, TensorData};
use common::assert_close;

/// A [`QuadraticGame`] as Burn code: `l_i = ½ wᵀ Q_i w + b_iᵀ w`, player `i` owning `blocks[i]`.
struct Quadratic(QuadraticGame);

impl<B: Backend> Game<B> for Quadratic {
    fn layout(&self) -> ParamLayout {
        ParamLayout::new(self.0.blocks.iter().map(|b| vec![vec![b.len()]]).collect()).unwrap()
    }

    fn losses(&self, p: &Params<B>) -> Vec<Tensor<B, 1>> {
        let n = self.0.blocks.len();
        let w = Tensor::cat((0..n).map(|i| p.flat(i, 0)).collect(), 0);
        let d = w.dims()[0];
        let device = w.device();
        (0..n)
            .map(|i| {
                let q: Vec<f64> = self.0.q[i].iter().flatten().copied().collect();
                let q = Tensor::<B, 2>::from_data(TensorData::new(q, [d, d]), &device);
                let b =
                    Tensor::<B, 1>::from_data(TensorData::new(self.0.b[i].clone(), [d]), &device);
                let qw = q.matmul(w.clone().reshape([d, 1])).reshape([d]);
                (w.clone() * qw).sum().mul_scalar(0.5) + (b * w.clone()).sum()
            })
            .collect()
    }
}

fn diagonal_game(q1: [f64; 2], q2: [f64; 2]) -> Quadratic {
    Quadratic(QuadraticGame {
        q: vec![
            vec![vec![q1[0], 0.0], vec![0.0, q1[1]]],
            vec![vec![q2[0], 0.0], vec![0.0, q2[1]]],
        ],
        b: vec![vec![0.0; 2]; 2],
        blocks: vec![0..1, 1..2],
    })
}

fn classes(game: &Quadratic, at: &[f64]) -> (PointClass, PointClass) {
    let engine = Derivatives::<CpuF64, _>::new(game, Default::default()).unwrap();
    let a = analyse(&engine, at, Tolerances::default()).unwrap();
    (a.class, a.class_c)
}

#[test]
fn minimum_maximum_saddle_and_mixed_points() {
    use PointClass::*;
    // H takes row i from Q_i: H = diag(1, 2); H_c = Q_1 + Q_2 = diag(2, 4).
    assert_eq!(
        classes(&diagonal_game([1.0, 2.0], [1.0, 2.0]), &[0.0, 0.0]),
        (Stable, Stable)
    );
    assert_eq!(
        classes(&diagonal_game([-1.0, -2.0], [-1.0, -2.0]), &[0.0, 0.0]),
        (Unstable, Unstable)
    );
    assert_eq!(
        classes(&diagonal_game([1.0, -2.0], [1.0, -2.0]), &[0.0, 0.0]),
        (Saddle, Saddle)
    );
    // Each player at the minimum of its own loss (H = I, stable) while l_c = −2x² − 2y² is at
    // a maximum: the game and the collective objective disagree.
    assert_eq!(
        classes(&diagonal_game([1.0, -5.0], [-5.0, 1.0]), &[0.0, 0.0]),
        (Stable, Unstable)
    );
    // Away from the origin neither gradient vanishes.
    assert_eq!(
        classes(&diagonal_game([1.0, 2.0], [1.0, 2.0]), &[0.1, 0.0]),
        (NotFixed, NotFixed)
    );
    // A singular H with S ⪰ 0 is not stable: degenerate, reported as a saddle.
    assert_eq!(
        classes(&diagonal_game([1.0, 0.0], [1.0, 0.0]), &[0.0, 0.0]).0,
        Saddle
    );
}

#[test]
fn dense_hessians_match_the_closed_form_on_a_three_player_game() {
    let q = |a: [[f64; 4]; 4]| a.iter().map(|r| r.to_vec()).collect::<Vec<_>>();
    let game = QuadraticGame {
        q: vec![
            q([
                [1.0, 0.5, -0.3, 0.2],
                [0.5, 0.2, 0.7, 0.0],
                [-0.3, 0.7, -0.4, 0.1],
                [0.2, 0.0, 0.1, 0.3],
            ]),
            q([
                [0.3, -1.1, 0.2, 0.4],
                [-1.1, 2.0, 0.6, -0.2],
                [0.2, 0.6, 0.1, 0.5],
                [0.4, -0.2, 0.5, 0.9],
            ]),
            q([
                [-0.5, 0.4, 0.9, 0.0],
                [0.4, 0.3, -0.8, 0.6],
                [0.9, -0.8, 1.5, -0.7],
                [0.0, 0.6, -0.7, 1.2],
            ]),
        ],
        b: vec![
            vec![0.1, -0.2, 0.3, 0.0],
            vec![0.0, 0.4, -0.1, 0.2],
            vec![-0.3, 0.2, 0.5, 0.1],
        ],
        blocks: vec![0..2, 2..3, 3..4],
    };
    let burn_game = Quadratic(game.clone());
    let engine = Derivatives::<CpuF64, _>::new(&burn_game, Default::default()).unwrap();
    let w = [0.3, -0.7, 1.1, 0.4];
    let a = analyse(&engine, &w, Tolerances::default()).unwrap();
    for (got, want) in a.h.iter().zip(game.game_hessian()) {
        assert_close(got, &want, 1e-14);
    }
    for (got, want) in a.h_c.iter().zip(game.collective_hessian()) {
        assert_close(got, &want, 1e-14);
    }
    // Eigenvalues of S: their sum is the trace of H, and they come sorted.
    let trace: f64 = (0..4).map(|k| a.h[k][k]).sum();
    assert!((a.eig_s.iter().sum::<f64>() - trace).abs() < 1e-12);
    assert!(a.eig_s.windows(2).all(|p| p[0] <= p[1]));
    let trace_c: f64 = (0..4).map(|k| a.h_c[k][k]).sum();
    assert!((a.eig_h_c.iter().sum::<f64>() - trace_c).abs() < 1e-12);
    assert_eq!(a.class, PointClass::NotFixed);
}
