//! Data parallelism (`ReducedOracle`, `ThreadReducer`): workers holding shards of a batch, their
//! derivatives summed with the shards' weights, give every rule the direction of one process
//! holding the whole batch — to rounding, and the same bits on every worker.
//!
//! The batch: samples that are each a quadratic game (random `Q_i^s`, `b_i^s`); the batch's
//! game is their mean, so a shard's is the mean over its samples, and the batch's derivatives
//! are the shard means weighted by `M_k / M`. The reference is the mean game's closed form
//! (`aga_testing::QuadraticGame`), never the reduction.

use aga_core::{
    direction, thread_reducers, GameOracle, Method, ReducedOracle, Reducer, RuleConfig,
    ShapedOracle, Svo, ThreadReduceError,
};
use aga_testing::{assert_close, QuadraticGame};
use proptest::prelude::*;

/// A sample game on 3 parameters, players owning `0..2` and `2..3`, from 2 × 3 × 3 + 2 × 3
/// numbers in `[-1, 1]`.
fn sample(numbers: &[f64]) -> QuadraticGame {
    let mut k = 0;
    let mut next = || {
        k += 1;
        numbers[k - 1]
    };
    let mut q = Vec::new();
    for _ in 0..2 {
        let mut m = vec![vec![0.0; 3]; 3];
        for (r, c) in (0..3).flat_map(|r| (r..3).map(move |c| (r, c))) {
            let x = next();
            m[r][c] = x;
            m[c][r] = x;
        }
        q.push(m);
    }
    let b = (0..2).map(|_| (0..3).map(|_| next()).collect()).collect();
    QuadraticGame {
        q,
        b,
        blocks: vec![0..2, 2..3],
    }
}

/// The mean game of `samples`.
fn mean(samples: &[QuadraticGame]) -> QuadraticGame {
    let m = samples.len() as f64;
    let mut g = samples[0].clone();
    for (i, q) in g.q.iter_mut().enumerate() {
        for (r, row) in q.iter_mut().enumerate() {
            for (c, x) in row.iter_mut().enumerate() {
                *x = samples.iter().map(|s| s.q[i][r][c]).sum::<f64>() / m;
            }
        }
    }
    for (i, b) in g.b.iter_mut().enumerate() {
        for (k, x) in b.iter_mut().enumerate() {
            *x = samples.iter().map(|s| s.b[i][k]).sum::<f64>() / m;
        }
    }
    g
}

/// Each worker's direction under `rule` (and SVO's shaping when asked), its shard
/// `samples[splits[k]..splits[k + 1]]`, weighted by `weights` (the shards' shares when `None`).
fn worker_directions(
    rule: &RuleConfig,
    samples: &[QuadraticGame],
    splits: &[usize],
    weights: Option<Vec<f64>>,
    svo: bool,
    w: &[f64],
) -> Vec<Vec<f64>> {
    let total = samples.len() as f64;
    let shards: Vec<QuadraticGame> = splits
        .windows(2)
        .map(|s| mean(&samples[s[0]..s[1]]))
        .collect();
    let weights = weights.unwrap_or_else(|| {
        splits
            .windows(2)
            .map(|s| (s[1] - s[0]) as f64 / total)
            .collect()
    });
    let reducers = thread_reducers::<Vec<f64>>(&weights).unwrap();
    std::thread::scope(|scope| {
        let handles: Vec<_> = reducers
            .into_iter()
            .zip(&shards)
            .map(|(mut reducer, shard)| {
                scope.spawn(move || {
                    let reduced = ReducedOracle::new(shard.at(w.to_vec()), &mut reducer);
                    let mut shaped = ShapedOracle::maybe(reduced, svo.then(Svo::default));
                    direction(rule, &mut shaped).unwrap().value
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    })
}

fn rules() -> Vec<RuleConfig> {
    Method::ALL
        .into_iter()
        .map(|m| RuleConfig::new(m).with_lambda(0.7).with_alpha(0.3))
        .collect()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]

    /// Every rule (and SVO's shaping over the batch's losses) on 2–3 workers with unequal
    /// shards equals the rule on the whole batch.
    #[test]
    fn shards_reduced_give_the_whole_batch_direction(
        numbers in prop::collection::vec(-1.0f64..1.0, 8 * 18),
        w in prop::collection::vec(-2.0f64..2.0, 3),
        cut in 1usize..7,
        three in any::<bool>(),
    ) {
        let samples: Vec<QuadraticGame> = numbers.chunks(18).map(sample).collect();
        let splits = if three && cut < 6 { vec![0, cut, cut + 2, 8] } else { vec![0, cut, 8] };
        let whole = mean(&samples);
        for rule in rules() {
            for svo in [false, true] {
                let mut alone = ShapedOracle::maybe(whole.at(w.clone()), svo.then(Svo::default));
                let expected = direction(&rule, &mut alone).unwrap().value;
                let got = worker_directions(&rule, &samples, &splits, None, svo, &w);
                for d in &got {
                    assert_close(d, &expected, 1e-12);
                    // The same bits on every worker: they sum the same values in one order.
                    prop_assert_eq!(d, &got[0]);
                }
            }
        }
    }
}

/// The weights matter: with unequal shards, equal weights give another direction (the test
/// above would pass with any weights if the reduction ignored them).
#[test]
fn equal_weights_on_unequal_shards_are_wrong() {
    let numbers: Vec<f64> = (0..8 * 18)
        .map(|k| ((k * 37 % 101) as f64 / 50.0) - 1.0)
        .collect();
    let samples: Vec<QuadraticGame> = numbers.chunks(18).map(sample).collect();
    let w = [0.3, -1.1, 0.8];
    let rule = RuleConfig::new(Method::Aga).with_lambda(0.7);
    let expected = direction(&rule, &mut mean(&samples).at(w.to_vec()))
        .unwrap()
        .value;
    let right = worker_directions(&rule, &samples, &[0, 2, 8], None, false, &w);
    assert_close(&right[0], &expected, 1e-12);
    let wrong = worker_directions(&rule, &samples, &[0, 2, 8], Some(vec![0.5, 0.5]), false, &w);
    let err = aga_testing::rel_err(&wrong[0], &expected);
    assert!(err > 1e-3, "equal weights should not match: {err}");
}

/// One worker with weight 1 is the plain oracle, to the bit; a reducer counts its calls the
/// same on every worker (three all-reduces of `d` numbers for AgA: `ξ`, `ξ_c`, `H_c ξ_c`).
#[test]
fn one_worker_is_the_plain_oracle_and_aga_reduces_three_vectors() {
    struct Counting<R>(R, usize);
    impl<R: Reducer<Vec<f64>>> Reducer<Vec<f64>> for Counting<R> {
        type Error = R::Error;
        fn weighted_sum(&mut self, v: Vec<f64>) -> Result<Vec<f64>, R::Error> {
            self.1 += 1;
            self.0.weighted_sum(v)
        }
        fn weighted_sum_scalars(&mut self, v: Vec<f64>) -> Result<Vec<f64>, R::Error> {
            self.0.weighted_sum_scalars(v)
        }
    }
    let game = QuadraticGame::two_player_example();
    for method in Method::ALL {
        let rule = RuleConfig::new(method);
        let alone = direction(&rule, &mut game.at(vec![1.0, -2.0])).unwrap();
        let mut reducer = Counting(thread_reducers(&[1.0]).unwrap().remove(0), 0);
        let mut oracle = ReducedOracle::new(game.at(vec![1.0, -2.0]), &mut reducer);
        let reduced = direction(&rule, &mut oracle).unwrap();
        assert_eq!(reduced.value, alone.value, "{method:?}");
        assert_eq!(oracle.num_players(), 2);
        if method == Method::Aga {
            assert_eq!(reducer.1, 3, "AgA: ξ, ξ_c, H_c ξ_c");
        }
    }
}

#[test]
fn bad_weights_are_errors() {
    for weights in [vec![], vec![0.5, 0.0], vec![1.0, f64::NAN], vec![-1.0]] {
        let err = thread_reducers::<Vec<f64>>(&weights).unwrap_err();
        assert!(matches!(err, ThreadReduceError::BadWeights(ref w) if w.len() == weights.len()));
        assert!(err.to_string().contains("finite and positive"), "{err}");
    }
}
