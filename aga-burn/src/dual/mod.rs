//! `Dual<B>`: a forward-mode (dual-number) backend decorator for Burn 0.21.
//!
//! Every float tensor of `Dual<B>` is a [`DualTensor`]: a primal tensor of the inner backend `B`
//! and an optional tangent of the same shape (`None` meaning an exactly-zero tangent, so
//! first-order work pays almost nothing). Every float op computes its primal with `B` and its
//! tangent by the op's Jacobian-vector product (JVP) rule. Integer and boolean tensors carry no
//! tangent and are `B`'s own primitives.
//!
//! Composed as `Autodiff<Dual<B>>`, Burn's own reverse pass runs on dual numbers: seed the
//! parameters' tangents with `v`, call `backward()`, and the tangent of each gradient is exactly
//! `∇²l · v` (forward-over-reverse). See `docs/design.md`.
//!
//! The op rules are grouped by family: [`float`](self) (arithmetic, unary, reductions, indexing,
//! matmul), activations, and module ops (convolutions, pooling, interpolation). An op with no rule
//! delegates the primal and panics with the op's name *only if* a tangent would be needed, so a
//! missing rule can never produce a silently wrong tangent.
//!
//! [`tape`] keeps one pass's primal values so that a second pass at the same point (the
//! `H_c ξ_c` pass after the `ξ_c` pass) computes only tangents.

mod activation;
mod bool;
mod fast_tanh;
mod float;
mod fused;
mod int;
mod memo;
mod module;
mod qtensor;
pub mod tape;
mod transaction;

use burn_backend::{
    backend::{Backend, BackendTypes, ExecutionError},
    tensor::FloatTensor,
    DTypeUsageSet, TensorData, TensorMetadata,
};
use burn_std::{DType, Shape};
use core::marker::PhantomData;

/// Forward-mode backend decorator: float tensors carry a primal and an optional tangent.
///
/// `Dual<B>` is a complete Burn [`Backend`]; `Autodiff<Dual<B>>` is the backend on which
/// `aga` computes exact Hessian-vector products by forward-over-reverse.
#[derive(Clone, Copy, Debug, Default)]
pub struct Dual<B> {
    _b: PhantomData<B>,
}

/// Float tensor primitive of [`Dual`]: primal plus optional tangent of the same shape.
#[derive(Clone, Debug)]
pub struct DualTensor<B: Backend> {
    /// The value.
    pub primal: FloatTensor<B>,
    /// The directional derivative; `None` is an exact zero.
    pub tangent: Option<FloatTensor<B>>,
}

impl<B: Backend> DualTensor<B> {
    /// A dual tensor with the given tangent.
    ///
    /// # Panics
    /// If the tangent's shape differs from the primal's: a programming error, never user input.
    pub fn new(primal: FloatTensor<B>, tangent: Option<FloatTensor<B>>) -> Self {
        if let Some(t) = &tangent {
            debug_assert_eq!(
                t.shape(),
                primal.shape(),
                "Dual: tangent shape must equal primal shape"
            );
        }
        Self { primal, tangent }
    }

    /// A constant: zero tangent.
    pub fn constant(primal: FloatTensor<B>) -> Self {
        Self {
            primal,
            tangent: None,
        }
    }

    /// Split into primal and tangent.
    pub fn into_parts(self) -> (FloatTensor<B>, Option<FloatTensor<B>>) {
        (self.primal, self.tangent)
    }

    /// The tangent, materialising a zero tensor where it is `None`.
    pub fn tangent_or_zeros(&self) -> FloatTensor<B> {
        match &self.tangent {
            Some(t) => t.clone(),
            None => zeros_like::<B>(&self.primal),
        }
    }
}

impl<B: Backend> TensorMetadata for DualTensor<B> {
    fn dtype(&self) -> DType {
        self.primal.dtype()
    }
    fn shape(&self) -> Shape {
        self.primal.shape()
    }
    fn rank(&self) -> usize {
        self.primal.rank()
    }
}

impl<B: Backend> BackendTypes for Dual<B> {
    type Device = B::Device;
    type FloatTensorPrimitive = DualTensor<B>;
    type FloatElem = B::FloatElem;
    type IntTensorPrimitive = B::IntTensorPrimitive;
    type IntElem = B::IntElem;
    type BoolTensorPrimitive = B::BoolTensorPrimitive;
    type BoolElem = B::BoolElem;
    type QuantizedTensorPrimitive = B::QuantizedTensorPrimitive;
}

impl<B: Backend> Backend for Dual<B> {
    fn name(device: &Self::Device) -> String {
        format!("dual<{}>", B::name(device))
    }
    fn seed(device: &Self::Device, seed: u64) {
        B::seed(device, seed)
    }
    fn sync(device: &Self::Device) -> Result<(), ExecutionError> {
        B::sync(device)
    }
    fn memory_persistent_allocations<
        Output: Send,
        Input: Send,
        Func: Fn(Input) -> Output + Send,
    >(
        device: &Self::Device,
        input: Input,
        func: Func,
    ) -> Output {
        B::memory_persistent_allocations(device, input, func)
    }
    fn memory_cleanup(device: &Self::Device) {
        B::memory_cleanup(device)
    }
    fn staging<'a, Iter>(data: Iter, device: &Self::Device)
    where
        Iter: Iterator<Item = &'a mut TensorData>,
    {
        B::staging(data, device)
    }
    fn supports_dtype(device: &Self::Device, dtype: DType) -> bool {
        B::supports_dtype(device, dtype)
    }
    fn dtype_usage(device: &Self::Device, dtype: DType) -> DTypeUsageSet {
        B::dtype_usage(device, dtype)
    }
    fn device_count(type_id: u16) -> usize {
        B::device_count(type_id)
    }
}

/// A zero tensor of the inner backend with `p`'s shape, dtype and device.
pub(crate) fn zeros_like<B: Backend>(p: &FloatTensor<B>) -> FloatTensor<B> {
    B::float_zeros(p.shape(), &B::float_device(p), p.dtype().into())
}

/// Broadcast `t` to `shape` (same rank) if it is not already that shape.
pub(crate) fn expand_to<B: Backend>(t: FloatTensor<B>, shape: &Shape) -> FloatTensor<B> {
    if &t.shape() == shape {
        t
    } else {
        B::float_expand(t, shape.clone())
    }
}

/// Panic for an op that has no forward-mode rule but was reached with a non-zero tangent.
#[track_caller]
pub(crate) fn no_rule(op: &str) -> ! {
    panic!(
        "aga Dual backend: op `{op}` has no forward-mode (JVP) rule, and it was reached with a \
         non-zero tangent; refusing to return a wrong Hessian-vector product"
    )
}
