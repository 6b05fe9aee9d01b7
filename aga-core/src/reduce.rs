//! Data parallelism: a game whose losses are means over samples, its samples split over workers.
//!
//! Each worker holds every player's parameters and a shard of the batch. Its oracle answers for
//! its shard: `ξ^(k)`, `ξ_c^(k)`, `H^(k) v`, … — each a mean over its `M_k` samples. The batch's
//! are the weighted sums `Σ_k (M_k / M) · ξ^(k)` (means of means, weighted by the shards' sizes),
//! and since every derivative is linear in the samples, the same holds for every Hessian-vector
//! product **as long as `v` is the same on every worker**. [`ReducedOracle`] makes that so: it
//! replaces each vector (and the losses) its inner oracle returns by the weighted sum over the
//! workers, through a [`Reducer`] (an all-reduce). The rules then see the batch's derivatives and
//! ask for `H_c ξ_c` along the *reduced* `ξ_c`, which every worker holds identically, so every
//! worker computes the same direction, the sign rule included, and the same optimiser step.
//!
//! One AgA step costs three all-reduces of `d` numbers (`ξ`, `ξ_c`, `H_c ξ_c`) and one of `n`
//! (the losses, where asked); SGA's and consensus's one more each (`Hᵀ ξ`, `H ξ`).
//!
//! [`ThreadReducer`] is the reduction between threads of one process; a reduction between
//! processes or machines implements [`Reducer`] over its transport.

use crate::{GameOracle, GameVector};
use std::sync::{Arc, Barrier, Mutex};
use thiserror::Error;

/// Combines one worker's value with the other workers': `Σ_k weight_k · value_k` over every
/// worker `k`, the same result (to the bit) on every worker. Every worker must make the same
/// calls in the same order.
pub trait Reducer<V> {
    /// What can go wrong (a worker gone, a transport error).
    type Error: std::error::Error + Send + Sync + 'static;

    /// The weighted sum of `value` over the workers.
    fn weighted_sum(&mut self, value: V) -> Result<V, Self::Error>;

    /// The weighted sum of a few numbers over the workers (the losses), entry by entry.
    fn weighted_sum_scalars(&mut self, values: Vec<f64>) -> Result<Vec<f64>, Self::Error>;
}

/// An error of a [`ReducedOracle`]: from the game, or from the reduction.
#[derive(Debug, Error)]
pub enum ReducedError<G: std::error::Error + 'static, R: std::error::Error + 'static> {
    /// The worker's own evaluation of its shard failed.
    #[error(transparent)]
    Game(G),
    /// Combining with the other workers failed.
    #[error("data-parallel reduction failed: {0}")]
    Reduce(R),
}

/// The oracle of the whole batch, seen from one worker: every quantity of `inner` (this
/// worker's shard) summed over the workers by `reducer` (module docs).
///
/// ```
/// use aga_core::{direction, thread_reducers, Method, ReducedOracle, RuleConfig};
/// # use aga_testing::QuadraticGame;
/// // One worker holding the whole batch (weight 1): the reduction changes nothing.
/// let game = QuadraticGame::two_player_example();
/// let mut reducer = thread_reducers::<Vec<f64>>(&[1.0]).unwrap().remove(0);
/// let rule = RuleConfig::new(Method::Aga);
/// let alone = direction(&rule, &mut game.at(vec![1.0, 2.0])).unwrap();
/// let reduced = direction(&rule, &mut ReducedOracle::new(game.at(vec![1.0, 2.0]), &mut reducer));
/// assert_eq!(reduced.unwrap().value, alone.value);
/// ```
///
/// `ξ`, `ξ_c` and the losses are reduced once and kept: asking again (a caller's diagnostics
/// after the rule) costs no further reduction.
pub struct ReducedOracle<'r, O: GameOracle, R> {
    inner: O,
    reducer: &'r mut R,
    xi: Option<O::Vector>,
    xi_c: Option<O::Vector>,
    losses: Option<Vec<f64>>,
}

impl<'r, O: GameOracle, R> ReducedOracle<'r, O, R> {
    /// Reduce `inner`'s answers through `reducer`.
    pub fn new(inner: O, reducer: &'r mut R) -> Self {
        Self {
            inner,
            reducer,
            xi: None,
            xi_c: None,
            losses: None,
        }
    }

    /// The worker's own oracle.
    pub fn inner(&mut self) -> &mut O {
        &mut self.inner
    }

    /// The reduced `ξ_c` if it has been asked for (no reduction of its own).
    pub fn reduced_xi_c(&self) -> Option<&O::Vector> {
        self.xi_c.as_ref()
    }
}

type Reduced<T, O, R> = Result<
    T,
    ReducedError<<O as GameOracle>::Error, <R as Reducer<<O as GameOracle>::Vector>>::Error>,
>;

impl<O, R> ReducedOracle<'_, O, R>
where
    O: GameOracle,
    R: Reducer<O::Vector>,
{
    fn reduce(&mut self, local: Result<O::Vector, O::Error>) -> Reduced<O::Vector, O, R> {
        let local = local.map_err(ReducedError::Game)?;
        self.reducer
            .weighted_sum(local)
            .map_err(ReducedError::Reduce)
    }
}

impl<O, R> GameOracle for ReducedOracle<'_, O, R>
where
    O: GameOracle,
    R: Reducer<O::Vector>,
{
    type Vector = O::Vector;
    type Error = ReducedError<O::Error, R::Error>;

    fn xi(&mut self) -> Reduced<O::Vector, O, R> {
        if let Some(xi) = &self.xi {
            return Ok(xi.clone());
        }
        let local = self.inner.xi();
        let xi = self.reduce(local)?;
        self.xi = Some(xi.clone());
        Ok(xi)
    }

    fn xi_c(&mut self) -> Reduced<O::Vector, O, R> {
        if let Some(xi_c) = &self.xi_c {
            return Ok(xi_c.clone());
        }
        let local = self.inner.xi_c();
        let xi_c = self.reduce(local)?;
        self.xi_c = Some(xi_c.clone());
        Ok(xi_c)
    }

    fn hvp(&mut self, v: &O::Vector) -> Reduced<O::Vector, O, R> {
        let local = self.inner.hvp(v);
        self.reduce(local)
    }

    fn hvp_transpose(&mut self, v: &O::Vector) -> Reduced<O::Vector, O, R> {
        let local = self.inner.hvp_transpose(v);
        self.reduce(local)
    }

    fn hvp_collective(&mut self, v: &O::Vector) -> Reduced<O::Vector, O, R> {
        let local = self.inner.hvp_collective(v);
        self.reduce(local)
    }

    // `collective_curvature` keeps the trait's default on purpose: `H_c` must be taken along
    // the reduced `ξ_c`, not along this worker's (which the inner oracle's fused pass would use).

    fn num_players(&self) -> usize {
        self.inner.num_players()
    }

    fn is_separable(&self) -> bool {
        self.inner.is_separable()
    }

    fn project(&self, v: &O::Vector, player: usize) -> O::Vector {
        self.inner.project(v, player)
    }

    fn losses(&mut self) -> Reduced<Vec<f64>, O, R> {
        if let Some(losses) = &self.losses {
            return Ok(losses.clone());
        }
        let local = self.inner.losses().map_err(ReducedError::Game)?;
        let losses = self
            .reducer
            .weighted_sum_scalars(local)
            .map_err(ReducedError::Reduce)?;
        self.losses = Some(losses.clone());
        Ok(losses)
    }

    fn loss_gradients(&mut self) -> Reduced<Vec<O::Vector>, O, R> {
        let local = self.inner.loss_gradients().map_err(ReducedError::Game)?;
        local
            .into_iter()
            .map(|g| self.reducer.weighted_sum(g).map_err(ReducedError::Reduce))
            .collect()
    }

    fn loss_hvps(&mut self, vs: &[O::Vector]) -> Reduced<Vec<O::Vector>, O, R> {
        let local = self.inner.loss_hvps(vs).map_err(ReducedError::Game)?;
        local
            .into_iter()
            .map(|g| self.reducer.weighted_sum(g).map_err(ReducedError::Reduce))
            .collect()
    }
}

/// Errors of [`thread_reducers`] and [`ThreadReducer`].
#[derive(Debug, Error, PartialEq)]
pub enum ThreadReduceError {
    /// No workers, or a weight that is not a finite positive number.
    #[error("data-parallel weights must be finite and positive, one per worker (got {0:?})")]
    BadWeights(Vec<f64>),
    /// Another worker panicked while holding the shared slots.
    #[error("another worker panicked during a reduction")]
    WorkerPanicked,
    /// The workers' values have different shapes (they made different calls).
    #[error("the workers' values differ in length ({0} and {1}): they made different calls")]
    Mismatch(usize, usize),
}

/// One worker's end of a reduction between threads (from [`thread_reducers`]). Each
/// reduction waits until every worker has made it, then every worker sums the weighted
/// values in worker order, so all get the same bits. A worker that stops calling (an error,
/// a panic) leaves the others waiting: the caller must make all workers fail together, as
/// `std::thread::scope` does when one panics.
#[derive(Debug)]
pub struct ThreadReducer<V> {
    rank: usize,
    weight: f64,
    shared: Arc<Shared<V>>,
}

#[derive(Debug)]
struct Shared<V> {
    vectors: Mutex<Vec<Option<V>>>,
    scalars: Mutex<Vec<Option<Vec<f64>>>>,
    barrier: Barrier,
}

/// One [`ThreadReducer`] per worker, worker `k` weighing its values by `weights[k]` (for
/// means over a split batch, the share `M_k / M` of the samples worker `k` holds).
pub fn thread_reducers<V>(weights: &[f64]) -> Result<Vec<ThreadReducer<V>>, ThreadReduceError> {
    if weights.is_empty() || weights.iter().any(|w| !(w.is_finite() && *w > 0.0)) {
        return Err(ThreadReduceError::BadWeights(weights.to_vec()));
    }
    let n = weights.len();
    let shared = Arc::new(Shared {
        vectors: Mutex::new((0..n).map(|_| None).collect()),
        scalars: Mutex::new(vec![None; n]),
        barrier: Barrier::new(n),
    });
    Ok(weights
        .iter()
        .enumerate()
        .map(|(rank, &weight)| ThreadReducer {
            rank,
            weight,
            shared: Arc::clone(&shared),
        })
        .collect())
}

impl<V> ThreadReducer<V> {
    /// This worker's place (0-based) among the workers.
    pub fn rank(&self) -> usize {
        self.rank
    }

    /// Deposit `value` in this worker's slot, wait for every worker, sum the slots in worker
    /// order with `sum`, wait again (so no worker overwrites a slot another is still reading).
    fn all_reduce<T: Clone>(
        &self,
        slots: &Mutex<Vec<Option<T>>>,
        value: T,
        sum: impl Fn(&T, &T) -> Result<T, ThreadReduceError>,
    ) -> Result<T, ThreadReduceError> {
        slots
            .lock()
            .map_err(|_| ThreadReduceError::WorkerPanicked)?[self.rank] = Some(value);
        self.shared.barrier.wait();
        let total = {
            let slots = slots
                .lock()
                .map_err(|_| ThreadReduceError::WorkerPanicked)?;
            let mut values = slots
                .iter()
                .map(|v| v.as_ref().expect("every worker deposited"));
            let first = values.next().expect("at least one worker").clone();
            values.try_fold(first, |acc, v| sum(&acc, v))
        };
        self.shared.barrier.wait();
        total
    }
}

impl<V: GameVector> Reducer<V> for ThreadReducer<V> {
    type Error = ThreadReduceError;

    fn weighted_sum(&mut self, value: V) -> Result<V, ThreadReduceError> {
        let value = value.scaled(self.weight);
        self.all_reduce(&self.shared.vectors, value, |a, b| {
            if a.dim() != b.dim() {
                return Err(ThreadReduceError::Mismatch(a.dim(), b.dim()));
            }
            Ok(a.add_scaled(1.0, b))
        })
    }

    fn weighted_sum_scalars(&mut self, values: Vec<f64>) -> Result<Vec<f64>, ThreadReduceError> {
        let values: Vec<f64> = values.iter().map(|x| self.weight * x).collect();
        self.all_reduce(&self.shared.scalars, values, |a, b| {
            if a.len() != b.len() {
                return Err(ThreadReduceError::Mismatch(a.len(), b.len()));
            }
            Ok(a.iter().zip(b).map(|(x, y)| x + y).collect())
        })
    }
}
