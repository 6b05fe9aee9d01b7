//! The shared forward pass (`Game::player_outputs`): every player's network runs once, and
//! `ξ`, `ξ_c`, `H v` and the losses must equal the general `n`-copy pass to rounding (1e-12
//! in f64) — on the MLP benchmark game (n = 2, 5, 10), and through the identity split on the
//! toy game and the IPD. `ξ` is also checked against central finite differences of each
//! player's own loss, and `H v` against central differences of `ξ`, so the shared pass is
//! compared with an independent source as well as with the general one.

use aga_burn::{
    backends::CpuF64, Derivatives, FlatTensor, Game, GameError, IdentityOutputs, ParamLayout,
    Params,
};
use aga_core::{direction, Method, RuleConfig};
use aga_games::{Ipd, MlpGame, Toy};
use aga_testing::{assert_close, rel_err};
use burn::tensor::{backend::Backend, Tensor};

type B = CpuF64;

fn pseudo_random(d: usize, seed: u64) -> Vec<f64> {
    // A fixed, dependency-free sequence in (−1, 1) (SplitMix64).
    let mut state = seed;
    (0..d)
        .map(|_| {
            state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
            let mut z = state;
            z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
            z ^= z >> 31;
            (z >> 11) as f64 / (1u64 << 53) as f64 * 2.0 - 1.0
        })
        .collect()
}

/// Losses, ξ, ξ_c and H v from the shared pass (`shared`) and from the n-copy pass.
fn compare<G: Game<aga_burn::HvpBackend<B>>>(game: &G, w0: &[f64], tol: f64) {
    let shared = Derivatives::<B, _>::new(game, Default::default()).unwrap();
    let general = Derivatives::<B, _>::new(game, Default::default())
        .unwrap()
        .with_shared_forward(false);
    let w = shared.point(w0).unwrap();
    let v = shared.vector("v", &pseudo_random(w0.len(), 7)).unwrap();
    let (a, b) = (
        shared.first_order(&w).unwrap(),
        general.first_order(&w).unwrap(),
    );
    assert_close(&a.losses, &b.losses, tol);
    assert_close(&a.xi.to_vec(), &b.xi.to_vec(), tol);
    assert_close(&a.xi_c.to_vec(), &b.xi_c.to_vec(), tol);
    assert_close(&shared.xi(&w).unwrap().to_vec(), &b.xi.to_vec(), tol);
    assert_close(
        &shared.hvp(&w, &v).unwrap().to_vec(),
        &general.hvp(&w, &v).unwrap().to_vec(),
        tol,
    );
    let error = shared.shared_forward_error(&w, &v).unwrap().unwrap();
    assert!(error < tol, "shared_forward_error = {error}");
}

fn small_mlp(players: usize) -> MlpGame {
    MlpGame::new(players, 5, 7, 12, 3).unwrap()
}

#[test]
fn mlp_shared_pass_equals_the_general_pass() {
    for players in [2, 5, 10] {
        let game = small_mlp(players);
        // Away from the zero-bias start, so every term is exercised.
        let w0: Vec<f64> = game
            .init()
            .iter()
            .zip(pseudo_random(players * game.player_dim(), players as u64))
            .map(|(w, r)| w + 0.3 * r)
            .collect();
        compare(&game, &w0, 1e-12);
    }
}

#[test]
fn identity_split_on_closed_form_games_equals_the_general_pass() {
    compare(&IdentityOutputs(Toy), &[0.5, -0.3], 1e-12);
    let ipd = Ipd::new(0.96).unwrap();
    compare(&IdentityOutputs(ipd), &pseudo_random(10, 11), 1e-12);
}

/// Central differences of `l_i` along player `i`'s own coordinates, and of `ξ` along `v`.
#[test]
fn mlp_shared_pass_matches_finite_differences() {
    let game = small_mlp(3);
    let engine = Derivatives::<B, _>::new(&game, Default::default()).unwrap();
    let layout = <MlpGame as Game<B>>::layout(&game);
    let w0: Vec<f64> = game
        .init()
        .iter()
        .zip(pseudo_random(layout.dim(), 5))
        .map(|(w, r)| w + 0.2 * r)
        .collect();
    let w = engine.point(&w0).unwrap();
    let xi = engine.xi(&w).unwrap().to_vec();
    let loss_at = |x: &[f64], i: usize| engine.losses(&engine.point(x).unwrap()).unwrap()[i];
    let h = 1e-5;
    let mut fd = vec![0.0; layout.dim()];
    for i in 0..3 {
        for k in layout.block(i) {
            let (mut plus, mut minus) = (w0.clone(), w0.clone());
            plus[k] += h;
            minus[k] -= h;
            fd[k] = (loss_at(&plus, i) - loss_at(&minus, i)) / (2.0 * h);
        }
    }
    assert_close(&xi, &fd, 1e-7);

    let v = pseudo_random(layout.dim(), 9);
    let xi_at = |s: f64| {
        let x: Vec<f64> = w0.iter().zip(&v).map(|(a, b)| a + s * b).collect();
        engine.xi(&engine.point(&x).unwrap()).unwrap().to_vec()
    };
    let (plus, minus) = (xi_at(h), xi_at(-h));
    let fd_hv: Vec<f64> = plus
        .iter()
        .zip(&minus)
        .map(|(p, m)| (p - m) / (2.0 * h))
        .collect();
    let hv = engine
        .hvp(&w, &engine.vector("v", &v).unwrap())
        .unwrap()
        .to_vec();
    assert_close(&hv, &fd_hv, 1e-6);
}

/// Every rule reads the same numbers through the oracle whichever pass produced them; LOLA
/// also needs `∇_w l_i`, which the oracle then takes from the per-loss pass.
#[test]
fn rules_agree_with_and_without_the_shared_pass() {
    let game = small_mlp(2);
    let w0: Vec<f64> = game
        .init()
        .iter()
        .zip(pseudo_random(2 * game.player_dim(), 4))
        .map(|(w, r)| w + 0.3 * r)
        .collect();
    let shared = Derivatives::<B, _>::new(&game, Default::default()).unwrap();
    let general = Derivatives::<B, _>::new(&game, Default::default())
        .unwrap()
        .with_shared_forward(false);
    for method in [
        Method::Simgd,
        Method::Aga,
        Method::Sga,
        Method::Consensus,
        Method::Lola,
        Method::Sos,
    ] {
        let rule = RuleConfig::new(method);
        let a = direction(
            &rule,
            &mut shared.oracle(shared.point(&w0).unwrap()).unwrap(),
        )
        .unwrap();
        let b = direction(
            &rule,
            &mut general.oracle(general.point(&w0).unwrap()).unwrap(),
        )
        .unwrap();
        let err = rel_err(&a.value.to_vec(), &b.value.to_vec());
        assert!(err < 1e-12, "{method:?}: {err}");
    }
}

/// Player 0's "output" secretly reads player 1's parameters: the contract is broken, and the
/// check says so.
struct Cheating;

impl<Bk: Backend> Game<Bk> for Cheating {
    fn layout(&self) -> ParamLayout {
        ParamLayout::new(vec![vec![vec![1]], vec![vec![1]]]).unwrap()
    }
    fn losses(&self, p: &Params<Bk>) -> Vec<Tensor<Bk, 1>> {
        let (x, y) = (p.flat(0, 0), p.flat(1, 0));
        let o0 = x.clone() * y.clone();
        vec![o0.clone() * o0.clone() + y.clone(), o0 * y]
    }
    fn player_outputs(&self, p: &Params<Bk>) -> Option<Vec<Tensor<Bk, 1>>> {
        let (x, y) = (p.flat(0, 0), p.flat(1, 0));
        Some(vec![x * y.clone(), y])
    }
    fn losses_of_outputs(&self, o: &[Tensor<Bk, 1>]) -> Vec<Tensor<Bk, 1>> {
        vec![
            o[0].clone() * o[0].clone() + o[1].clone(),
            o[0].clone() * o[1].clone(),
        ]
    }
}

#[test]
fn a_broken_output_contract_is_detected() {
    let engine = Derivatives::<B, _>::new(&Cheating, Default::default()).unwrap();
    let w = engine.point(&[0.7, 1.3]).unwrap();
    let v = engine.vector("v", &[0.4, -0.9]).unwrap();
    let error = engine.shared_forward_error(&w, &v).unwrap().unwrap();
    assert!(error > 1e-3, "the check missed a broken contract: {error}");
    // A game without outputs has nothing to compare.
    let toy = Derivatives::<B, _>::new(&Toy, Default::default()).unwrap();
    let w = toy.point(&[0.5, 0.5]).unwrap();
    assert_eq!(toy.shared_forward_error(&w, &w).unwrap(), None);
}

struct WrongOutputs(usize);

impl<Bk: Backend> Game<Bk> for WrongOutputs {
    fn layout(&self) -> ParamLayout {
        ParamLayout::new(vec![vec![vec![1]], vec![vec![1]]]).unwrap()
    }
    fn losses(&self, p: &Params<Bk>) -> Vec<Tensor<Bk, 1>> {
        vec![p.flat(0, 0), p.flat(1, 0)]
    }
    fn player_outputs(&self, p: &Params<Bk>) -> Option<Vec<Tensor<Bk, 1>>> {
        Some((0..self.0).map(|_| p.flat(0, 0)).collect())
    }
    // No `losses_of_outputs`: the default returns none.
}

#[test]
fn malformed_shared_games_are_clean_errors() {
    let game = WrongOutputs(3);
    let engine = Derivatives::<B, _>::new(&game, Default::default()).unwrap();
    let w = engine.point(&[1.0, 2.0]).unwrap();
    assert_eq!(
        engine.xi(&w).unwrap_err(),
        GameError::WrongOutputCount {
            expected: 2,
            got: 3
        }
    );
    let game = WrongOutputs(2);
    let engine = Derivatives::<B, _>::new(&game, Default::default()).unwrap();
    assert_eq!(
        engine.first_order(&w).unwrap_err(),
        GameError::WrongLossCount {
            expected: 2,
            got: 0
        }
    );
    let _: FlatTensor<B> = w;
}
