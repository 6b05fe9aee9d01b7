//! The thread transport and the helpers on top of any transport: sums, weighted sums,
//! fingerprint checks (against hand-computed values).

use aga_burn::FlatTensor;
use aga_core::Reducer;
use aga_parallel::{check_same, fingerprint, local_all_reduce, AllReduce, ParallelError, Weighted};
use burn::backend::NdArray;

type B = NdArray<f64>;

/// Run `f(rank, transport)` on `n` threads; the results in rank order.
fn on_threads<T: Send>(n: usize, f: impl Fn(usize, &mut dyn AllReduce) -> T + Sync) -> Vec<T> {
    std::thread::scope(|s| {
        let handles: Vec<_> = local_all_reduce(n)
            .unwrap()
            .into_iter()
            .enumerate()
            .map(|(rank, mut ar)| {
                let f = &f;
                s.spawn(move || f(rank, &mut ar))
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    })
}

#[test]
fn sums_and_weighted_sums_are_the_same_on_every_worker() {
    let out = on_threads(3, |rank, ar| {
        let r = rank as f64;
        let plain = ar.sum(vec![r, 10.0 * r]).unwrap();
        // Means of shards of 1, 2 and 5 samples: weights 1/8, 2/8, 5/8.
        let weight = [1.0, 2.0, 5.0][rank] / 8.0;
        let mut w = Weighted {
            all_reduce: ar,
            weight,
        };
        let v = FlatTensor::<B>::from_f64(&[r + 1.0, -r], &Default::default());
        let weighted = w.weighted_sum(v).unwrap().to_vec();
        let scalars = w.sum(vec![2.0 * r]).unwrap();
        (plain, weighted, scalars)
    });
    for (plain, weighted, scalars) in out {
        assert_eq!(plain, vec![3.0, 30.0]);
        // (1·1 + 2·2 + 5·3)/8 and (0·1 − 1·2 − 2·5)/8.
        assert_eq!(weighted, vec![20.0 / 8.0, -12.0 / 8.0]);
        assert_eq!(scalars, vec![(0.0 + 2.0 * 2.0 + 5.0 * 4.0) / 8.0]);
    }
}

#[test]
fn fingerprints_that_differ_anywhere_are_caught() {
    assert_ne!(fingerprint(b"lr 0.01"), fingerprint(b"lr 0.02"));
    // Equal everywhere: accepted on every worker.
    let same = on_threads(3, |_, ar| {
        check_same(ar, 0xDEAD_BEEF, "configuration").is_ok()
    });
    assert!(same.iter().all(|&ok| ok));
    // Bytes 2, 1 and 3 sum to 3 × 2 (the first worker's): the sums of squares catch it.
    let caught = on_threads(3, |rank, ar| {
        let fp = [2u64, 1, 3][rank];
        match check_same(ar, fp, "configuration") {
            Err(ParallelError::Mismatch(m)) => m.contains("different configuration"),
            _ => false,
        }
    });
    assert!(caught.iter().all(|&c| c), "{caught:?}");
}

#[test]
fn a_transport_with_a_bad_shape_of_world_is_refused() {
    assert!(local_all_reduce(0).is_err());
}
