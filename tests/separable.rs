//! Separable games (`Game::is_separable`: each loss depends on its own player only, as
//! independent learners' losses do): `ξ`, `H v`, `Hᵀ v` and `ξ_c` from one pass of `Σ_i l_i`,
//! SGA without Hessian-vector products, with and without a collective loss of the game's own,
//! against closed forms; and `GameOptimizerConfig::diagnostics` off skips `ξ_c` where it
//! costs a pass of its own.

use aga::burn_backends::CpuF64;
use aga_burn::{Derivatives, Game, ParamLayout, Params};
use aga_core::{direction, GameOracle, Method, RuleConfig};
use aga_testing::assert_close;
use burn::tensor::{backend::Backend, Tensor};

const EXACT: f64 = 1e-12;

/// Player 1 holds `(x, u)`, player 2 holds `y`: `l_1 = x² u + sin x`, `l_2 = y³ − 2y`, and
/// (with `own_collective`) `l_c = x y + u²`. `separable` is what the game declares.
struct Split {
    separable: bool,
    own_collective: bool,
}

impl<B: Backend> Game<B> for Split {
    fn layout(&self) -> ParamLayout {
        ParamLayout::new(vec![vec![vec![2]], vec![vec![1]]]).unwrap()
    }

    fn losses(&self, p: &Params<B>) -> Vec<Tensor<B, 1>> {
        let w1 = p.get::<1>(0, 0);
        let (x, u) = (w1.clone().slice(0..1), w1.slice(1..2));
        let y = p.get::<1>(1, 0);
        vec![
            x.clone() * x.clone() * u + x.sin(),
            y.clone().powi_scalar(3) - y.mul_scalar(2.0),
        ]
    }

    fn is_separable(&self) -> bool {
        self.separable
    }

    fn has_collective_loss(&self) -> bool {
        self.own_collective
    }

    fn collective_loss(&self, p: &Params<B>) -> Option<Tensor<B, 1>> {
        let w1 = p.get::<1>(0, 0);
        let (x, u) = (w1.clone().slice(0..1), w1.slice(1..2));
        let y = p.get::<1>(1, 0);
        Some(x * y + u.clone() * u)
    }
}

/// `ξ` and the block-diagonal `H` at `(x, u, y)`.
fn closed_form(x: f64, u: f64, y: f64) -> ([f64; 3], [[f64; 3]; 3]) {
    let xi = [2.0 * x * u + x.cos(), x * x, 3.0 * y * y - 2.0];
    let h = [
        [2.0 * u - x.sin(), 2.0 * x, 0.0],
        [2.0 * x, 0.0, 0.0],
        [0.0, 0.0, 6.0 * y],
    ];
    (xi, h)
}

fn matvec(m: &[[f64; 3]; 3], v: &[f64]) -> Vec<f64> {
    m.iter()
        .map(|row| row.iter().zip(v).map(|(a, b)| a * b).sum())
        .collect()
}

const POINTS: [[f64; 3]; 3] = [[0.5, -0.7, 1.2], [1.3, 0.4, -0.3], [-2.0, 1.1, 0.0]];

#[test]
fn separable_derivatives_match_closed_forms() {
    for own_collective in [false, true] {
        let game = Split {
            separable: true,
            own_collective,
        };
        let engine = Derivatives::<CpuF64, _>::new(&game, Default::default()).unwrap();
        for [x, u, y] in POINTS {
            let (xi, h) = closed_form(x, u, y);
            let w = engine.point(&[x, u, y]).unwrap();
            let v = [0.3, -2.1, 0.8];
            let fv = engine.vector("v", &v).unwrap();
            let first = engine.first_order(&w).unwrap();
            assert_close(&first.xi.to_vec(), &xi, EXACT);
            assert_close(
                &first.losses,
                &[x * x * u + x.sin(), y * y * y - 2.0 * y],
                EXACT,
            );
            let xi_c = if own_collective {
                vec![y, 2.0 * u, x]
            } else {
                xi.to_vec()
            };
            assert_close(&first.xi_c.to_vec(), &xi_c, EXACT);
            assert_close(&engine.xi(&w).unwrap().to_vec(), &xi, EXACT);
            assert_close(
                &engine.hvp(&w, &fv).unwrap().to_vec(),
                &matvec(&h, &v),
                EXACT,
            );
            assert_close(
                &engine.hvp_transpose(&w, &fv).unwrap().to_vec(),
                &matvec(&h, &v),
                EXACT,
            );
        }
    }
}

/// SGA on a separable game is `ξ` (its `A` is zero); the general path, which takes `H ξ` and
/// `Hᵀ ξ`, gives the same direction to rounding, and so does consensus `ξ + λ Hᵀ ξ`.
#[test]
fn sga_and_consensus_agree_with_the_general_path() {
    let declared = Split {
        separable: true,
        own_collective: false,
    };
    let general = Split {
        separable: false,
        own_collective: false,
    };
    let a = Derivatives::<CpuF64, _>::new(&declared, Default::default()).unwrap();
    let b = Derivatives::<CpuF64, _>::new(&general, Default::default()).unwrap();
    for [x, u, y] in POINTS {
        let (xi, h) = closed_form(x, u, y);
        for method in [Method::Sga, Method::Consensus] {
            let rule = RuleConfig::new(method).with_lambda(0.7);
            let mut oa = a.oracle(a.point(&[x, u, y]).unwrap()).unwrap();
            let mut ob = b.oracle(b.point(&[x, u, y]).unwrap()).unwrap();
            assert!(oa.is_separable() && !ob.is_separable());
            let da = direction(&rule, &mut oa).unwrap();
            let db = direction(&rule, &mut ob).unwrap();
            let expected = match method {
                Method::Sga => xi.to_vec(),
                _ => xi
                    .iter()
                    .zip(matvec(&h, &xi))
                    .map(|(g, hg)| g + 0.7 * hg)
                    .collect(),
            };
            assert_close(&da.value.to_vec(), &expected, EXACT);
            assert_close(&db.value.to_vec(), &expected, EXACT);
            assert_eq!(da.lambda, db.lambda, "{method:?}");
        }
    }
}
