//! Games whose collective loss is not the sum of the players' losses (MATH.md §6's PPO game is
//! one): `ξ_c` and `H_c v` come from `Game::collective_loss`, `ξ` and `H v` stay as they were,
//! and the AgA direction is assembled from the right pieces. Closed forms throughout.

use aga::burn_backends::CpuF64;
use aga_burn::{
    Derivatives, Game, GameError, GameOptimizerConfig, HvpBackend, IdentityOutputs, ModuleLosses,
    ParamLayout, Params,
};
use aga_core::{direction, Method, RuleConfig};
use aga_testing::assert_close;
use burn::module::{Module, Param};
use burn::tensor::{backend::Backend, Tensor, TensorData};

const EXACT: f64 = 1e-12;

/// Two scalar players `x`, `y`: `l_1 = x² y`, `l_2 = y³ + x y`, and a collective loss of its
/// own, `l_c = sin x + x y²` (not `l_1 + l_2`).
struct OwnCollective {
    /// Declare the collective loss but return none (a broken game).
    broken: bool,
}

impl<B: Backend> Game<B> for OwnCollective {
    fn layout(&self) -> ParamLayout {
        ParamLayout::new(vec![vec![vec![1]], vec![vec![1]]]).unwrap()
    }

    fn losses(&self, p: &Params<B>) -> Vec<Tensor<B, 1>> {
        let (x, y) = (p.get::<1>(0, 0), p.get::<1>(1, 0));
        vec![
            x.clone() * x.clone() * y.clone(),
            y.clone().powi_scalar(3) + x * y,
        ]
    }

    fn has_collective_loss(&self) -> bool {
        true
    }

    fn collective_loss(&self, p: &Params<B>) -> Option<Tensor<B, 1>> {
        if self.broken {
            return None;
        }
        let (x, y) = (p.get::<1>(0, 0), p.get::<1>(1, 0));
        Some(x.clone().sin() + x * y.clone() * y)
    }
}

/// `(ξ, ξ_c, H, H_c)` at `(x, y)`.
type ClosedForm = ([f64; 2], [f64; 2], [[f64; 2]; 2], [[f64; 2]; 2]);

fn closed_form(x: f64, y: f64) -> ClosedForm {
    let xi = [2.0 * x * y, 3.0 * y * y + x];
    let xi_c = [x.cos() + y * y, 2.0 * x * y];
    // H: rows are ∇ of ξ_1 = 2xy and ξ_2 = 3y² + x.
    let h = [[2.0 * y, 2.0 * x], [1.0, 6.0 * y]];
    let hc = [[-x.sin(), 2.0 * y], [2.0 * y, 2.0 * x]];
    (xi, xi_c, h, hc)
}

fn matvec(m: &[[f64; 2]; 2], v: &[f64; 2]) -> Vec<f64> {
    vec![
        m[0][0] * v[0] + m[0][1] * v[1],
        m[1][0] * v[0] + m[1][1] * v[1],
    ]
}

const POINTS: [[f64; 2]; 4] = [[0.5, -0.7], [1.3, 0.4], [-2.0, 1.1], [0.0, 0.0]];

#[test]
fn collective_quantities_come_from_the_collective_loss() {
    for shared in [false, true] {
        let game = IdentityOutputs(OwnCollective { broken: false });
        let plain = OwnCollective { broken: false };
        for [x, y] in POINTS {
            let (xi, xi_c, h, hc) = closed_form(x, y);
            let check = |first: aga_burn::FirstOrder<CpuF64>| {
                assert_close(&first.xi.to_vec(), &xi, EXACT);
                assert_close(&first.xi_c.to_vec(), &xi_c, EXACT);
                assert_close(&first.losses, &[x * x * y, y.powi(3) + x * y], EXACT);
            };
            let v = [0.3, -1.7];
            if shared {
                let engine = Derivatives::<CpuF64, _>::new(&game, Default::default()).unwrap();
                let w = engine.point(&[x, y]).unwrap();
                check(engine.first_order(&w).unwrap());
                let fv = engine.vector("v", &v).unwrap();
                assert_close(
                    &engine.hvp(&w, &fv).unwrap().to_vec(),
                    &matvec(&h, &v),
                    EXACT,
                );
                assert_close(
                    &engine.hvp_collective(&w, &fv).unwrap().to_vec(),
                    &matvec(&hc, &v),
                    EXACT,
                );
                assert_eq!(
                    engine
                        .shared_forward_error(&w, &fv)
                        .unwrap()
                        .map(|e| e < EXACT),
                    Some(true)
                );
            } else {
                let engine = Derivatives::<CpuF64, _>::new(&plain, Default::default()).unwrap();
                let w = engine.point(&[x, y]).unwrap();
                check(engine.first_order(&w).unwrap());
                assert_close(&engine.xi_c(&w).unwrap().to_vec(), &xi_c, EXACT);
                let fv = engine.vector("v", &v).unwrap();
                assert_close(
                    &engine.hvp(&w, &fv).unwrap().to_vec(),
                    &matvec(&h, &v),
                    EXACT,
                );
                let ht = [[h[0][0], h[1][0]], [h[0][1], h[1][1]]];
                assert_close(
                    &engine.hvp_transpose(&w, &fv).unwrap().to_vec(),
                    &matvec(&ht, &v),
                    EXACT,
                );
                assert_close(
                    &engine.hvp_collective(&w, &fv).unwrap().to_vec(),
                    &matvec(&hc, &v),
                    EXACT,
                );
            }
        }
    }
}

#[test]
fn aga_uses_the_collective_loss() {
    let game = OwnCollective { broken: false };
    let engine = Derivatives::<CpuF64, _>::new(&game, Default::default()).unwrap();
    let lambda = 0.8;
    for [x, y] in POINTS {
        let (xi, xi_c, _, hc) = closed_form(x, y);
        let grad_h = matvec(&hc, &xi_c); // ∇ℋ_c = H_c ξ_c
        let dot = |a: &[f64], b: &[f64]| a.iter().zip(b).map(|(p, q)| p * q).sum::<f64>();
        let factor = dot(&xi_c, &grad_h) * (dot(&xi, &grad_h) + dot(&grad_h, &grad_h));
        let signed = if factor < 0.0 { -lambda } else { lambda };
        let expected: Vec<f64> = (0..2)
            .map(|k| xi_c[k] + signed * (xi[k] + grad_h[k]))
            .collect();
        let mut oracle = engine.oracle(engine.point(&[x, y]).unwrap()).unwrap();
        let rule = RuleConfig::new(Method::Aga).with_lambda(lambda);
        let d = direction(&rule, &mut oracle).unwrap();
        assert_close(&d.value.to_vec(), &expected, EXACT);
        assert_eq!(d.lambda, Some(signed));
    }
}

#[test]
fn a_declared_but_missing_collective_loss_is_an_error() {
    let game = OwnCollective { broken: true };
    let engine = Derivatives::<CpuF64, _>::new(&game, Default::default()).unwrap();
    let w = engine.point(&[0.5, 0.5]).unwrap();
    assert!(matches!(
        engine.first_order(&w),
        Err(GameError::MissingCollectiveLoss)
    ));
    assert!(matches!(
        engine.xi_c(&w),
        Err(GameError::MissingCollectiveLoss)
    ));
}

/// A scalar player as a Burn module.
#[derive(Module, Debug)]
struct Scalar<B: Backend> {
    w: Param<Tensor<B, 1>>,
}

fn scalar(v: f64) -> Scalar<HvpBackend<CpuF64>> {
    let device = Default::default();
    Scalar {
        w: Param::from_tensor(Tensor::from_data(TensorData::new(vec![v], [1]), &device)),
    }
}

/// The same game over modules, with `loss(player)` evaluating one player's loss alone.
struct ModuleOwnCollective;

impl ModuleLosses<HvpBackend<CpuF64>, Scalar<HvpBackend<CpuF64>>> for ModuleOwnCollective {
    fn losses(&self, p: &[Scalar<HvpBackend<CpuF64>>]) -> Vec<Tensor<HvpBackend<CpuF64>, 1>> {
        (0..2).map(|i| self.loss(i, p).unwrap()).collect()
    }

    fn loss(
        &self,
        player: usize,
        p: &[Scalar<HvpBackend<CpuF64>>],
    ) -> Option<Tensor<HvpBackend<CpuF64>, 1>> {
        let (x, y) = (p[0].w.val(), p[1].w.val());
        Some(match player {
            0 => x.clone() * x * y,
            _ => y.clone().powi_scalar(3) + x * y,
        })
    }

    fn has_collective_loss(&self) -> bool {
        true
    }

    fn collective_loss(
        &self,
        p: &[Scalar<HvpBackend<CpuF64>>],
    ) -> Option<Tensor<HvpBackend<CpuF64>, 1>> {
        let (x, y) = (p[0].w.val(), p[1].w.val());
        Some(x.clone().sin() + x * y.clone() * y)
    }
}

fn sgd() -> impl burn::optim::Optimizer<Scalar<HvpBackend<CpuF64>>, HvpBackend<CpuF64>> {
    burn::optim::SgdConfig::new().init()
}

#[test]
fn game_optimizer_sees_the_collective_loss_and_clips_each_player() {
    let [x, y] = [1.3, 0.4];
    let (xi, xi_c, _, _) = closed_form(x, y);
    let players = vec![scalar(x), scalar(y)];
    // Simul-Co descends ξ_c of the collective loss.
    let opt = GameOptimizerConfig::new(Method::Collective)
        .init(vec![sgd()])
        .unwrap();
    let adjusted = opt
        .adjusted_gradients::<CpuF64, _, _>(&players, &ModuleOwnCollective)
        .unwrap();
    let norm = |v: &[f64]| v.iter().map(|a| a * a).sum::<f64>().sqrt();
    assert_close(
        &[adjusted.diagnostics.xi_norm, adjusted.diagnostics.xi_c_norm],
        &[norm(&xi), norm(&xi_c)],
        EXACT,
    );
    assert_close(
        &adjusted.diagnostics.direction_norms,
        &[xi_c[0].abs(), xi_c[1].abs()],
        EXACT,
    );
    // With clipping at 0.5 each player's block is scaled to norm ≤ 0.5, one player at a time.
    let clipped = GameOptimizerConfig::new(Method::Collective)
        .with_max_grad_norm(Some(0.5))
        .init(vec![sgd()])
        .unwrap();
    let step = clipped
        .clone()
        .step::<CpuF64, _, _>(1.0, players, &ModuleOwnCollective)
        .unwrap();
    let moved: Vec<f64> = step
        .players
        .iter()
        .map(|p| p.w.val().into_data().to_vec::<f64>().unwrap()[0])
        .collect();
    let expected: Vec<f64> = [x, y]
        .iter()
        .zip(xi_c)
        .map(|(w, g)| w - g.clamp(-0.5, 0.5))
        .collect();
    assert_close(&moved, &expected, EXACT);
    assert!(GameOptimizerConfig::new(Method::Aga)
        .with_max_grad_norm(Some(f64::NAN))
        .init(vec![sgd()])
        .is_err());
}

/// With `diagnostics` off, a rule that does not need `ξ_c` (simgd) does not compute it for a
/// game whose `ξ_c` costs a pass of its own: `‖ξ_c‖` and `cos(ξ, ξ_c)` are NaN, everything
/// else is as with it on. AgA computes `ξ_c` anyway, so it reports both either way.
#[test]
fn diagnostics_off_skip_xi_c_only_where_the_rule_does_not_need_it() {
    let [x, y] = [1.3, 0.4];
    let (xi, xi_c, _, _) = closed_form(x, y);
    let norm = |v: &[f64]| v.iter().map(|a| a * a).sum::<f64>().sqrt();
    let cos = (xi[0] * xi_c[0] + xi[1] * xi_c[1]) / (norm(&xi) * norm(&xi_c));
    for (method, diagnostics, reports_xi_c) in [
        (Method::Simgd, false, false),
        (Method::Simgd, true, true),
        (Method::Aga, false, true),
    ] {
        let opt = GameOptimizerConfig::new(method)
            .with_diagnostics(diagnostics)
            .init(vec![sgd()])
            .unwrap();
        let adjusted = opt
            .adjusted_gradients::<CpuF64, _, _>(&[scalar(x), scalar(y)], &ModuleOwnCollective)
            .unwrap();
        let d = &adjusted.diagnostics;
        assert_close(&[d.xi_norm], &[norm(&xi)], EXACT);
        assert_close(&adjusted.losses, &[x * x * y, y * y * y + x * y], EXACT);
        if reports_xi_c {
            assert_close(&[d.xi_c_norm, d.cos_xi_xi_c], &[norm(&xi_c), cos], EXACT);
        } else {
            assert!(d.xi_c_norm.is_nan() && d.cos_xi_xi_c.is_nan(), "{d:?}");
        }
    }
}
