//! The derivative engine against closed forms (toy game) and finite differences (MLP games).

use crate::common;

use aga::burn_backends::CpuF64;
use aga_burn::Derivatives;
use aga_games::{Bilinear, MlpGame, Toy};
use common::{assert_close, dot, fd_jvps, matvec, rel_err, toy, transpose};
use proptest::prelude::*;

type Engine<'g, G> = Derivatives<'g, CpuF64, G>;

const EXACT: f64 = 1e-12;

fn toy_points() -> Vec<[f64; 2]> {
    vec![
        [0.5, 0.5],
        [-1.3, 0.7],
        [1.9, -1.2],
        [0.0, 0.0],
        [-2.0, 2.0],
        [0.25, -1.75],
    ]
}

#[test]
fn toy_gradients_match_closed_form() {
    let engine = Engine::new(&Toy, Default::default()).unwrap();
    for [a1, a2] in toy_points() {
        let w = engine.point(&[a1, a2]).unwrap();
        let first = engine.first_order(&w).unwrap();
        let (xi, xi_c) = toy::xi(a1, a2);
        assert_close(&first.xi.to_vec(), &xi, EXACT);
        assert_close(&first.xi_c.to_vec(), &xi_c, EXACT);
        assert_close(&engine.xi_c(&w).unwrap().to_vec(), &xi_c, EXACT);
        let (l1, l2) = Toy::losses_f64(a1, a2);
        assert_close(&first.losses, &[l1, l2], EXACT);
    }
}

#[test]
fn toy_hvps_match_closed_form_hessians() {
    let engine = Engine::new(&Toy, Default::default()).unwrap();
    for [a1, a2] in toy_points() {
        let w = engine.point(&[a1, a2]).unwrap();
        let h = toy::game_hessian(a1, a2);
        let hc = toy::collective_hessian(a1, a2);
        let (h1, h2) = toy::hessians(a1, a2);
        for v in [[1.0, 0.0], [0.0, 1.0], [0.3, -2.1]] {
            let fv = engine.vector("v", &v).unwrap();
            assert_close(
                &engine.hvp(&w, &fv).unwrap().to_vec(),
                &matvec(&h, &v),
                EXACT,
            );
            assert_close(
                &engine.hvp_transpose(&w, &fv).unwrap().to_vec(),
                &matvec(&transpose(&h), &v),
                EXACT,
            );
            assert_close(
                &engine.hvp_collective(&w, &fv).unwrap().to_vec(),
                &matvec(&hc, &v),
                EXACT,
            );
            assert_close(
                &engine.loss_hvp(&w, 0, &fv).unwrap().to_vec(),
                &matvec(&h1, &v),
                EXACT,
            );
            assert_close(
                &engine.loss_hvp(&w, 1, &fv).unwrap().to_vec(),
                &matvec(&h2, &v),
                EXACT,
            );
        }
    }
}

fn random_vec(len: usize, seed: u64) -> Vec<f64> {
    use rand::{Rng, SeedableRng};
    let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
    (0..len).map(|_| rng.gen_range(-1.0..1.0)).collect()
}

#[test]
fn mlp_game_hvps_match_finite_differences() {
    for players in [2, 3] {
        let game = MlpGame::new(players, 5, 4, 7, 11 + players as u64).unwrap();
        let engine = Engine::new(&game, Default::default()).unwrap();
        let w0 = game.init();
        let v = random_vec(w0.len(), 3);
        let w = engine.point(&w0).unwrap();
        let fv = engine.vector("v", &v).unwrap();
        let (fd_h, fd_hc) = fd_jvps(&engine, &w0, &v, 1e-5);
        let hv = engine.hvp(&w, &fv).unwrap().to_vec();
        let hcv = engine.hvp_collective(&w, &fv).unwrap().to_vec();
        assert!(
            rel_err(&hv, &fd_h) < 1e-7,
            "H v vs FD: {:e}",
            rel_err(&hv, &fd_h)
        );
        assert!(
            rel_err(&hcv, &fd_hc) < 1e-7,
            "H_c v vs FD: {:e}",
            rel_err(&hcv, &fd_hc)
        );
        // Hᵀ v against the identity ⟨u, H v⟩ = ⟨Hᵀ u, v⟩ with a finite-difference H v.
        let u = random_vec(w0.len(), 5);
        let htu = engine
            .hvp_transpose(&w, &engine.vector("u", &u).unwrap())
            .unwrap()
            .to_vec();
        let lhs = dot(&u, &fd_h);
        assert!((lhs - dot(&htu, &v)).abs() <= 1e-7 * (1.0 + lhs.abs()));
    }
}

#[test]
fn bilinear_derivatives_are_exact() {
    // l_1 = xᵀ M y: ξ = (M y, −Mᵀ x), H = [[0, M], [−Mᵀ, 0]], H_c = 0.
    let game = Bilinear::parse("1,2;3,4;5,6").unwrap();
    let engine = Engine::new(&game, Default::default()).unwrap();
    let (x, y) = ([1.0, -1.0, 0.5], [2.0, 3.0]);
    let w = engine.point(&[x[0], x[1], x[2], y[0], y[1]]).unwrap();
    let xi = engine.xi(&w).unwrap().to_vec();
    let my = [
        1.0 * 2.0 + 2.0 * 3.0,
        3.0 * 2.0 + 4.0 * 3.0,
        5.0 * 2.0 + 6.0 * 3.0,
    ];
    let mtx = [1.0 - 3.0 + 2.5, 2.0 - 4.0 + 3.0];
    assert_close(&xi, &[my[0], my[1], my[2], -mtx[0], -mtx[1]], EXACT);
    let v = engine.vector("v", &[1.0, 0.0, 0.0, 0.0, 1.0]).unwrap();
    // H v = (M (0,1), −Mᵀ (1,0,0)) = (2, 4, 6, −1, −2)
    assert_close(
        &engine.hvp(&w, &v).unwrap().to_vec(),
        &[2.0, 4.0, 6.0, -1.0, -2.0],
        EXACT,
    );
    assert_close(
        &engine.hvp_collective(&w, &v).unwrap().to_vec(),
        &[0.0; 5],
        EXACT,
    );
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]

    /// MATH.md §2 identities on random points of random MLP games.
    #[test]
    fn identities_hold_on_random_games(seed in 0u64..1000, players in 2usize..4) {
        let game = MlpGame::new(players, 3, 3, 5, seed).unwrap();
        let engine = Engine::new(&game, Default::default()).unwrap();
        let w0: Vec<f64> = game.init().iter().zip(random_vec(game.player_dim() * players, seed))
            .map(|(a, b)| a + 0.3 * b).collect();
        let w = engine.point(&w0).unwrap();
        let d = w0.len();
        let (u, v) = (random_vec(d, seed + 1), random_vec(d, seed + 2));
        let (fu, fv) = (engine.vector("u", &u).unwrap(), engine.vector("v", &v).unwrap());
        let hv = engine.hvp(&w, &fv).unwrap().to_vec();
        let htu = engine.hvp_transpose(&w, &fu).unwrap().to_vec();
        let hcv = engine.hvp_collective(&w, &fv).unwrap().to_vec();
        let hcu = engine.hvp_collective(&w, &fu).unwrap().to_vec();
        let htv = engine.hvp_transpose(&w, &fv).unwrap().to_vec();
        let scale = 1.0 + dot(&u, &hv).abs();
        // ⟨u, H v⟩ = ⟨Hᵀ u, v⟩
        prop_assert!((dot(&u, &hv) - dot(&htu, &v)).abs() <= 1e-12 * scale);
        // H_c symmetric: ⟨u, H_c v⟩ = ⟨H_c u, v⟩
        prop_assert!((dot(&u, &hcv) - dot(&hcu, &v)).abs() <= 1e-12 * (1.0 + dot(&u, &hcv).abs()));
        // ⟨v, A v⟩ = 0 with A v = (H v − Hᵀ v)/2
        let av: Vec<f64> = hv.iter().zip(&htv).map(|(a, b)| 0.5 * (a - b)).collect();
        prop_assert!(dot(&v, &av).abs() <= 1e-12 * (1.0 + dot(&v, &hv).abs()));
        // ∇_w ½‖ξ‖² = Hᵀ ξ and ∇_w ½‖ξ_c‖² = H_c ξ_c, by central differences of the norms.
        let first = engine.first_order(&w).unwrap();
        let ht_xi = engine.hvp_transpose(&w, &first.xi).unwrap().to_vec();
        let hc_xic = engine.hvp_collective(&w, &first.xi_c).unwrap().to_vec();
        let h = 1e-5;
        let half_norms = |s: f64| {
            let p: Vec<f64> = w0.iter().zip(&u).map(|(a, b)| a + s * b).collect();
            let f = engine.first_order(&engine.point(&p).unwrap()).unwrap();
            let (x, xc) = (f.xi.to_vec(), f.xi_c.to_vec());
            (0.5 * dot(&x, &x), 0.5 * dot(&xc, &xc))
        };
        let ((p1, p2), (m1, m2)) = (half_norms(h), half_norms(-h));
        let (fd1, fd2) = ((p1 - m1) / (2.0 * h), (p2 - m2) / (2.0 * h));
        prop_assert!((fd1 - dot(&ht_xi, &u)).abs() <= 1e-6 * (1.0 + fd1.abs()));
        prop_assert!((fd2 - dot(&hc_xic, &u)).abs() <= 1e-6 * (1.0 + fd2.abs()));
    }
}
