//! Each rule against directions computed by hand on quadratic games (closed-form derivatives).

use aga_core::{
    aga, descend, direction, sga, sgn, AlignDivisor, ConfigError, Method, RuleConfig, RuleError,
};
use aga_testing::QuadraticGame;

/// `l_1 = ½x² + xy`, `l_2 = ½y² − xy` at `(1, 2)`:
/// `ξ = (3, 1)`, `ξ_c = (1, 2)`, `H = [[1, 1], [−1, 1]]`, `H_c = I`.
fn game_a() -> QuadraticGame {
    QuadraticGame::two_player_example()
}

/// `l_1 = −½x² + xy`, `l_2 = −½y²` at `(1, 2)`:
/// `ξ = (1, −2)`, `ξ_c = (1, −1)`, `H = [[−1, 1], [0, −1]]`, `H_c = [[−1, 1], [1, −1]]`.
fn game_b() -> QuadraticGame {
    QuadraticGame {
        q: vec![
            vec![vec![-1.0, 1.0], vec![1.0, 0.0]],
            vec![vec![0.0, 0.0], vec![0.0, -1.0]],
        ],
        b: vec![vec![0.0, 0.0], vec![0.0, 0.0]],
        blocks: vec![0..1, 1..2],
    }
}

fn dir(game: &QuadraticGame, rule: RuleConfig) -> (Vec<f64>, Option<f64>) {
    let d = direction(&rule, &mut game.at(vec![1.0, 2.0])).unwrap();
    (d.value, d.lambda)
}

#[test]
fn simgd_and_collective() {
    assert_eq!(
        dir(&game_a(), RuleConfig::new(Method::Simgd)),
        (vec![3.0, 1.0], None)
    );
    assert_eq!(
        dir(&game_a(), RuleConfig::new(Method::Collective)),
        (vec![1.0, 2.0], None)
    );
    assert_eq!(
        dir(&game_b(), RuleConfig::new(Method::Simgd)),
        (vec![1.0, -2.0], None)
    );
    assert_eq!(
        dir(&game_b(), RuleConfig::new(Method::Collective)),
        (vec![1.0, -1.0], None)
    );
}

#[test]
fn consensus() {
    // A: Hᵀξ = [[1,−1],[1,1]]·(3,1) = (2, 4); ξ + Hᵀξ = (5, 5).
    assert_eq!(
        dir(&game_a(), RuleConfig::new(Method::Consensus)),
        (vec![5.0, 5.0], Some(1.0))
    );
    // B: Hᵀξ = [[−1,0],[1,−1]]·(1,−2) = (−1, 3); ξ + 0.5 Hᵀξ = (0.5, −0.5).
    let rule = RuleConfig::new(Method::Consensus).with_lambda(0.5);
    assert_eq!(dir(&game_b(), rule), (vec![0.5, -0.5], Some(0.5)));
}

#[test]
fn sga_alignment_positive_branch() {
    // A: Hξ = (4, −2), Hᵀξ = (2, 4), Aᵀξ = (−1, 3).
    // ⟨ξ,∇ℋ⟩ = 10, ⟨Aᵀξ,∇ℋ⟩ = 10: 10·10/2 + 0.1 > 0 → λ = +|λ|.
    let rule = RuleConfig::new(Method::Sga).with_lambda(-1.0);
    assert_eq!(dir(&game_a(), rule), (vec![2.0, 4.0], Some(1.0)));
    // Without alignment λ = −1 is used as given: (3,1) − (−1,3) = (4, −2).
    assert_eq!(
        dir(&game_a(), rule.with_align(false)),
        (vec![4.0, -2.0], Some(-1.0))
    );
}

#[test]
fn sga_alignment_negative_branch_and_divisor() {
    // B: Hξ = (−3, 2), Hᵀξ = (−1, 3), Aᵀξ = (1, 0.5); ⟨ξ,∇ℋ⟩ = −7, ⟨Aᵀξ,∇ℋ⟩ = 0.5.
    // −7·0.5/2 + 0.1 = −1.65 < 0 → λ = −1: ξ − Aᵀξ = (0, −2.5).
    let rule = RuleConfig::new(Method::Sga);
    assert_eq!(dir(&game_b(), rule), (vec![0.0, -2.5], Some(-1.0)));
    // No alignment: ξ + Aᵀξ = (2, −1.5).
    assert_eq!(
        dir(&game_b(), rule.with_align(false)),
        (vec![2.0, -1.5], Some(1.0))
    );
    // Divisor 100: −3.5/100 + 0.1 = 0.065 > 0 → λ = +1.
    let fixed = rule.with_sga_divisor(AlignDivisor::Fixed(100.0));
    assert_eq!(dir(&game_b(), fixed), (vec![2.0, -1.5], Some(1.0)));
    // ε large enough flips it back too: −1.75 + 2 > 0.
    assert_eq!(
        dir(&game_b(), rule.with_sga_epsilon(2.0)),
        (vec![2.0, -1.5], Some(1.0))
    );
}

#[test]
fn aga_sign_rule_positive_branch() {
    // A: ∇ℋ_c = H_c ξ_c = (1, 2); ⟨ξ_c,∇ℋ_c⟩ = 5, ⟨ξ,∇ℋ_c⟩ + ‖∇ℋ_c‖² = 5 + 5 = 10 → λ > 0.
    // ξ̃ = ξ_c + λ(ξ + ∇ℋ_c) = (1,2) + 2·(4,3) = (9, 8) for |λ| = 2.
    let rule = RuleConfig::new(Method::Aga).with_lambda(-2.0);
    assert_eq!(dir(&game_a(), rule), (vec![9.0, 8.0], Some(2.0)));
    assert_eq!(
        dir(&game_a(), rule.with_align(false)),
        (vec![-7.0, -4.0], Some(-2.0))
    );
}

#[test]
fn aga_sign_rule_negative_branch() {
    // B: ∇ℋ_c = H_c ξ_c = (−2, 2); ⟨ξ_c,∇ℋ_c⟩ = −4; ⟨ξ,∇ℋ_c⟩ + ‖∇ℋ_c‖² = −6 + 8 = 2.
    // Product −8 < 0 → λ = −1: ξ̃ = (1,−1) − ((1,−2) + (−2,2)) = (2, −1).
    let rule = RuleConfig::new(Method::Aga);
    assert_eq!(dir(&game_b(), rule), (vec![2.0, -1.0], Some(-1.0)));
    assert_eq!(
        dir(&game_b(), rule.with_align(false)),
        (vec![0.0, -1.0], Some(1.0))
    );
}

#[test]
fn aga_sign_rule_zero_product_keeps_positive_sign() {
    // l_1 = −½x² + xy, l_2 = −½y² − xy: H_c = −I and ξ_c = (−x, −y), so
    // ⟨ξ,∇ℋ_c⟩ + ‖∇ℋ_c‖² = ⟨ξ_c − ξ, ξ_c⟩ = ⟨(−y, x), (−x, −y)⟩ = 0 at every point.
    let game = QuadraticGame {
        q: vec![
            vec![vec![-1.0, 1.0], vec![1.0, 0.0]],
            vec![vec![0.0, -1.0], vec![-1.0, -1.0]],
        ],
        b: vec![vec![0.0, 0.0], vec![0.0, 0.0]],
        blocks: vec![0..1, 1..2],
    };
    // At (1, 2): ξ = (1, −3), ξ_c = (−1, −2), ∇ℋ_c = (1, 2): sgn(0) = +1 → λ = +|λ|.
    let rule = RuleConfig::new(Method::Aga).with_lambda(-1.0);
    // ξ̃ = (−1,−2) + ((1,−3) + (1,2)) = (1, −3)
    assert_eq!(dir(&game, rule), (vec![1.0, -3.0], Some(1.0)));
}

#[test]
fn sgn_of_zero_is_plus_one_and_of_non_finite_is_none() {
    assert_eq!(sgn(0.0), Some(1.0));
    assert_eq!(sgn(-0.0), Some(1.0));
    assert_eq!(sgn(2.0), Some(1.0));
    assert_eq!(sgn(-1e-300), Some(-1.0));
    assert_eq!(sgn(f64::NAN), None);
    assert_eq!(sgn(f64::INFINITY), None);
    assert_eq!(sgn(f64::NEG_INFINITY), None);
}

#[test]
fn an_overflowing_alignment_product_is_an_error_naming_the_rule() {
    // ξ, ξ_c and the HVPs are finite (≈ 1e200 and 1e300) but their inner products overflow.
    let game = QuadraticGame {
        q: vec![
            vec![vec![1e100, 0.0], vec![0.0, 0.0]],
            vec![vec![0.0, 0.0], vec![0.0, 1e100]],
        ],
        b: vec![vec![0.0, 0.0], vec![0.0, 0.0]],
        blocks: vec![0..1, 1..2],
    };
    for (method, name) in [(Method::Aga, "aga"), (Method::Sga, "sga")] {
        let err = direction(&RuleConfig::new(method), &mut game.at(vec![1e100, 1e100]))
            .expect_err("an infinite product has no sign");
        match err {
            aga_core::RuleError::NonFiniteAlignment { rule, product } => {
                assert_eq!(rule, name);
                assert!(!product.is_finite());
            }
            other => panic!("{method}: expected NonFiniteAlignment, got {other}"),
        }
        // The ablation uses λ as given: no sign needed, so no error.
        assert!(direction(
            &RuleConfig::new(method).with_align(false),
            &mut game.at(vec![1e100, 1e100])
        )
        .is_ok());
    }
}

/// Each factor of AgA's product is finite (≈ 1e161) but the product overflows: the sign comes
/// from the factors, both ways. With `l_i = ½ s w_i²`: `ξ = ξ_c = s w`, `∇ℋ_c = s² w`, so the
/// factors are `2 s³ x²` and `2 s³ x² + 2 s⁴ x²` at `w = (x, x)`.
#[test]
fn an_overflowing_aga_product_of_finite_factors_keeps_its_sign() {
    let game = |s: f64| QuadraticGame {
        q: vec![
            vec![vec![s, 0.0], vec![0.0, 0.0]],
            vec![vec![0.0, 0.0], vec![0.0, s]],
        ],
        b: vec![vec![0.0, 0.0], vec![0.0, 0.0]],
        blocks: vec![0..1, 1..2],
    };
    let x = 1e80;
    // s = 1: factors 2e160 and 4e160, product +∞ → λ = +|λ|.
    // s = −2: factors −1.6e161 and +3.2e161, product −∞ → λ = −|λ|.
    for (s, expected) in [(1.0, 0.5), (-2.0, -0.5)] {
        let d = aga(&mut game(s).at(vec![x, x]), 0.5, true).unwrap();
        assert_eq!(d.lambda, Some(expected), "s = {s}");
        let alignment = d.alignment.unwrap();
        assert!(alignment.product.is_infinite());
        assert_eq!(alignment.sign, expected.signum());
    }
}

#[test]
fn rule_functions_match_the_dispatcher() {
    let game = game_b();
    let via_fn = aga(&mut game.at(vec![1.0, 2.0]), 0.7, true).unwrap();
    let via_cfg = direction(
        &RuleConfig::new(Method::Aga).with_lambda(0.7),
        &mut game.at(vec![1.0, 2.0]),
    )
    .unwrap();
    assert_eq!(via_fn, via_cfg);
    let via_fn = sga(
        &mut game.at(vec![1.0, 2.0]),
        0.7,
        true,
        0.1,
        AlignDivisor::Dimension,
    )
    .unwrap();
    let via_cfg = direction(
        &RuleConfig::new(Method::Sga).with_lambda(0.7),
        &mut game.at(vec![1.0, 2.0]),
    )
    .unwrap();
    assert_eq!(via_fn, via_cfg);
}

#[test]
fn invalid_configurations_are_errors() {
    let game = game_a();
    let bad = |rule: RuleConfig| direction(&rule, &mut game.at(vec![1.0, 2.0])).unwrap_err();
    assert!(matches!(
        bad(RuleConfig::new(Method::Aga).with_lambda(f64::NAN)),
        RuleError::Config(ConfigError::NonFiniteLambda(_))
    ));
    assert!(matches!(
        bad(RuleConfig::new(Method::Sga).with_sga_epsilon(f64::INFINITY)),
        RuleError::Config(ConfigError::NonFiniteEpsilon(_))
    ));
    assert!(matches!(
        bad(RuleConfig::new(Method::Sga).with_sga_divisor(AlignDivisor::Fixed(0.0))),
        RuleError::Config(ConfigError::BadDivisor(_))
    ));
    assert_eq!(
        "nope".parse::<Method>().unwrap_err(),
        ConfigError::UnknownMethod("nope".into())
    );
}

#[test]
fn descend_takes_plain_gradient_steps_and_reports_bad_learning_rates() {
    let game = game_a();
    let mut seen = Vec::new();
    let w = descend(
        &RuleConfig::new(Method::Simgd),
        0.1,
        2,
        vec![1.0, 2.0],
        |w: &Vec<f64>| Ok(game.at(w.clone())),
        |s| {
            seen.push((s.step, s.w.clone(), s.direction.is_some()));
            Ok(())
        },
    )
    .unwrap();
    // w1 = (1,2) − 0.1·(3,1) = (0.7, 1.9); ξ(w1) = (x + y, y − x) = (2.6, 1.2)
    // w2 = (0.7 − 0.26, 1.9 − 0.12) = (0.44, 1.78)
    assert!(
        (w[0] - 0.44).abs() < 1e-15 && (w[1] - 1.78).abs() < 1e-15,
        "{w:?}"
    );
    assert_eq!(seen.len(), 3);
    assert_eq!(seen.iter().map(|s| s.0).collect::<Vec<_>>(), vec![0, 1, 2]);
    assert!(seen[0].2 && seen[1].2 && !seen[2].2);
    for lr in [0.0, -1.0, f64::NAN, f64::INFINITY] {
        let err = descend(
            &RuleConfig::new(Method::Simgd),
            lr,
            1,
            vec![1.0, 2.0],
            |w: &Vec<f64>| Ok(game.at(w.clone())),
            |_| Ok(()),
        )
        .unwrap_err();
        assert!(matches!(
            err.error,
            RuleError::Config(ConfigError::BadLearningRate(_))
        ));
    }
}

#[test]
fn descend_reports_the_step_of_a_divergence() {
    // Simgd on game A with a huge learning rate overflows to infinity after a few steps.
    let game = game_a();
    let err = descend(
        &RuleConfig::new(Method::Simgd),
        1e200,
        10,
        vec![1.0, 2.0],
        |w: &Vec<f64>| Ok(game.at(w.clone())),
        |_| Ok(()),
    )
    .unwrap_err();
    assert!(err.step >= 1 && err.step <= 10, "step {}", err.step);
    assert!(matches!(err.error, RuleError::NonFinite(_)), "{err}");
}

#[test]
fn rule_config_serialises_with_defaults() {
    let rule: RuleConfig = serde_json::from_str(r#"{"method":"sga"}"#).unwrap();
    assert_eq!(rule, RuleConfig::new(Method::Sga));
    assert_eq!(rule.lambda, 1.0);
    assert!(rule.align);
    assert_eq!(rule.sga_epsilon, 0.1);
    let fixed = RuleConfig::new(Method::Sga).with_sga_divisor(AlignDivisor::Fixed(4.0));
    let json = serde_json::to_string(&fixed).unwrap();
    assert_eq!(serde_json::from_str::<RuleConfig>(&json).unwrap(), fixed);
    for m in Method::ALL {
        assert_eq!(m.name().parse::<Method>().unwrap(), m);
    }
}

#[test]
fn alignment_reports_the_product_and_reference_norm() {
    // Game B at (1, 2): AgA product −8 with ‖∇ℋ_c‖ = ‖(−2, 2)‖ = √8;
    // SGA product −7·0.5/2 + 0.1 = −1.65 with ‖∇ℋ‖ = ‖(−1, 3)‖ = √10.
    let game = game_b();
    let d = direction(&RuleConfig::new(Method::Aga), &mut game.at(vec![1.0, 2.0])).unwrap();
    let a = d.alignment.unwrap();
    assert_eq!(a.product, -8.0);
    assert!((a.reference_norm - 8f64.sqrt()).abs() < 1e-15);
    let d = direction(&RuleConfig::new(Method::Sga), &mut game.at(vec![1.0, 2.0])).unwrap();
    let a = d.alignment.unwrap();
    assert!((a.product + 1.65).abs() < 1e-15);
    assert!((a.reference_norm - 10f64.sqrt()).abs() < 1e-15);
    for m in [Method::Simgd, Method::Collective, Method::Consensus] {
        let d = direction(&RuleConfig::new(m), &mut game.at(vec![1.0, 2.0])).unwrap();
        assert!(d.alignment.is_none());
    }
}
