//! The primal tape (`aga_burn::dual::tape`): the `H_c ξ_c` pass that takes its primal values
//! from the `ξ_c` pass gives the same bits as the pass that computes them (f64), follows the
//! whole recorded pass, and still matches central differences; a replay that does not match the
//! tape falls back to computing, exactly.

use crate::common;

use aga::burn_backends::CpuF64;
use aga_burn::dual::tape;
use aga_burn::{Derivatives, Game, ParamLayout, Params};
use aga_core::{direction, Method, RuleConfig};
use aga_games::MlpGame;
use burn::tensor::activation::{relu, sigmoid};
use burn::tensor::module::conv2d;
use burn::tensor::ops::ConvOptions;
use burn::tensor::{backend::Backend, Distribution, Tensor};
use common::rel_err;

/// Two players coupled through a convolution: player 0 owns a 3×3 convolution (2 channels,
/// with bias), player 1 a linear read-out; both losses depend on both players. It goes through
/// every kind of taped op: convolution, product, element-wise arithmetic and scalars, `tanh`,
/// `exp`, `log`, `sigmoid`, `relu`'s mask, sums and means.
struct ConvGame;

impl ConvGame {
    fn input<B: Backend>(device: &B::Device) -> Tensor<B, 4> {
        // Fixed values from a formula (no random numbers): 4 images, 1 channel, 6×6.
        let values: Vec<f64> = (0..144)
            .map(|k| ((k * 29 % 17) as f64 - 8.0) / 9.0)
            .collect();
        Tensor::<B, 1>::from_floats(values.as_slice(), device).reshape([4, 1, 6, 6])
    }
}

impl<B: Backend> Game<B> for ConvGame {
    fn layout(&self) -> ParamLayout {
        ParamLayout::new(vec![vec![vec![2, 1, 3, 3], vec![2]], vec![vec![32, 3]]]).unwrap()
    }

    fn losses(&self, p: &Params<B>) -> Vec<Tensor<B, 1>> {
        let (w, b, r) = (p.get::<4>(0, 0), p.get::<1>(0, 1), p.get::<2>(1, 0));
        let x = Self::input::<B>(&w.device());
        let h = conv2d(
            x,
            w.clone(),
            Some(b),
            ConvOptions::new([1, 1], [0, 0], [1, 1], 1),
        );
        let features = h.tanh().reshape([4, 32]);
        let z = features.matmul(r.clone()); // [4, 3]
        let l1 = (sigmoid(z.clone()) * z.clone()).mean() + (w.clone() * w).sum().mul_scalar(0.05);
        let soft = (z.clone().exp() + 1.0).log(); // softplus
        let l2 = (soft - relu(z.clone()) * 0.5).mean() / (r.powf_scalar(2.0).sum() + 1.0);
        vec![l1.reshape([1]), l2.reshape([1])]
    }
}

/// [`ConvGame`] with a collective loss of its own, `l_c = l_1 + l_2 / 2` (not `Σ_i l_i`), as
/// the PPO game of `aga-rl` has one: `ξ_c` costs a pass of its own, and the oracle records it.
struct OwnCollectiveLoss;

impl<B: Backend> Game<B> for OwnCollectiveLoss {
    fn layout(&self) -> ParamLayout {
        <ConvGame as Game<B>>::layout(&ConvGame)
    }

    fn losses(&self, p: &Params<B>) -> Vec<Tensor<B, 1>> {
        ConvGame.losses(p)
    }

    fn has_collective_loss(&self) -> bool {
        true
    }

    fn collective_loss(&self, p: &Params<B>) -> Option<Tensor<B, 1>> {
        let mut l = ConvGame.losses(p);
        let l2 = l.pop()?;
        Some(l.pop()? + l2.mul_scalar(0.5))
    }
}

fn point(dim: usize, seed: usize) -> Vec<f64> {
    (0..dim)
        .map(|k| (((k + seed) * 37 % 23) as f64 - 11.0) / 25.0)
        .collect()
}

/// `(ξ_c, H_c ξ_c)` with and without the tape are the same bits, and the replay used every
/// recorded value.
fn same_bits_with_and_without_the_tape<G: Game<aga_burn::HvpBackend<CpuF64>>>(game: &G, w: &[f64]) {
    let taped = Derivatives::<CpuF64, _>::new(game, Default::default()).unwrap();
    let plain = Derivatives::<CpuF64, _>::new(game, Default::default())
        .unwrap()
        .with_primal_tape(false);
    let point = taped.point(w).unwrap();
    let with = taped.collective_curvature(&point).unwrap();
    let without = plain.collective_curvature(&point).unwrap();
    let stats = with.replay.expect("the tape is on by default");
    assert!(
        stats.complete() && stats.replayed > 10,
        "the replay followed the recorded pass: {stats:?}"
    );
    assert!(without.replay.is_none());
    let (a, b) = (with.hvp.to_vec(), without.hvp.to_vec());
    assert!(a.iter().all(|x| x.is_finite()) && a.iter().any(|&x| x != 0.0));
    assert_eq!(a, b, "H_c ξ_c with the tape");
    assert_eq!(with.xi_c.to_vec(), without.xi_c.to_vec(), "ξ_c");
    // And both are the engine's plain H_c v along ξ_c.
    let again = plain
        .hvp_collective(&point, &without.xi_c)
        .unwrap()
        .to_vec();
    assert_eq!(a, again);
}

#[test]
fn the_tape_changes_no_bit_of_h_c_xi_c_on_a_convolution_game() {
    let layout = <ConvGame as Game<CpuF64>>::layout(&ConvGame);
    same_bits_with_and_without_the_tape(&ConvGame, &point(layout.dim(), 3));
}

/// Hidden activations of 128 × 64: `Dual`'s fused kernels run, and with the tape their
/// tangent-only forms (`ȧb + aḃ`, `(1 − y²)ẋ`).
#[test]
fn the_tape_changes_no_bit_of_h_c_xi_c_on_the_mlp_game() {
    let game = MlpGame::new(2, 8, 64, 128, 5).unwrap();
    same_bits_with_and_without_the_tape(&game, &game.init());
}

/// Against central differences of `ξ_c` along `ξ_c` (independent of the tape).
#[test]
fn h_c_xi_c_from_the_tape_matches_central_differences() {
    let engine = Derivatives::<CpuF64, _>::new(&ConvGame, Default::default()).unwrap();
    let w0 = point(engine.layout().dim(), 7);
    let curvature = engine
        .collective_curvature(&engine.point(&w0).unwrap())
        .unwrap();
    let v = curvature.xi_c.to_vec();
    let h = 1e-5;
    let xi_c_at = |s: f64| {
        let p: Vec<f64> = w0.iter().zip(&v).map(|(a, b)| a + s * b).collect();
        engine.xi_c(&engine.point(&p).unwrap()).unwrap().to_vec()
    };
    let (plus, minus) = (xi_c_at(h), xi_c_at(-h));
    let fd: Vec<f64> = plus
        .iter()
        .zip(&minus)
        .map(|(a, b)| (a - b) / (2.0 * h))
        .collect();
    let got = curvature.hvp.to_vec();
    let err = rel_err(&got, &fd);
    assert!(err < 1e-7, "H_c ξ_c against central differences: {err:e}");
}

/// AgA through the oracle, which records and replays on a game with its own collective loss,
/// against AgA on an engine without the tape: the same bits.
#[test]
fn aga_directions_are_the_same_bits_with_the_tape() {
    let taped = Derivatives::<CpuF64, _>::new(&OwnCollectiveLoss, Default::default()).unwrap();
    let plain = Derivatives::<CpuF64, _>::new(&OwnCollectiveLoss, Default::default())
        .unwrap()
        .with_primal_tape(false);
    let w0 = point(taped.layout().dim(), 5);
    for (rule, config) in [
        ("aga", RuleConfig::new(Method::Aga).with_lambda(0.7)),
        (
            "aga without the sign rule",
            RuleConfig::new(Method::Aga)
                .with_lambda(-0.3)
                .with_align(false),
        ),
    ] {
        let mut oracle = taped.oracle(taped.point(&w0).unwrap()).unwrap();
        let a = direction(&config, &mut oracle).unwrap();
        let stats = oracle.replay_stats().expect("the oracle replays the tape");
        assert!(stats.complete() && stats.replayed > 10, "{stats:?}");
        let mut untaped = plain.oracle(plain.point(&w0).unwrap()).unwrap();
        let b = direction(&config, &mut untaped).unwrap();
        assert_eq!(untaped.replay_stats(), None);
        let (a, b) = (a.value.to_vec(), b.value.to_vec());
        assert!(a.iter().all(|x| x.is_finite()) && a.iter().any(|&x| x != 0.0));
        assert_eq!(a, b, "{rule}");
    }
}

/// Where `ξ_c` comes with `ξ` — the toy game's per-loss pass, the MLP game's shared forward
/// pass — AgA takes no extra pass for the tape.
#[test]
fn the_oracle_skips_the_tape_where_xi_c_comes_with_xi() {
    let toy = Derivatives::<CpuF64, _>::new(&aga_games::Toy, Default::default()).unwrap();
    let mlp_game = MlpGame::new(2, 6, 16, 64, 9).unwrap();
    let mlp = Derivatives::<CpuF64, _>::new(&mlp_game, Default::default()).unwrap();
    let rule = RuleConfig::new(Method::Aga);
    let mut oracle = toy.oracle(toy.point(&[0.3, -0.8]).unwrap()).unwrap();
    let value = direction(&rule, &mut oracle).unwrap().value.to_vec();
    assert!(value.iter().all(|x| x.is_finite()));
    assert_eq!(oracle.replay_stats(), None);
    let mut oracle = mlp.oracle(mlp.point(&mlp_game.init()).unwrap()).unwrap();
    let value = direction(&rule, &mut oracle).unwrap().value.to_vec();
    assert!(value.iter().all(|x| x.is_finite()));
    assert_eq!(oracle.replay_stats(), None);
}

/// A pass that draws random numbers through Burn is not deterministic: its recording keeps
/// nothing, so its replay computes every primal itself.
#[test]
fn a_pass_with_random_numbers_records_nothing() {
    type D = aga_burn::Dual<CpuF64>;
    let device = Default::default();
    let a = Tensor::<D, 2>::random([5, 4], Distribution::Default, &device);
    let b = Tensor::<D, 2>::random([4, 3], Distribution::Default, &device);
    let noisy = |x: Tensor<D, 2>, y: Tensor<D, 2>| {
        let h = x.matmul(y).tanh();
        let mask = Tensor::<D, 2>::random([5, 3], Distribution::Default, &h.device());
        (h * mask).sum()
    };
    let (_, tape) = tape::record(|| noisy(a.clone(), b.clone()));
    assert!(tape.is_empty(), "{tape:?}");
    let (out, stats) = tape::replay(&tape, || noisy(a.clone(), b.clone()));
    assert_eq!(stats.replayed, 0);
    assert!(!stats.complete());
    assert!(out.into_scalar().is_finite());
}

/// A replay of a different computation (other shapes, then another op) stops at the first
/// mismatch and computes the rest itself: the result is the untaped one.
#[test]
fn a_replay_that_does_not_match_the_tape_computes_exactly() {
    type D = aga_burn::Dual<CpuF64>;
    let device = Default::default();
    let a = Tensor::<D, 2>::random([5, 4], Distribution::Default, &device);
    let b = Tensor::<D, 2>::random([4, 3], Distribution::Default, &device);
    let c = Tensor::<D, 2>::random([4, 4], Distribution::Default, &device);
    let recorded = |x: Tensor<D, 2>, y: Tensor<D, 2>| (x.matmul(y).tanh() * 2.0).sum();
    let (_, tape) = tape::record(|| recorded(a.clone(), b.clone()));
    assert!(
        tape.len() >= 3,
        "matmul, tanh, scalar product, sum: {tape:?}"
    );
    // Other shapes at the first op.
    let other = |x: Tensor<D, 2>, y: Tensor<D, 2>| (x.matmul(y).tanh() * 2.0).sum();
    let (out, stats) = tape::replay(&tape, || other(a.clone(), c.clone()));
    assert_eq!(stats.diverged_at, Some(0));
    assert_eq!(stats.replayed, 0);
    let expect = other(a.clone(), c.clone());
    assert_eq!(
        out.into_data().to_vec::<f64>().unwrap(),
        expect.into_data().to_vec::<f64>().unwrap()
    );
    // Same first op, then `exp` where `tanh` was recorded.
    let changed = |x: Tensor<D, 2>, y: Tensor<D, 2>| (x.matmul(y).exp() * 2.0).sum();
    let (out, stats) = tape::replay(&tape, || changed(a.clone(), b.clone()));
    assert_eq!((stats.replayed, stats.diverged_at), (1, Some(1)));
    assert!(!stats.complete());
    let expect = changed(a.clone(), b.clone());
    assert_eq!(
        out.into_data().to_vec::<f64>().unwrap(),
        expect.into_data().to_vec::<f64>().unwrap()
    );
    // The same computation follows the tape to its end.
    let (out, stats) = tape::replay(&tape, || recorded(a.clone(), b.clone()));
    assert!(stats.complete(), "{stats:?}");
    assert_eq!(
        out.into_data().to_vec::<f64>().unwrap(),
        recorded(a, b).into_data().to_vec::<f64>().unwrap()
    );
}
