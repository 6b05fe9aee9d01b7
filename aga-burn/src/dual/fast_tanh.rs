//! `tanh` for f32 on the CPU backends, by the rational approximation XLA and Eigen use.
//!
//! Burn 0.21's CPU backends (Flex, ndarray) evaluate `tanh` element by element with the C
//! library's scalar `tanhf`: 14 ns per element here, 922 µs for a 256×256 activation — three
//! times the 256×256×256 matrix product beside it — and burn-autodiff evaluates it twice (its
//! reverse pass recomputes `tanh` from the saved input). Profiled on the MLP benchmark game
//! (Flex, f32, h = 256), `tanhf` and the `expm1f` it calls took 60% of a gradient.
//!
//! For f32 tensors on those backends `Dual` instead computes `tanh(x) = x·P(x²)/Q(x²)` on
//! `|x| ≤ 7.905311` (clamped outside, where `tanh` is within 2.5e-7 of ±1; `x` itself below
//! `|x| = 4e-4`), with Eigen's `generic_fast_tanh_float` coefficients, which XLA's CPU backend
//! also uses, the polynomials evaluated in f64 and rounded once: exactly odd, and within 2.5e-7
//! relative error of the exact value on a dense grid of [−10, 10] plus tiny and huge arguments
//! (`tests/tanh_f32.rs`). As eleven whole-tensor ops it measured 145 µs for the activation above
//! (6× libm); as one loop over the host buffer it brought the h = 256 f32 gradient from 4.2 to
//! 3.7 ms. f64, small tensors (where op overhead dominates) and GPU backends (whose `tanh`
//! is one fast kernel) keep the backend's own `tanh`.

use burn::tensor::{Tensor, TensorPrimitive};
use burn_backend::{tensor::FloatTensor, Backend, TensorData, TensorMetadata};
use burn_std::{DType, Shape};

/// Below this many elements the backend's own `tanh` costs about as much as the hand-over.
pub(super) const MIN_ELEMENTS: usize = 4096;

/// `x·P(x²)/Q(x²)`: Eigen's `generic_fast_tanh_float` (numerator odd, degree 13).
const ALPHA: [f64; 7] = [
    4.893_524_6e-3,
    6.372_619_3e-4,
    1.485_722_4e-5,
    5.122_297_1e-8,
    -8.604_671_5e-11,
    2.000_187_9e-13,
    -2.760_768_5e-16,
];
const BETA: [f64; 4] = [
    4.893_525_2e-3,
    2.268_434_6e-3,
    1.185_347_1e-4,
    1.198_258_4e-6,
];
/// Beyond this, `tanh` rounds to ±1 in f32.
const CLAMP: f64 = 7.905_311_1;

/// `tanh(x)` on the inner backend.
pub(super) fn tanh<B: Backend>(x: FloatTensor<B>) -> FloatTensor<B> {
    if uses_rational::<B>(&x) {
        rational::<B>(x)
    } else {
        B::float_tanh(x)
    }
}

fn uses_rational<B: Backend>(x: &FloatTensor<B>) -> bool {
    x.dtype() == DType::F32
        && x.shape().num_elements() >= MIN_ELEMENTS
        && matches!(B::name(&B::float_device(x)).as_str(), "flex" | "ndarray")
}

/// The rational approximation in one pass over the values (Horner's scheme in `x²`, f32).
///
/// The backends this runs on are CPU backends, whose `into_data`/`from_data` hand the buffer
/// over without a device transfer (Flex: without a copy when the tensor is unique), so one
/// loop the compiler vectorises replaces eleven whole-tensor ops.
fn rational<B: Backend>(x: FloatTensor<B>) -> FloatTensor<B> {
    let shape = x.shape();
    let device = B::float_device(&x);
    let flat = B::float_reshape(x, Shape::new([shape.num_elements()]));
    let mut values: Vec<f32> = Tensor::<B, 1>::from_primitive(TensorPrimitive::Float(flat))
        .into_data()
        .into_vec()
        .expect("an f32 tensor holds f32 values");
    values.iter_mut().for_each(|v| *v = tanh_f32(*v));
    B::float_from_data(TensorData::new(values, shape), &device)
}

/// Eigen's `generic_fast_tanh_float` for one value, with both polynomials evaluated in f64 and
/// rounded once (in f32 arithmetic the rounding of the two Horner sums reaches 4.7e-7 relative
/// error near |x| = 6); `tanh(x) = x` to f32 precision below |x| = 4e-4, as in Eigen.
#[inline]
pub(super) fn tanh_f32(x: f32) -> f32 {
    if x.abs() < 4e-4 {
        return x;
    }
    let x = f64::from(x).clamp(-CLAMP, CLAMP);
    let x2 = x * x;
    let mut p = ALPHA[6];
    for a in ALPHA[..6].iter().rev() {
        p = p * x2 + a;
    }
    let mut q = BETA[3];
    for b in BETA[..3].iter().rev() {
        q = q * x2 + b;
    }
    (x * p / q) as f32
}
