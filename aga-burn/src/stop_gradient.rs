//! Stop-gradients that are exact at second order.
//!
//! A stop-gradient `sg(x)` is a constant: its derivative is zero at every order, as JAX's
//! `jax.lax.stop_gradient` and PyTorch's `detach` are. Policy-gradient surrogates need it — the
//! advantage, the old log-probabilities and the baseline are constants of
//! `−Σ log π_θ(a) · sg(A)` — and so does every Hessian-vector product of such a surrogate.
//!
//! On `aga`'s Hessian-vector-product backend `Autodiff<Dual<B>>`, Burn's own
//! [`Tensor::detach`] is **not** such a constant: burn-autodiff's `detach` removes the tensor
//! from the reverse graph but keeps the inner `Dual` tensor as it is, tangent included. The
//! gradient is then right, but its tangent (the HVP) still carries `∇h · v` through the
//! "detached" value. [`stop_gradient`] cuts both: the reverse graph (at the `Autodiff` level)
//! and the forward tangent (at the `Dual` level).
//!
//! Burn's reverse-only cut has its uses — e.g. computing each player's own gradient from one
//! shared forward pass while tangents still carry the cross terms — so it stays available as
//! [`detach_reverse_only`], whose name says what it does.
//!
//! ```
//! use aga_burn::{stop_gradient, StopGradient};
//! use burn::tensor::Tensor;
//! /// `−Σ log π(a) · sg(A)`: the advantage is a constant at every order.
//! fn surrogate<B: StopGradient>(log_probs: Tensor<B, 1>, advantages: Tensor<B, 1>) -> Tensor<B, 1> {
//!     -(log_probs * stop_gradient(advantages)).sum()
//! }
//! # let device = Default::default();
//! # let lp = Tensor::<aga_burn::backends::CpuF64, 1>::from_floats([-0.5, -1.0], &device);
//! # let a = Tensor::<aga_burn::backends::CpuF64, 1>::from_floats([1.0, 2.0], &device);
//! # assert_eq!(surrogate(lp, a).into_scalar(), 2.5);
//! ```

use crate::dual::{Dual, DualTensor};
use burn::backend::autodiff::checkpoint::strategy::CheckpointStrategy;
use burn::backend::Autodiff;
use burn::tensor::backend::{AutodiffBackend, Backend};
use burn::tensor::ops::FloatTensor;
use burn::tensor::{Tensor, TensorPrimitive};

/// A backend on which [`stop_gradient`] can make a tensor constant for every derivative.
///
/// Implemented for `aga`'s backends: [`Dual<B>`] (drops the tangent), `Autodiff<B>` over any
/// `B: StopGradient` (cuts the reverse graph and stops `B`'s derivatives too), and the plain
/// backends of [`crate::backends`], which carry no derivatives. For another plain backend,
/// implement it as `B::float_detach(tensor)`.
pub trait StopGradient: Backend {
    /// The float primitive as a constant for the first and every higher derivative.
    fn stop_gradient(tensor: FloatTensor<Self>) -> FloatTensor<Self>;
}

impl<B: Backend> StopGradient for Dual<B> {
    fn stop_gradient(tensor: DualTensor<B>) -> DualTensor<B> {
        DualTensor::constant(B::float_detach(tensor.primal))
    }
}

impl<B: StopGradient, C: CheckpointStrategy> StopGradient for Autodiff<B, C> {
    fn stop_gradient(tensor: FloatTensor<Self>) -> FloatTensor<Self> {
        // `from_inner` makes a fresh leaf that is not tracked: a constant for reverse mode.
        Self::from_inner(B::stop_gradient(Self::inner(tensor)))
    }
}

macro_rules! plain_backend {
    ($($backend:ty),*) => {$(
        impl StopGradient for $backend {
            fn stop_gradient(tensor: FloatTensor<Self>) -> FloatTensor<Self> {
                <$backend as burn::tensor::ops::FloatTensorOps<$backend>>::float_detach(tensor)
            }
        }
    )*};
}

plain_backend!(crate::backends::CpuF64, crate::backends::CpuF32);
#[cfg(feature = "wgpu")]
plain_backend!(crate::backends::WgpuF32);
#[cfg(feature = "flex")]
plain_backend!(crate::backends::Flex);

/// `sg(x)`: `x`'s value, constant for the gradient **and** for Hessian-vector products.
///
/// This is the stop-gradient to use inside a game or a surrogate loss (advantages, old
/// log-probabilities, baselines, targets). See the [module documentation](self) for why
/// [`Tensor::detach`] is not enough under `Autodiff<Dual<B>>`.
pub fn stop_gradient<B: StopGradient, const D: usize>(tensor: Tensor<B, D>) -> Tensor<B, D> {
    let primitive = tensor.into_primitive().tensor();
    Tensor::from_primitive(TensorPrimitive::Float(B::stop_gradient(primitive)))
}

/// Burn's own [`Tensor::detach`], under a name that says what it does on `Autodiff<Dual<B>>`:
/// it cuts the **reverse** graph only, and forward-mode tangents still flow through it.
///
/// So the gradient treats the value as a constant, but a Hessian-vector product of a loss that
/// uses it still differentiates through it once (forward mode). Use [`stop_gradient`] for a
/// constant at every order.
pub fn detach_reverse_only<B: Backend, const D: usize>(tensor: Tensor<B, D>) -> Tensor<B, D> {
    tensor.detach()
}
