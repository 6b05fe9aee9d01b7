use crate::ParallelError;
use aga_burn::FlatTensor;
use burn::tensor::backend::Backend;

/// An element-wise sum of vectors over every worker of a data-parallel run. Every worker gets
/// the same result to the bit, and every worker must make the same calls in the same order
/// with vectors of the same length.
pub trait AllReduce: Send + Sync {
    /// This worker's rank, `0..world_size`.
    fn rank(&self) -> usize;

    /// The number of workers.
    fn world_size(&self) -> usize;

    /// `Σ_k values_k` over the workers `k`, entry by entry.
    fn sum(&mut self, values: Vec<f64>) -> Result<Vec<f64>, ParallelError>;

    /// What the reductions so far cost this worker.
    fn stats(&self) -> ReduceStats {
        ReduceStats::default()
    }
}

/// The reductions a worker made: how many, how many numbers, and the wall-clock time it spent
/// in them (the transfer, and waiting for the slowest worker to arrive).
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct ReduceStats {
    /// Calls of [`AllReduce::sum`].
    pub calls: u64,
    /// Numbers summed, over all calls.
    pub values: u64,
    /// Seconds spent in the calls.
    pub seconds: f64,
}

/// One minibatch's [`aga_core::Reducer`] over an [`AllReduce`]: this worker's values weighed by
/// `weight` (its share `M_k / M` of the minibatch's samples), then summed over the workers.
pub struct Weighted<'a> {
    /// The transport.
    pub all_reduce: &'a mut dyn AllReduce,
    /// This worker's weight.
    pub weight: f64,
}

impl Weighted<'_> {
    /// `Σ_k weight_k · values_k` over the workers.
    pub fn sum(&mut self, values: Vec<f64>) -> Result<Vec<f64>, ParallelError> {
        let w = self.weight;
        self.all_reduce
            .sum(values.into_iter().map(|x| w * x).collect())
    }
}

impl<B: Backend> aga_core::Reducer<FlatTensor<B>> for Weighted<'_> {
    type Error = ParallelError;

    fn weighted_sum(&mut self, value: FlatTensor<B>) -> Result<FlatTensor<B>, ParallelError> {
        let device = value.0.device();
        let summed = self.sum(value.to_vec())?;
        Ok(FlatTensor::from_f64(&summed, &device))
    }

    fn weighted_sum_scalars(&mut self, values: Vec<f64>) -> Result<Vec<f64>, ParallelError> {
        self.sum(values)
    }
}

/// A 64-bit FNV-1a fingerprint of `bytes` (for [`check_same`]).
pub fn fingerprint(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |h, &b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    })
}

/// Checks that every worker holds the same `fingerprint` (of its configuration, or of its
/// initial parameters): its eight bytes and their squares are summed over the workers, and
/// `Σ x = N x̄`, `Σ x² = N x̄²` holds for every byte only when every worker's byte is the
/// same (zero variance). The sums are exact in `f64`. `what` names it in the error.
pub fn check_same(
    all_reduce: &mut dyn AllReduce,
    fingerprint: u64,
    what: &str,
) -> Result<(), ParallelError> {
    let bytes = fingerprint.to_le_bytes();
    let mut values: Vec<f64> = bytes.iter().map(|&b| f64::from(b)).collect();
    values.extend(bytes.iter().map(|&b| f64::from(b) * f64::from(b)));
    let n = all_reduce.world_size() as f64;
    let sums = all_reduce.sum(values.clone())?;
    let same = values
        .iter()
        .zip(&sums)
        .all(|(&mine, &sum)| sum == n * mine);
    if same {
        Ok(())
    } else {
        Err(ParallelError::Mismatch(format!(
            "worker {} has a different {what} from another worker",
            all_reduce.rank()
        )))
    }
}
