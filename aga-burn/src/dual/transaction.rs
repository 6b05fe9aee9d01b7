//! Transactions of [`Dual`]: Burn's default (reads go through `float_into_data`, i.e. primals).

use super::Dual;
use burn_backend::{ops::TransactionOps, Backend};

impl<B: Backend> TransactionOps<Self> for Dual<B> {}
