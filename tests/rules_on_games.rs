//! The rules through the Burn engine: hand-computed directions on the toy game (from its
//! closed-form derivatives), and the dynamics the literature reports on the bilinear game.

use crate::common;

use aga::burn_backends::CpuF64;
use aga_burn::{Derivatives, FlatTensor};
use aga_core::{descend, direction, GameVector, Method, RuleConfig};
use aga_games::{Bilinear, Toy};
use common::{assert_close, dot, matvec, toy, transpose};

fn sgn(x: f64) -> f64 {
    if x < 0.0 {
        -1.0
    } else {
        1.0
    }
}

/// The direction of every rule at `(a1, a2)`, from the closed-form derivatives, written out
/// independently of `aga-core`.
fn expected(rule: &RuleConfig, a1: f64, a2: f64) -> (Vec<f64>, Option<f64>) {
    let (xi, xi_c) = toy::xi(a1, a2);
    let h = toy::game_hessian(a1, a2);
    let hc = toy::collective_hessian(a1, a2);
    let l = rule.lambda;
    let comb = |a: &[f64], s: f64, b: &[f64]| vec![a[0] + s * b[0], a[1] + s * b[1]];
    match rule.method {
        Method::Simgd => (xi.to_vec(), None),
        Method::Collective => (xi_c.to_vec(), None),
        Method::Consensus => (comb(&xi, l, &matvec(&transpose(&h), &xi)), Some(l)),
        Method::Sga => {
            let ht_xi = matvec(&transpose(&h), &xi);
            let h_xi = matvec(&h, &xi);
            let at_xi = vec![0.5 * (ht_xi[0] - h_xi[0]), 0.5 * (ht_xi[1] - h_xi[1])];
            let l = if rule.align {
                l.abs() * sgn(dot(&xi, &ht_xi) * dot(&at_xi, &ht_xi) / 2.0 + 0.1)
            } else {
                l
            };
            (comb(&xi, l, &at_xi), Some(l))
        }
        Method::Aga => {
            let g = matvec(&hc, &xi_c);
            let l = if rule.align {
                l.abs() * sgn(dot(&xi_c, &g) * (dot(&xi, &g) + dot(&g, &g)))
            } else {
                l
            };
            (comb(&xi_c, l, &[xi[0] + g[0], xi[1] + g[1]]), Some(l))
        }
        Method::La | Method::Lola | Method::Sos => {
            // Scalar players: LA_i = ξ_i − α ∂²l_i/∂a_i∂a_j ξ_j,
            // χ_i = ∂²l_j/∂a_i∂a_j · ∂l_i/∂a_j.
            let (g1, g2) = toy::grads(a1, a2);
            let (h1, h2) = toy::hessians(a1, a2);
            let a = rule.alpha;
            let la = [xi[0] - a * h1[0][1] * xi[1], xi[1] - a * h2[1][0] * xi[0]];
            let chi = [h2[0][1] * g1[1], h1[1][0] * g2[0]];
            let p = match rule.method {
                Method::La => 0.0,
                Method::Lola => 1.0,
                _ => {
                    let shaping_dot = -a * dot(&chi, &la);
                    let p1 = if shaping_dot >= 0.0 {
                        1.0
                    } else {
                        (-rule.sos_a * dot(&la, &la) / shaping_dot).min(1.0)
                    };
                    let p2 = if dot(&xi, &xi).sqrt() < rule.sos_b {
                        dot(&xi, &xi)
                    } else {
                        1.0
                    };
                    p1.min(p2)
                }
            };
            (comb(&la, -p * a, &chi), None)
        }
    }
}

#[test]
fn every_rule_matches_hand_computation_on_the_toy_game() {
    let engine = Derivatives::<CpuF64, _>::new(&Toy, Default::default()).unwrap();
    let points = [
        [0.5, 0.5],
        [-1.3, 0.7],
        [1.9, -1.2],
        [-0.4, -1.6],
        [1.1, 1.4],
        [0.0, 0.0],
    ];
    let mut signs_seen = std::collections::HashSet::new();
    for [a1, a2] in points {
        for method in Method::ALL {
            for (lambda, align) in [(1.0, true), (-0.5, true), (0.3, false), (-2.0, false)] {
                let rule = RuleConfig::new(method)
                    .with_lambda(lambda)
                    .with_align(align)
                    .with_alpha(0.5 + lambda.abs());
                let mut oracle = engine.oracle(engine.point(&[a1, a2]).unwrap()).unwrap();
                let got = direction(&rule, &mut oracle).unwrap();
                let (want, want_lambda) = expected(&rule, a1, a2);
                assert_close(&got.value.to_vec(), &want, 1e-12);
                assert_eq!(got.lambda, want_lambda, "{method} at ({a1}, {a2})");
                if align && matches!(method, Method::Aga | Method::Sga) {
                    signs_seen.insert((method, want_lambda.unwrap() > 0.0));
                }
            }
        }
    }
    // The points exercise both signs of both alignment rules.
    assert_eq!(signs_seen.len(), 4, "{signs_seen:?}");
}

fn norm_after(method: Method, steps: usize) -> f64 {
    let game = Bilinear::parse("1,0.5;-0.3,2").unwrap();
    let engine = Derivatives::<CpuF64, _>::new(&game, Default::default()).unwrap();
    let w0 = engine.point(&[1.0, -0.5, 0.5, 1.0]).unwrap();
    let w = descend(
        &RuleConfig::new(method),
        0.05,
        steps,
        w0,
        |w: &FlatTensor<CpuF64>| engine.oracle(w.clone()),
        |_| Ok(()),
    )
    .unwrap();
    w.norm_sq().sqrt()
}

#[test]
fn bilinear_dynamics_simgd_diverges_consensus_and_sga_converge() {
    let start = (1.0f64 + 0.25 + 0.25 + 1.0).sqrt();
    let simgd = norm_after(Method::Simgd, 300);
    assert!(
        simgd > 1.5 * start,
        "simgd should spiral outward: |w| = {simgd}"
    );
    for method in [Method::Consensus, Method::Sga] {
        let norm = norm_after(method, 300);
        assert!(
            norm < 1e-3 * start,
            "{method} should converge to 0: |w| = {norm}"
        );
    }
}
