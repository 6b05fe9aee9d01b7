//! LA, LOLA and SOS through the Burn engine on matching pennies and the tandem game, against
//! hand-computed directions; SVO shaping on the public goods game against finite differences.

use crate::common;

use aga::burn_backends::CpuF64;
use aga_burn::Derivatives;
use aga_core::{direction, GameOracle, Method, RuleConfig, ShapedOracle, Svo};
use aga_games::{MatrixGame, PublicGoods, Tandem};
use common::assert_close;

fn sigmoid(x: f64) -> f64 {
    1.0 / (1.0 + (-x).exp())
}

#[test]
fn matching_pennies_la_lola_sos_by_hand() {
    // p = σ(x), q = σ(y), s(t) = σ(t)(1 − σ(t)); l_1 = (2p − 1)(2q − 1) = −l_2.
    // ξ = (2 s(x)(2q − 1), −2 s(y)(2p − 1)); ∂²l_1/∂x∂y = 4 s(x) s(y) =: c = −∂²l_2/∂x∂y.
    // g_12 = ∂l_1/∂y = 2 s(y)(2p − 1), g_21 = ∂l_2/∂x = −2 s(x)(2q − 1).
    // LA = (ξ_1 − α c ξ_2, ξ_2 + α c ξ_1); χ = (−c g_12, c g_21); LOLA = LA − α χ.
    let game = MatrixGame::matching_pennies();
    let engine = Derivatives::<CpuF64, _>::new(&game, Default::default()).unwrap();
    let s = |t: f64| sigmoid(t) * (1.0 - sigmoid(t));
    for (x, y, alpha) in [(0.8, -0.3, 1.0), (-1.2, 0.4, 0.3), (0.05, 0.02, 1.0)] {
        let (p, q) = (sigmoid(x), sigmoid(y));
        let xi = [2.0 * s(x) * (2.0 * q - 1.0), -2.0 * s(y) * (2.0 * p - 1.0)];
        let c = 4.0 * s(x) * s(y);
        let la = [xi[0] - alpha * c * xi[1], xi[1] + alpha * c * xi[0]];
        let chi = [
            -c * 2.0 * s(y) * (2.0 * p - 1.0),
            c * -2.0 * s(x) * (2.0 * q - 1.0),
        ];
        let lola = [la[0] - alpha * chi[0], la[1] - alpha * chi[1]];
        let dot = |a: &[f64; 2], b: &[f64; 2]| a[0] * b[0] + a[1] * b[1];
        let shaping_dot = -alpha * dot(&chi, &la);
        let p1 = if shaping_dot >= 0.0 {
            1.0
        } else {
            (-0.5 * dot(&la, &la) / shaping_dot).min(1.0)
        };
        let xi_norm = dot(&xi, &xi).sqrt();
        let p = p1.min(if xi_norm < 0.1 {
            xi_norm * xi_norm
        } else {
            1.0
        });
        let sos = [la[0] - p * alpha * chi[0], la[1] - p * alpha * chi[1]];
        let run = |method| {
            let rule = RuleConfig::new(method).with_alpha(alpha);
            let mut oracle = engine.oracle(engine.point(&[x, y]).unwrap()).unwrap();
            direction(&rule, &mut oracle).unwrap()
        };
        assert_close(&run(Method::La).value.to_vec(), &la, 1e-14);
        assert_close(&run(Method::Lola).value.to_vec(), &lola, 1e-14);
        let d = run(Method::Sos);
        assert_close(&d.value.to_vec(), &sos, 1e-14);
        assert!((d.sos_p.unwrap() - p).abs() < 1e-14);
    }
}

#[test]
fn tandem_through_burn_matches_the_closed_form_rules() {
    // Tandem (see aga-core's tests): LA_i = (2s − 2)(1 − 2α), LOLA_i = LA_i − 4αs, s = x + y.
    let engine = Derivatives::<CpuF64, _>::new(&Tandem, Default::default()).unwrap();
    for (x, y, alpha) in [(1.0, 1.0, 0.1), (-0.4, 0.9, 0.25)] {
        let s = x + y;
        let la = (2.0 * s - 2.0) * (1.0 - 2.0 * alpha);
        let lola = la - 4.0 * alpha * s;
        for (method, want) in [(Method::La, la), (Method::Lola, lola)] {
            let rule = RuleConfig::new(method).with_alpha(alpha);
            let mut oracle = engine.oracle(engine.point(&[x, y]).unwrap()).unwrap();
            let got = direction(&rule, &mut oracle).unwrap().value.to_vec();
            assert_close(&got, &[want, want], 1e-14);
        }
    }
}

#[test]
fn svo_on_public_goods_through_burn_matches_finite_differences() {
    let game = PublicGoods::new(3, 2.0).unwrap();
    let engine = Derivatives::<CpuF64, _>::new(&game, Default::default()).unwrap();
    let svo = Svo {
        angle: std::f64::consts::FRAC_PI_4,
        weight: 2.0,
    };
    let shaped_losses = |w: &[f64]| -> Vec<f64> {
        let mut o = ShapedOracle::new(engine.oracle(engine.point(w).unwrap()).unwrap(), svo);
        o.losses().unwrap()
    };
    let w = [0.4, -1.1, 0.9];
    let mut oracle = ShapedOracle::new(engine.oracle(engine.point(&w).unwrap()).unwrap(), svo);
    let xi = oracle.xi().unwrap().to_vec();
    let h = 1e-6;
    for k in 0..3 {
        let (mut a, mut b) = (w, w);
        a[k] += h;
        b[k] -= h;
        let fd = (shaped_losses(&a)[k] - shaped_losses(&b)[k]) / (2.0 * h);
        assert!(
            (xi[k] - fd).abs() < 1e-8,
            "coordinate {k}: {} vs {fd}",
            xi[k]
        );
    }
    // AgA on the shaped game runs and its direction is finite.
    let d = direction(&RuleConfig::new(Method::Aga), &mut oracle).unwrap();
    assert!(d.value.to_vec().iter().all(|x| x.is_finite()));
}
