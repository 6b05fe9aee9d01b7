//! The fused dual kernels (`dual::fused`, Flex and ndarray host buffers) against the closed forms computed
//! here on the host in f64: `y = ab`, `ẏ = ȧb + aḃ`; `y = tanh x`, `ẏ = (1 − y²)ẋ`;
//! `y = eˣ`, `ẏ = yẋ`. The kernels promise the generic path's arithmetic in its order, so
//! the comparison is exact (bit for bit), on tensors large enough to take the fused path and
//! on views that must fall back (broadcasts, transposes). f64 only: Flex fixes its float
//! dtype per process (f32 `tanh` is `tests/tanh_f32.rs`).

use aga_burn::{Dual, DualTensor};
use burn::tensor::{backend::Backend, Tensor, TensorData, TensorPrimitive};

/// Enough elements for the fused path (its threshold is 4096).
const N: usize = 64 * 80;

fn values(seed: u64, n: usize) -> Vec<f64> {
    // A small LCG: inputs need no statistical quality, only variety and reproducibility.
    let mut state = seed
        .wrapping_mul(6364136223846793005)
        .wrapping_add(1442695040888963407);
    (0..n)
        .map(|_| {
            state = state
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            ((state >> 11) as f64 / (1u64 << 53) as f64) * 6.0 - 3.0
        })
        .collect()
}

fn plain<B: Backend>(v: &[f64], shape: [usize; 2]) -> burn::tensor::ops::FloatTensor<B> {
    Tensor::<B, 2>::from_data(TensorData::new(v.to_vec(), shape), &Default::default())
        .into_primitive()
        .tensor()
}

fn dual<B: Backend>(v: &[f64], t: Option<&[f64]>, shape: [usize; 2]) -> Tensor<Dual<B>, 2> {
    Tensor::from_primitive(TensorPrimitive::Float(DualTensor::new(
        plain::<B>(v, shape),
        t.map(|t| plain::<B>(t, shape)),
    )))
}

/// Primal and tangent of a dual tensor, as host vectors (tangent zeros when absent).
fn parts<B: Backend>(t: Tensor<Dual<B>, 2>) -> (Vec<f64>, Vec<f64>) {
    let d = t.into_primitive().tensor();
    let n = burn::tensor::TensorMetadata::shape(&d).num_elements();
    let read = |p| {
        Tensor::<B, 2>::from_primitive(TensorPrimitive::Float(p))
            .into_data()
            .to_vec::<f64>()
            .unwrap()
    };
    let tangent = d.tangent.map(read).unwrap_or_else(|| vec![0.0; n]);
    (read(d.primal), tangent)
}

fn assert_bits(got: &[f64], want: &[f64], what: &str) {
    assert_eq!(got.len(), want.len(), "{what}: length");
    for (i, (g, w)) in got.iter().zip(want).enumerate() {
        assert!(
            w.is_finite() && g.to_bits() == w.to_bits(),
            "{what}[{i}]: got {g:e}, want {w:e}"
        );
    }
}

#[cfg(feature = "flex")]
#[test]
fn fused_kernels_compute_the_closed_forms_bit_for_bit_on_flex_f64() {
    aga_burn::backends::use_f64_on_flex().unwrap();
    closed_forms::<aga_burn::backends::Flex>();
}

#[test]
fn fused_kernels_compute_the_closed_forms_bit_for_bit_on_ndarray_f64() {
    closed_forms::<aga_burn::backends::CpuF64>();
}

fn closed_forms<B: Backend>() {
    let shape = [64, N / 64];
    let (a, ta, b, tb) = (values(1, N), values(2, N), values(3, N), values(4, N));

    // y = ab with both tangents, with one, and x·x (powi 2 is a product with itself).
    let (y, dy) = parts::<B>(dual::<B>(&a, Some(&ta), shape) * dual::<B>(&b, Some(&tb), shape));
    let want_y: Vec<f64> = a.iter().zip(&b).map(|(a, b)| a * b).collect();
    let want_dy: Vec<f64> = (0..N).map(|i| ta[i] * b[i] + a[i] * tb[i]).collect();
    assert_bits(&y, &want_y, "ab");
    assert_bits(&dy, &want_dy, "ȧb + aḃ");
    let (_, dy) = parts::<B>(dual::<B>(&a, Some(&ta), shape) * dual::<B>(&b, None, shape));
    assert_bits(&dy, &(0..N).map(|i| ta[i] * b[i]).collect::<Vec<_>>(), "ȧb");
    let (_, dy) = parts::<B>(dual::<B>(&a, None, shape) * dual::<B>(&b, Some(&tb), shape));
    assert_bits(&dy, &(0..N).map(|i| a[i] * tb[i]).collect::<Vec<_>>(), "aḃ");
    let (y, dy) = parts::<B>(dual::<B>(&a, Some(&ta), shape).powi_scalar(2));
    assert_bits(&y, &(0..N).map(|i| a[i] * a[i]).collect::<Vec<_>>(), "x²");
    assert_bits(
        &dy,
        &(0..N)
            .map(|i| ta[i] * a[i] + a[i] * ta[i])
            .collect::<Vec<_>>(),
        "2xẋ",
    );

    // tanh and exp.
    let (y, dy) = parts::<B>(dual::<B>(&a, Some(&ta), shape).tanh());
    let want_y: Vec<f64> = a.iter().map(|x| x.tanh()).collect();
    let want_dy: Vec<f64> = (0..N)
        .map(|i| ta[i] * (1.0 - want_y[i] * want_y[i]))
        .collect();
    assert_bits(&y, &want_y, "tanh");
    assert_bits(&dy, &want_dy, "(1 − y²)ẋ");
    let (y, dy) = parts::<B>(dual::<B>(&a, Some(&ta), shape).exp());
    let want_y: Vec<f64> = a.iter().map(|x| x.exp()).collect();
    assert_bits(&y, &want_y, "exp");
    assert_bits(
        &dy,
        &(0..N).map(|i| want_y[i] * ta[i]).collect::<Vec<_>>(),
        "eˣẋ",
    );

    // Views the kernels must not take (a transposed operand, a broadcast row) fall back to the
    // generic path and still give the closed form.
    let square = [72, 72];
    let n = 72 * 72;
    let (sa, sta) = (values(5, n), values(6, n));
    let at = dual::<B>(&sa, Some(&sta), square).transpose();
    let (y, dy) = parts::<B>(at * dual::<B>(&sa, Some(&sta), square));
    let idx = |i: usize| (i % 72) * 72 + i / 72; // element i of the transpose
    assert_bits(
        &y,
        &(0..n).map(|i| sa[idx(i)] * sa[i]).collect::<Vec<_>>(),
        "aᵀ ⊙ a",
    );
    assert_bits(
        &dy,
        &(0..n)
            .map(|i| sta[idx(i)] * sa[i] + sa[idx(i)] * sta[i])
            .collect::<Vec<_>>(),
        "ȧᵀ ⊙ a + aᵀ ⊙ ȧ",
    );
    let row = dual::<B>(&sa[..72], Some(&sta[..72]), [1, 72]);
    let (y, dy) = parts::<B>(row * dual::<B>(&sa, Some(&sta), square));
    assert_bits(
        &y,
        &(0..n).map(|i| sa[i % 72] * sa[i]).collect::<Vec<_>>(),
        "broadcast product",
    );
    assert_bits(
        &dy,
        &(0..n)
            .map(|i| sta[i % 72] * sa[i] + sa[i % 72] * sta[i])
            .collect::<Vec<_>>(),
        "broadcast tangent",
    );
}
