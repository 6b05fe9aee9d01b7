//! Data-parallel reductions for `aga`.
//!
//! A data-parallel worker holds every player's parameters and a shard of the batch; the rules
//! of `aga-core` see the whole batch's derivatives through [`aga_core::ReducedOracle`], which
//! asks a [`aga_core::Reducer`] for weighted sums over the workers. This crate provides the
//! transports:
//!
//! - [`AllReduce`]: an element-wise sum of `f64` vectors over the workers, the same bits on
//!   every worker;
//! - [`LocalAllReduce`]: between threads of one process (tests, and a machine's threads);
//! - `CollectiveAllReduce` (cargo feature `collective`): between processes and machines, on
//!   Burn's `burn-collective`
//!   (a coordinator that every worker registers with, and a tree all-reduce between the
//!   workers' data services), with a deadline on every call so that a dead or missing worker
//!   is an error, never a hang;
//! - [`Weighted`]: an [`AllReduce`] seen as the [`aga_core::Reducer`] of one minibatch,
//!   weighing this worker's values by its share of the minibatch's samples.
//!
//! The sums travel as `f64` whatever the training's float type: a worker's `f32` value is
//! exact in `f64`, the sum of two is exact, and its rounding to `f32` is the correctly
//! rounded sum. With two workers every strategy adds one pair, so the order of additions is
//! fixed; with more, burn-collective's tree adds in arrival order (the result is still the
//! same on every worker).

mod all_reduce;
#[cfg(feature = "collective")]
mod collective;
mod error;
mod local;

pub use all_reduce::{check_same, fingerprint, AllReduce, ReduceStats, Weighted};
#[cfg(feature = "collective")]
pub use collective::{CollectiveAllReduce, CollectiveConfig};
pub use error::ParallelError;
pub use local::{local_all_reduce, LocalAllReduce};
