use crate::{AllReduce, ParallelError};
use aga_core::{thread_reducers, Reducer, ThreadReducer};

/// The [`AllReduce`] of one worker thread among several of one process (from
/// [`local_all_reduce`]). The sum is taken in rank order, the same on every thread.
pub struct LocalAllReduce {
    inner: ThreadReducer<Vec<f64>>,
    world_size: usize,
}

/// `n` connected [`LocalAllReduce`]s, one per worker thread (rank `k` is element `k`).
pub fn local_all_reduce(n: usize) -> Result<Vec<LocalAllReduce>, ParallelError> {
    let reducers = thread_reducers::<Vec<f64>>(&vec![1.0; n])
        .map_err(|e| ParallelError::BadConfig(e.to_string()))?;
    Ok(reducers
        .into_iter()
        .map(|inner| LocalAllReduce {
            inner,
            world_size: n,
        })
        .collect())
}

impl AllReduce for LocalAllReduce {
    fn rank(&self) -> usize {
        self.inner.rank()
    }

    fn world_size(&self) -> usize {
        self.world_size
    }

    fn sum(&mut self, values: Vec<f64>) -> Result<Vec<f64>, ParallelError> {
        self.inner
            .weighted_sum_scalars(values)
            .map_err(|e| ParallelError::Transport(e.to_string()))
    }
}
