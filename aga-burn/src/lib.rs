//! Exact derivatives of differentiable games on Burn.
pub mod dual;
pub use dual::{Dual, DualTensor};
