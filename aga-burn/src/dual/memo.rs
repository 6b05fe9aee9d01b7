//! A memo for `tanh`: Burn's reverse pass recomputes `tanh(x)` from the very tensor the forward
//! pass saw, so `Dual` returns the forward's result instead of computing it again.
//!
//! `burn-autodiff`'s `tanh` backward (`ops/tensor.rs`, `float_tanh`) checkpoints the input and
//! calls `tanh` on it again to build `1 − y²`. In `Autodiff<Dual<B>>` that is a second dual
//! `tanh` (primal and tangent) over the activation: about half of the 17% `tanh` took in the
//! profile of an AgA direction (docs/performance.md). The checkpointed input is the forward's
//! tensor itself — the same host buffers, primal and tangent — so the memo keys on where those
//! buffers start, with the shape and dtype.
//!
//! Why a key by address is sound: every entry holds a clone of its input, so its buffers stay
//! alive and no other tensor can be allocated at those addresses while the entry exists; and
//! Flex and ndarray write in place only into buffers nobody else holds, which the entry's clone
//! rules out. Two tensors with the same start address, shape and dtype over contiguous buffers
//! hold the same values. The memo only applies where the fused kernels apply (Flex or ndarray
//! host buffers, contiguous, f32 or f64, at least 4096 elements; not with `AGA_DUAL_GENERIC`).
//! It keeps the last [`CAPACITY`] `tanh`s of the thread — a few activations' worth of memory.
//! `AGA_NO_TANH_MEMO=1` turns it off, for A/B benchmarks in one binary.
//!
//! With the primal tape (`super::tape`): a memo hit skips the op, taped or not, in the recorded
//! pass and in its replay alike (both passes see the same tensors in the same order), so the two
//! op sequences still match.

use super::{fused, DualTensor};
use burn_backend::{Backend, TensorMetadata};
use burn_std::{DType, Shape};
use std::any::Any;
use std::cell::RefCell;
use std::collections::VecDeque;

/// How many recent `tanh`s are remembered per thread.
pub(crate) const CAPACITY: usize = 8;

#[derive(PartialEq, Eq)]
struct Key {
    primal: usize,
    tangent: Option<usize>,
    shape: Shape,
    dtype: DType,
}

struct Entry {
    key: Key,
    /// The input, kept alive so that its addresses stay its own.
    _input: Box<dyn Any>,
    output: Box<dyn Any>,
}

thread_local! {
    static MEMO: RefCell<VecDeque<Entry>> = const { RefCell::new(VecDeque::new()) };
}

fn key<B: Backend>(x: &DualTensor<B>) -> Option<Key> {
    let primal = fused::buffer_address::<B>(&x.primal)?;
    let tangent = match &x.tangent {
        Some(t) => Some(fused::buffer_address::<B>(t)?),
        None => None,
    };
    Some(Key {
        primal,
        tangent,
        shape: x.primal.shape(),
        dtype: x.primal.dtype(),
    })
}

/// Whether the memo is used: yes, unless the environment variable `AGA_NO_TANH_MEMO` is set
/// (read once per process) — for A/B benchmarks, not for users.
fn enabled() -> bool {
    static ENABLED: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
    *ENABLED.get_or_init(|| std::env::var_os("AGA_NO_TANH_MEMO").is_none())
}

/// `f(x)` for `tanh`, or the result of an earlier call on the same tensor.
pub(crate) fn tanh<B: Backend>(
    x: DualTensor<B>,
    f: impl FnOnce(DualTensor<B>) -> DualTensor<B>,
) -> DualTensor<B> {
    let Some(key) = enabled().then(|| key::<B>(&x)).flatten() else {
        return f(x);
    };
    let found = MEMO.with(|m| {
        m.borrow()
            .iter()
            .find(|e| e.key == key)
            .and_then(|e| e.output.downcast_ref::<DualTensor<B>>().cloned())
    });
    if let Some(y) = found {
        return y;
    }
    let y = f(x.clone());
    MEMO.with(|m| {
        let mut m = m.borrow_mut();
        if m.len() == CAPACITY {
            m.pop_front();
        }
        m.push_back(Entry {
            key,
            _input: Box::new(x),
            output: Box::new(y.clone()),
        });
    });
    y
}

#[cfg(test)]
mod tests {
    use super::super::{Dual, DualTensor};
    use crate::backends::CpuF64;
    use burn_backend::{ops::FloatTensorOps, TensorData, TensorMetadata};
    use burn_std::Shape;

    type B = CpuF64;
    type D = Dual<B>;

    /// A 64 × 64 tensor (4096 values: the memo's size) from a formula.
    fn tensor(shift: f64) -> <B as burn_backend::backend::BackendTypes>::FloatTensorPrimitive {
        let values: Vec<f64> = (0..4096)
            .map(|k| ((k * 37 % 101) as f64 - 50.0) / 40.0 + shift)
            .collect();
        B::float_from_data(TensorData::new(values, [64, 64]), &Default::default())
    }

    fn values(t: &DualTensor<B>) -> (Vec<f64>, Option<Vec<f64>>) {
        let read = |p: &<B as burn_backend::backend::BackendTypes>::FloatTensorPrimitive| {
            burn_std::future::block_on(B::float_into_data(p.clone()))
                .unwrap()
                .to_vec::<f64>()
                .unwrap()
        };
        (read(&t.primal), t.tangent.as_ref().map(read))
    }

    /// `tanh` and its tangent from the host values (independent of `Dual`).
    fn expected(x: &[f64], t: &[f64]) -> (Vec<f64>, Vec<f64>) {
        let y: Vec<f64> = x.iter().map(|v| v.tanh()).collect();
        let dy = y.iter().zip(t).map(|(y, t)| t * (1.0 - y * y)).collect();
        (y, dy)
    }

    #[test]
    fn the_memo_answers_only_for_the_same_tensor() {
        let x = DualTensor::<B>::new(tensor(0.0), Some(tensor(0.3)));
        let first = D::float_tanh(x.clone());
        let again = D::float_tanh(x.clone());
        let (xv, tv) = values(&x);
        let (want_y, want_dy) = expected(&xv, &tv.unwrap());
        for out in [&first, &again] {
            let (y, dy) = values(out);
            assert_eq!(y, want_y);
            assert_eq!(dy.unwrap(), want_dy);
        }
        // The same primal buffer with another tangent: not the remembered result.
        let other_tangent = DualTensor::<B>::new(x.primal.clone(), Some(tensor(-0.7)));
        let (_, dy) = values(&D::float_tanh(other_tangent.clone()));
        let (_, want_dy) = expected(&xv, &values(&other_tangent).1.unwrap());
        assert_eq!(dy.unwrap(), want_dy);
        // The same buffer without a tangent: no tangent comes back.
        let constant = DualTensor::<B>::constant(x.primal.clone());
        assert!(D::float_tanh(constant).tangent.is_none());
        // The same values seen through another shape: the result has that shape (the key holds
        // the shape for backends whose reshape is a view of the same buffer).
        let flat = D::float_reshape(x.clone(), Shape::new([4096]));
        assert_eq!(D::float_tanh(flat).primal.shape(), Shape::new([4096]));
        // Other values of the same shape.
        let shifted = DualTensor::<B>::new(tensor(1.0), Some(tensor(0.3)));
        let (y, _) = values(&D::float_tanh(shifted.clone()));
        assert_eq!(y, expected(&values(&shifted).0, &tv_of(&shifted)).0);
    }

    fn tv_of(t: &DualTensor<B>) -> Vec<f64> {
        values(t).1.unwrap()
    }
}
