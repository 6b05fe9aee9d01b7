//! LA, LOLA and SOS against hand-computed directions, and SVO loss shaping against finite
//! differences of the shaped losses.

use aga_core::{
    direction, la, lola, sos, ConfigError, GameOracle, LossShaping, Method, RuleConfig, RuleError,
    ShapedOracle, ShapingError, Svo,
};
use aga_testing::{rel_err, QuadraticGame};

/// The tandem game (Letcher et al. 2019): `l_1 = (x+y)² − 2x`, `l_2 = (x+y)² − 2y`.
fn tandem() -> QuadraticGame {
    QuadraticGame {
        q: vec![
            vec![vec![2.0, 2.0], vec![2.0, 2.0]],
            vec![vec![2.0, 2.0], vec![2.0, 2.0]],
        ],
        b: vec![vec![-2.0, 0.0], vec![0.0, -2.0]],
        blocks: vec![0..1, 1..2],
    }
}

fn close(a: &[f64], b: &[f64], tol: f64) {
    assert!(rel_err(a, b) <= tol, "{a:?} vs {b:?}");
}

#[test]
fn tandem_look_ahead_lola_and_sos_by_hand() {
    // With s = x + y: ξ_i = 2s − 2, ∂²l_i/∂x∂y = 2, g_12 = g_21 = 2s.
    // LA_i = ξ_i − 2α ξ_j; χ_i = ∂²l_j/∂x∂y · g_ij = 4s; LOLA_i = LA_i − α·4s.
    let game = tandem();
    let alpha = 0.1;
    let at = |w: [f64; 2]| game.at(w.to_vec());
    let d = la(&mut at([1.0, 1.0]), alpha).unwrap();
    close(&d.value, &[1.6, 1.6], 1e-15); // s = 2: ξ = 2, LA = 2 − 0.1·2·2
    let d = lola(&mut at([1.0, 1.0]), alpha).unwrap();
    close(&d.value, &[1.6 - 0.8, 1.6 - 0.8], 1e-15);

    // SOS at (1, 1) with a = 0.25: ξ_0 = 1.6, −αχ = −0.8, ⟨−αχ, ξ_0⟩ = −2.56,
    // p_1 = min(1, 0.25·5.12/2.56) = 0.5, ‖ξ‖ = 2√2 ≥ b so p_2 = 1: ξ̃ = 1.6 − 0.5·0.8 = 1.2.
    let d = sos(&mut at([1.0, 1.0]), alpha, 0.25, 0.1, 1.0).unwrap();
    assert_eq!(d.sos_p, Some(0.5));
    close(&d.value, &[1.2, 1.2], 1e-15);
    // With the default a = 0.5, p_1 = 1 exactly and SOS is LOLA.
    let d = sos(&mut at([1.0, 1.0]), alpha, 0.5, 0.1, 1.0).unwrap();
    assert_eq!(d.sos_p, Some(1.0));
    close(&d.value, &[0.8, 0.8], 1e-15);

    // Near the fixed line s = 1, p_2 = ‖ξ‖² takes over: at (0.52, 0.5), s = 1.02, ξ_i = 0.04,
    // ‖ξ‖² = 0.0032 < b² so p = min(p_1, 0.0032); ξ_0 = 0.032, −αχ = −0.408,
    // p_1 = min(1, 0.5·2·0.032²/(2·0.408·0.032)) = 0.0392.
    let d = sos(&mut at([0.52, 0.5]), alpha, 0.5, 0.1, 1.0).unwrap();
    let p = d.sos_p.unwrap();
    assert!((p - 0.0032).abs() < 1e-15, "p = {p}");
    close(&d.value, &[0.032 - 0.0032 * 0.408; 2], 1e-14);
}

/// A three-player quadratic game with scalar players: every pair interacts.
fn three_players() -> QuadraticGame {
    let q = |a: [[f64; 3]; 3]| a.iter().map(|r| r.to_vec()).collect::<Vec<_>>();
    QuadraticGame {
        q: vec![
            q([[1.0, 0.5, -0.3], [0.5, 0.2, 0.7], [-0.3, 0.7, -0.4]]),
            q([[0.3, -1.1, 0.2], [-1.1, 2.0, 0.6], [0.2, 0.6, 0.1]]),
            q([[-0.5, 0.4, 0.9], [0.4, 0.3, -0.8], [0.9, -0.8, 1.5]]),
        ],
        b: vec![
            vec![0.1, -0.2, 0.3],
            vec![0.0, 0.4, -0.1],
            vec![-0.3, 0.2, 0.5],
        ],
        blocks: vec![0..1, 1..2, 2..3],
    }
}

#[test]
fn lola_on_three_players_matches_the_formula_term_by_term() {
    // Scalar players: ∇_{w_i}⟨g_ij, g_jj⟩ = Q_i[i][j] ξ_j + Q_j[i][j] g_ij, g_ij = (Q_i w + b_i)_j.
    let game = three_players();
    let w = vec![0.7, -1.2, 0.4];
    let alpha = 0.3;
    let grad = |i: usize| -> Vec<f64> {
        (0..3)
            .map(|k| (0..3).map(|m| game.q[i][k][m] * w[m]).sum::<f64>() + game.b[i][k])
            .collect()
    };
    let xi: Vec<f64> = (0..3).map(|i| grad(i)[i]).collect();
    let mut la_ref = vec![0.0; 3];
    let mut lola_ref = vec![0.0; 3];
    for i in 0..3 {
        let mut la_term = 0.0;
        let mut chi = 0.0;
        for j in (0..3).filter(|&j| j != i) {
            la_term += game.q[i][i][j] * xi[j];
            chi += game.q[j][i][j] * grad(i)[j];
        }
        la_ref[i] = xi[i] - alpha * la_term;
        lola_ref[i] = xi[i] - alpha * (la_term + chi);
    }
    close(
        &la(&mut game.at(w.clone()), alpha).unwrap().value,
        &la_ref,
        1e-14,
    );
    close(
        &lola(&mut game.at(w.clone()), alpha).unwrap().value,
        &lola_ref,
        1e-14,
    );
    // Through the dispatcher, with the configured α.
    let rule = RuleConfig::new(Method::Lola).with_alpha(alpha);
    close(
        &direction(&rule, &mut game.at(w)).unwrap().value,
        &lola_ref,
        1e-14,
    );
}

#[test]
fn opponent_shaping_parameters_are_validated() {
    let game = tandem();
    let err = |rule: RuleConfig| direction(&rule, &mut game.at(vec![0.0, 0.0])).unwrap_err();
    assert!(matches!(
        err(RuleConfig::new(Method::Lola).with_alpha(0.0)),
        RuleError::Config(ConfigError::BadAlpha(_))
    ));
    assert!(matches!(
        err(RuleConfig::new(Method::Sos).with_sos(1.5, 0.1)),
        RuleError::Config(ConfigError::BadSosA(_))
    ));
    assert!(matches!(
        err(RuleConfig::new(Method::Sos).with_sos(0.5, f64::NAN)),
        RuleError::Config(ConfigError::BadSosB(_))
    ));
}

// ----- SVO ------------------------------------------------------------------------------------

/// Shaped losses of a quadratic game at `w`, computed directly from the definition.
fn svo_losses(game: &QuadraticGame, svo: &Svo, w: &[f64]) -> Vec<f64> {
    let l = game.losses(w);
    let n = l.len() as f64;
    (0..l.len())
        .map(|i| {
            let r_i = -l[i];
            let others = -(l.iter().sum::<f64>() - l[i]) / (n - 1.0);
            l[i] + svo.weight * (svo.angle - others.atan2(r_i)).abs()
        })
        .collect()
}

/// Central-difference gradient of `f` at `w`, step `h`.
fn fd_grad(f: impl Fn(&[f64]) -> f64, w: &[f64], h: f64) -> Vec<f64> {
    (0..w.len())
        .map(|k| {
            let (mut a, mut b) = (w.to_vec(), w.to_vec());
            a[k] += h;
            b[k] -= h;
            (f(&a) - f(&b)) / (2.0 * h)
        })
        .collect()
}

#[test]
fn svo_shaping_derivatives_match_finite_differences() {
    let game = three_players();
    let svo = Svo {
        angle: 0.6,
        weight: 0.8,
    };
    let w = vec![0.7, -1.2, 0.4];
    let v = vec![0.3, -0.5, 0.9];
    let h = 1e-5;
    let mut oracle = ShapedOracle::new(game.at(w.clone()), svo);

    let values = oracle.losses().unwrap();
    close(&values, &svo_losses(&game, &svo, &w), 1e-15);

    // Per-loss gradients and ξ, ξ_c against central differences of the shaped losses.
    let grads = oracle.loss_gradients().unwrap();
    for (i, g) in grads.iter().enumerate() {
        let fd = fd_grad(|x| svo_losses(&game, &svo, x)[i], &w, h);
        close(g, &fd, 1e-8);
    }
    let xi = oracle.xi().unwrap();
    let xi_c = oracle.xi_c().unwrap();
    close(&xi, &[grads[0][0], grads[1][1], grads[2][2]], 1e-15);
    let sum: Vec<f64> = (0..3).map(|k| grads.iter().map(|g| g[k]).sum()).collect();
    close(&xi_c, &sum, 1e-14);

    // Hessian-vector products: directional derivatives of the shaped gradients along v.
    let shaped_grads = |x: &[f64]| {
        ShapedOracle::new(game.at(x.to_vec()), svo)
            .loss_gradients()
            .unwrap()
    };
    let plus: Vec<f64> = w.iter().zip(&v).map(|(a, b)| a + h * b).collect();
    let minus: Vec<f64> = w.iter().zip(&v).map(|(a, b)| a - h * b).collect();
    let (gp, gm) = (shaped_grads(&plus), shaped_grads(&minus));
    let fd_hvp: Vec<Vec<f64>> = (0..3)
        .map(|i| (0..3).map(|k| (gp[i][k] - gm[i][k]) / (2.0 * h)).collect())
        .collect();
    let per_loss = oracle.loss_hvps(&vec![v.clone(); 3]).unwrap();
    for i in 0..3 {
        close(&per_loss[i], &fd_hvp[i], 1e-7);
    }
    let h_v = oracle.hvp(&v).unwrap();
    close(&h_v, &[fd_hvp[0][0], fd_hvp[1][1], fd_hvp[2][2]], 1e-7);
    let hc_v = oracle.hvp_collective(&v).unwrap();
    let fd_hc: Vec<f64> = (0..3).map(|k| (0..3).map(|i| fd_hvp[i][k]).sum()).collect();
    close(&hc_v, &fd_hc, 1e-7);
    // ⟨u, H v⟩ = ⟨Hᵀ u, v⟩ on the shaped game.
    let u = vec![-0.4, 0.2, 0.6];
    let ht_u = oracle.hvp_transpose(&u).unwrap();
    let dot = |a: &[f64], b: &[f64]| a.iter().zip(b).map(|(x, y)| x * y).sum::<f64>();
    assert!((dot(&u, &h_v) - dot(&ht_u, &v)).abs() < 1e-13);
}

#[test]
fn svo_with_zero_weight_is_the_original_game_and_any_rule_runs_on_it() {
    let game = three_players();
    let w = vec![0.7, -1.2, 0.4];
    let off = Svo {
        angle: 0.7,
        weight: 0.0,
    };
    for method in Method::ALL {
        let rule = RuleConfig::new(method);
        let plain = direction(&rule, &mut game.at(w.clone())).unwrap();
        let shaped = direction(&rule, &mut ShapedOracle::new(game.at(w.clone()), off)).unwrap();
        close(&shaped.value, &plain.value, 1e-14);
    }
}

#[test]
fn svo_rewards_equal_outcomes_and_reports_undefined_points() {
    // At equal rewards the angle is π/4: the prosocial orientation adds nothing.
    let svo = Svo::default();
    let s = svo.shape(&[-1.0, -1.0]).unwrap();
    assert!((s.values[0] + 1.0).abs() < 1e-15);
    // A player far ahead of the other is penalised.
    let s = svo.shape(&[-3.0, -1.0]).unwrap();
    assert!(s.values[0] > -3.0);
    assert!(svo.shape(&[0.0, 0.0]).unwrap_err().contains("undefined"));
    assert!(svo.shape(&[1.0]).is_err());
    let game = tandem();
    let err = direction(
        &RuleConfig::new(Method::Simgd),
        &mut ShapedOracle::new(game.at(vec![0.0, 0.0]), svo),
    )
    .unwrap_err();
    assert!(matches!(err, RuleError::Oracle(ShapingError::Undefined(_))));
}

// ----- property tests: LA, LOLA, SOS on random games with scalar players ----------------------

use proptest::prelude::*;

/// A random quadratic game with `n` scalar players: symmetric `Q_i`, any `b_i`.
#[allow(clippy::needless_range_loop)] // filling both triangles of a symmetric matrix
fn random_game(n: usize, entries: &[f64]) -> QuadraticGame {
    let mut k = 0;
    let mut next = || {
        k += 1;
        entries[k % entries.len()]
    };
    let q = (0..n)
        .map(|_| {
            let mut m = vec![vec![0.0; n]; n];
            for r in 0..n {
                for c in r..n {
                    let x = next();
                    m[r][c] = x;
                    m[c][r] = x;
                }
            }
            m
        })
        .collect();
    let b = (0..n).map(|_| (0..n).map(|_| next()).collect()).collect();
    QuadraticGame {
        q,
        b,
        blocks: (0..n).map(|i| i..i + 1).collect(),
    }
}

/// LA, LOLA and SOS written out term by term for scalar players (MATH.md §4).
fn reference(game: &QuadraticGame, w: &[f64], alpha: f64, a: f64, b: f64) -> [Vec<f64>; 3] {
    let n = w.len();
    let grad = |i: usize| -> Vec<f64> {
        (0..n)
            .map(|k| (0..n).map(|m| game.q[i][k][m] * w[m]).sum::<f64>() + game.b[i][k])
            .collect()
    };
    let xi: Vec<f64> = (0..n).map(|i| grad(i)[i]).collect();
    let mut la = vec![0.0; n];
    let mut chi = vec![0.0; n];
    for i in 0..n {
        let mut term = 0.0;
        for j in (0..n).filter(|&j| j != i) {
            term += game.q[i][i][j] * xi[j]; // ∇_{w_i} ⟨g_ij, stop(g_jj)⟩
            chi[i] += game.q[j][i][j] * grad(i)[j]; // ∇_{w_i} ⟨stop(g_ij), g_jj⟩
        }
        la[i] = xi[i] - alpha * term;
    }
    let lola: Vec<f64> = (0..n).map(|i| la[i] - alpha * chi[i]).collect();
    let dot = |u: &[f64], v: &[f64]| u.iter().zip(v).map(|(x, y)| x * y).sum::<f64>();
    let shaping: Vec<f64> = chi.iter().map(|c| -alpha * c).collect();
    let d = dot(&shaping, &la);
    let p1 = if d >= 0.0 {
        1.0
    } else {
        (-a * dot(&la, &la) / d).min(1.0)
    };
    let norm = dot(&xi, &xi).sqrt();
    let p = p1.min(if norm < b { norm * norm } else { 1.0 });
    let sos = (0..n).map(|i| la[i] + p * shaping[i]).collect();
    [la, lola, sos]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn opponent_shaping_matches_the_formulas_on_random_games(
        n in 2usize..5,
        entries in proptest::collection::vec(-2.0f64..2.0, 40),
        w in proptest::collection::vec(-1.5f64..1.5, 4),
        alpha in 0.01f64..2.0,
        a in 0.05f64..1.0,
        b in 0.01f64..3.0,
    ) {
        let game = random_game(n, &entries);
        let w = &w[..n];
        let [la_ref, lola_ref, sos_ref] = reference(&game, w, alpha, a, b);
        let got_la = la(&mut game.at(w.to_vec()), alpha).unwrap().value;
        let got_lola = lola(&mut game.at(w.to_vec()), alpha).unwrap().value;
        let got_sos = sos(&mut game.at(w.to_vec()), alpha, a, b, 1.0).unwrap().value;
        prop_assert!(rel_err(&got_la, &la_ref) < 1e-12, "{:?} vs {:?}", got_la, la_ref);
        prop_assert!(rel_err(&got_lola, &lola_ref) < 1e-12, "{:?} vs {:?}", got_lola, lola_ref);
        prop_assert!(rel_err(&got_sos, &sos_ref) < 1e-12, "{:?} vs {:?}", got_sos, sos_ref);
    }
}

/// `game` with every loss multiplied by `c`.
fn scaled(game: &QuadraticGame, c: f64) -> QuadraticGame {
    QuadraticGame {
        q: game
            .q
            .iter()
            .map(|m| {
                m.iter()
                    .map(|r| r.iter().map(|x| c * x).collect())
                    .collect()
            })
            .collect(),
        b: game
            .b
            .iter()
            .map(|v| v.iter().map(|x| c * x).collect())
            .collect(),
        blocks: game.blocks.clone(),
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// `for_loss_scale(c)` on `c · l` takes the steps of the original rule on `l`: the scaled
    /// direction equals `c` times the original one (so `lr / c` gives the same step). Small `w`
    /// and large `b` exercise SOS's `p_2 = k ‖ξ‖²` branch too.
    #[test]
    fn rules_keep_their_steps_under_a_loss_scale(
        n in 2usize..4,
        entries in proptest::collection::vec(-2.0f64..2.0, 40),
        w in proptest::collection::vec(-0.05f64..0.05, 4),
        log_c in -4.0f64..2.0,
        alpha in 0.05f64..1.0,
        b in 0.01f64..2.0,
    ) {
        let c = 10f64.powf(log_c);
        let game = random_game(n, &entries);
        let big = scaled(&game, c);
        let w = &w[..n];
        for method in [Method::Simgd, Method::Collective, Method::Consensus, Method::Sga, Method::La, Method::Lola, Method::Sos] {
            let rule = RuleConfig::new(method).with_alpha(alpha).with_sos(0.5, b).with_lambda(0.7);
            let want = direction(&rule, &mut game.at(w.to_vec())).unwrap();
            let equivalent = rule.for_loss_scale(c).unwrap();
            let got = direction(&equivalent, &mut big.at(w.to_vec())).unwrap();
            let got: Vec<f64> = got.value.iter().map(|x| x / c).collect();
            prop_assert!(rel_err(&got, &want.value) < 1e-10, "{}: {:?} vs {:?}", method, got, want.value);
        }
        prop_assert!(RuleConfig::new(Method::Aga).for_loss_scale(c).is_err());
    }
}
