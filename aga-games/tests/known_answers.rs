//! The opponent-shaping test games and the public goods game against their known answers:
//! exact values, closed-form gradients, equilibria, and HVPs against finite differences.

use aga_burn::{backends::CpuF64, Derivatives, Game, HvpBackend};
use aga_games::{build, GameOptions, GamesError, Ipd, MatrixGame, PublicGoods, Tandem};
use burn::backend::NdArray;

fn sigmoid(x: f64) -> f64 {
    1.0 / (1.0 + (-x).exp())
}

fn sigmoid_prime(x: f64) -> f64 {
    sigmoid(x) * (1.0 - sigmoid(x))
}

fn losses<G: Game<HvpBackend<CpuF64>>>(game: &G, w: &[f64]) -> Vec<f64> {
    let engine = Derivatives::<CpuF64, _>::new(game, Default::default()).unwrap();
    engine.losses(&engine.point(w).unwrap()).unwrap()
}

fn gradients<G: Game<HvpBackend<CpuF64>>>(game: &G, w: &[f64]) -> (Vec<f64>, Vec<f64>) {
    let engine = Derivatives::<CpuF64, _>::new(game, Default::default()).unwrap();
    let first = engine.first_order(&engine.point(w).unwrap()).unwrap();
    (first.xi.to_vec(), first.xi_c.to_vec())
}

use aga_testing::assert_close as close;

/// Logit for "always" (+) or "never" (−): σ(±40) is 1 or 4e−18.
const ALWAYS: f64 = 40.0;
const NEVER: f64 = -40.0;

#[test]
fn ipd_exact_values_of_known_strategy_pairs() {
    let ipd = Ipd::default();
    let all_c = [ALWAYS; 5];
    let all_d = [NEVER; 5];
    // Tit-for-tat: cooperate first, then copy the other's last action. States are seen from
    // the player's own side (own action first): cooperate after CC and DC.
    let tft = [ALWAYS, ALWAYS, NEVER, ALWAYS, NEVER];
    let pair = |a: [f64; 5], b: [f64; 5]| losses(&ipd, &[a, b].concat());
    close(&pair(all_d, all_d), &[2.0, 2.0], 1e-14);
    close(&pair(all_c, all_c), &[1.0, 1.0], 1e-14);
    close(&pair(tft, tft), &[1.0, 1.0], 1e-14);
    // All-defect against tit-for-tat: DC once (rewards 0, −3), then DD forever (−2, −2):
    // l_1 = −(1−γ)(0 + γ(−2)/(1−γ)) = 2γ, l_2 = 3(1−γ) + 2γ. Both orders, which checks that
    // player 2's states are swapped to its own side.
    let g = 0.96;
    close(
        &pair(all_d, tft),
        &[2.0 * g, 3.0 * (1.0 - g) + 2.0 * g],
        1e-13,
    );
    close(
        &pair(tft, all_d),
        &[3.0 * (1.0 - g) + 2.0 * g, 2.0 * g],
        1e-13,
    );
    // Another discount.
    let ipd = Ipd::new(0.5).unwrap();
    close(
        &losses(&ipd, &[all_d, tft].concat()),
        &[2.0 * 0.5, 3.0 * 0.5 + 2.0 * 0.5],
        1e-14,
    );
    assert!(matches!(Ipd::new(1.0), Err(GamesError::BadParameter(_))));
}

#[test]
fn ipd_derivatives_match_finite_differences() {
    let ipd = Ipd::default();
    let w: Vec<f64> = (0..10).map(|k| ((k * 7 % 11) as f64 - 5.0) / 4.0).collect();
    let h = 1e-6;
    let (xi, _) = gradients(&ipd, &w);
    for k in 0..10 {
        let (mut a, mut b) = (w.clone(), w.clone());
        a[k] += h;
        b[k] -= h;
        let player = k / 5;
        let fd = (losses(&ipd, &a)[player] - losses(&ipd, &b)[player]) / (2.0 * h);
        assert!(
            (xi[k] - fd).abs() < 1e-8,
            "coordinate {k}: {} vs {fd}",
            xi[k]
        );
    }
    // H_c v against a central difference of ξ_c.
    let engine = Derivatives::<CpuF64, _>::new(&ipd, Default::default()).unwrap();
    let v: Vec<f64> = (0..10).map(|k| ((k * 3 % 5) as f64 - 2.0) / 3.0).collect();
    let hv = engine
        .hvp_collective(&engine.point(&w).unwrap(), &engine.vector("v", &v).unwrap())
        .unwrap()
        .to_vec();
    let shifted = |s: f64| -> Vec<f64> {
        let x: Vec<f64> = w.iter().zip(&v).map(|(a, b)| a + s * b).collect();
        engine.xi_c(&engine.point(&x).unwrap()).unwrap().to_vec()
    };
    let (p, m) = (shifted(1e-5), shifted(-1e-5));
    let fd: Vec<f64> = p.iter().zip(&m).map(|(a, b)| (a - b) / 2e-5).collect();
    close(&hv, &fd, 1e-7);
}

#[test]
fn matching_pennies_closed_form_gradients_and_equilibrium() {
    let mp = MatrixGame::matching_pennies();
    for (x, y) in [(0.3, -0.7), (1.5, 0.2), (0.0, 0.0)] {
        let (p, q) = (sigmoid(x), sigmoid(y));
        let l1 = (2.0 * p - 1.0) * (2.0 * q - 1.0);
        close(&losses(&mp, &[x, y]), &[l1, -l1], 1e-15);
        // ξ_1 = 2σ'(x)(2q − 1), ξ_2 = −2σ'(y)(2p − 1); ξ_c = 0 (zero-sum).
        let (xi, xi_c) = gradients(&mp, &[x, y]);
        let want = [
            2.0 * sigmoid_prime(x) * (2.0 * q - 1.0),
            -2.0 * sigmoid_prime(y) * (2.0 * p - 1.0),
        ];
        close(&xi, &want, 1e-15);
        close(&xi_c, &[0.0, 0.0], 1e-15);
    }
    let (l1, l2) = mp.losses_at_probabilities(0.5, 0.9);
    assert_eq!((l1, l2), (0.0, 0.0));
}

#[test]
fn stag_hunt_equilibria() {
    let sh = MatrixGame::stag_hunt();
    // Rewards: stag-stag 4, hare-hare 2, the mixed equilibrium p = 2/3 has ξ = 0.
    assert_eq!(sh.losses_at_probabilities(1.0, 1.0), (-4.0, -4.0));
    assert_eq!(sh.losses_at_probabilities(0.0, 0.0), (-2.0, -2.0));
    assert_eq!(sh.losses_at_probabilities(1.0, 0.0), (0.0, -3.0));
    let logit = (2.0f64).ln(); // σ(ln 2) = 2/3
    let (xi, _) = gradients(&sh, &[logit, logit]);
    close(&xi, &[0.0, 0.0], 1e-15);
    // Above the mixed point both players gain by hunting stag: ξ < 0 (loss falls as θ rises).
    let (xi, _) = gradients(&sh, &[1.0, 1.0]);
    assert!(xi.iter().all(|g| *g < 0.0));
}

#[test]
fn tandem_closed_form() {
    for (x, y) in [(0.3, 0.2), (-1.0, 2.5)] {
        let (l1, l2) = Tandem::losses_f64(x, y);
        close(&losses(&Tandem, &[x, y]), &[l1, l2], 1e-15);
        let s = x + y;
        let (xi, xi_c) = gradients(&Tandem, &[x, y]);
        close(&xi, &[2.0 * s - 2.0, 2.0 * s - 2.0], 1e-15);
        close(&xi_c, &[4.0 * s - 2.0, 4.0 * s - 2.0], 1e-15);
    }
}

#[test]
fn public_goods_nash_and_optimum() {
    for (n, m) in [(2, 1.5), (4, 2.5)] {
        let game = PublicGoods::new(n, m).unwrap();
        // Rewards at the Nash equilibrium a = 0 and at the optimum a = 1.
        close(&game.rewards(&vec![0.0; n]), &vec![1.0; n], 1e-15);
        close(&game.rewards(&vec![1.0; n]), &vec![m; n], 1e-15);
        let theta: Vec<f64> = (0..n).map(|i| i as f64 * 0.7 - 1.0).collect();
        let a: Vec<f64> = theta.iter().map(|t| sigmoid(*t)).collect();
        let r = game.rewards(&a);
        let l: Vec<f64> = r.iter().map(|x| -x).collect();
        close(&losses(&game, &theta), &l, 1e-15);
        // ∂l_i/∂θ_i = σ'(θ_i)(1 − m/n) > 0: selfish descent lowers contributions (Nash a = 0);
        // ∂l_c/∂θ_i = σ'(θ_i)(1 − m) < 0: collective descent raises them (optimum a = 1).
        let (xi, xi_c) = gradients(&game, &theta);
        let want: Vec<f64> = theta
            .iter()
            .map(|t| sigmoid_prime(*t) * (1.0 - m / n as f64))
            .collect();
        let want_c: Vec<f64> = theta
            .iter()
            .map(|t| sigmoid_prime(*t) * (1.0 - m))
            .collect();
        close(&xi, &want, 1e-15);
        close(&xi_c, &want_c, 1e-15);
        assert!(xi.iter().all(|g| *g > 0.0) && xi_c.iter().all(|g| *g < 0.0));
    }
    assert!(matches!(
        PublicGoods::new(2, 2.0),
        Err(GamesError::BadParameter(_))
    ));
    assert!(matches!(
        PublicGoods::new(1, 1.5),
        Err(GamesError::TooSmall { .. })
    ));
}

#[test]
fn registry_options_reach_the_games() {
    let opts = GameOptions {
        players: Some(3),
        multiplier: Some(2.0),
        ..Default::default()
    };
    let pg = build::<NdArray<f64>>("public-goods", &opts).unwrap();
    assert_eq!(pg.game.layout().names(), ["theta1", "theta2", "theta3"]);
    assert_eq!(pg.suggested_init, Some(vec![0.0; 3]));
    let bad = GameOptions {
        multiplier: Some(0.5),
        ..Default::default()
    };
    assert!(build::<NdArray<f64>>("public-goods", &bad).is_err());
    let bad = GameOptions {
        gamma: Some(1.5),
        ..Default::default()
    };
    assert!(build::<NdArray<f64>>("ipd", &bad).is_err());
    let ipd = build::<NdArray<f64>>("ipd", &GameOptions::default()).unwrap();
    assert_eq!(
        ipd.game.layout().names()[..3],
        ["p1_start", "p1_CC", "p1_CD"]
    );
}
