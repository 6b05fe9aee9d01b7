//! The dual product `(A + εȦ)(B + εḂ)` three ways, on the inner CPU backends in f32
//! (docs/performance.md, "Dual products"): `three` — `AB`, `ȦB`, `AḂ` and an add (what `Dual`
//! does); `stacked` — `[A; Ȧ]·B` (one product twice as tall) and `AḂ`; `wide` — `A·[B, Ḃ]`
//! (one product twice as wide) and `ȦB`. Shapes are the MLP benchmark game's (batch 256, hidden
//! `h`, MATH.md §5) and the PPO learner's minibatch (256 rows, 64 hidden).
//!
//! The dual convolution `conv(x + εẋ, w + εẇ, b + εḃ)` two ways at the PPO CNN's shapes
//! (`aga-rl`: minibatch 256, 3 → 32 channels 5×5 on a 15×15 window, 32 → 32 channels 3×3 on
//! 11×11): `three` — `conv(x, w, b)`, `conv(ẋ, w)`, `conv(x, ẇ, ḃ)` and an add (what `Dual`
//! does); `concat` — `conv(x, w, b)` and one convolution of the channel-concatenated input
//! `[ẋ, x]` with the kernel `[w, ẇ]` (exact for `groups = 1`: the sum over input channels is the
//! sum of the two terms). And the tangent alone, as in a pass replaying the primal tape:
//! `tangent_two` against `tangent_concat`.
//!
//! `cargo bench --bench dual_kernels`.

use burn::tensor::module::conv2d;
use burn::tensor::ops::ConvOptions;
use burn::tensor::{backend::Backend, Distribution, Tensor};
use criterion::{criterion_group, criterion_main, Criterion};
use std::hint::black_box;

type Flex = aga_burn::backends::Flex;
type NdArray = aga_burn::backends::CpuF32;

/// `(rows, inner, cols)` of `A: rows × inner`, `B: inner × cols`.
const SHAPES: [(usize, usize, usize); 4] = [
    (256, 64, 64),
    (256, 256, 256),
    (256, 768, 768),
    (768, 256, 768),
];

fn products<B: Backend>(c: &mut Criterion, backend: &str) {
    let device = B::Device::default();
    let mut group = c.benchmark_group(format!("dual_matmul/{backend}"));
    group.sample_size(30);
    for (rows, inner, cols) in SHAPES {
        let normal = Distribution::Normal(0.0, 1.0);
        let a = Tensor::<B, 2>::random([rows, inner], normal, &device);
        let ta = Tensor::<B, 2>::random([rows, inner], normal, &device);
        let b = Tensor::<B, 2>::random([inner, cols], normal, &device);
        let tb = Tensor::<B, 2>::random([inner, cols], normal, &device);
        let size = format!("{rows}x{inner}x{cols}");
        let sync = |t: &Tensor<B, 2>| B::sync(&t.device()).unwrap();
        group.bench_function(format!("three/{size}"), |bench| {
            bench.iter(|| {
                let y = a.clone().matmul(b.clone());
                let dy = ta.clone().matmul(b.clone()) + a.clone().matmul(tb.clone());
                sync(&dy);
                black_box((y, dy))
            })
        });
        group.bench_function(format!("stacked/{size}"), |bench| {
            bench.iter(|| {
                let both = Tensor::cat(vec![a.clone(), ta.clone()], 0).matmul(b.clone());
                let y = both.clone().slice([0..rows, 0..cols]);
                let dy = both.slice([rows..2 * rows, 0..cols]) + a.clone().matmul(tb.clone());
                sync(&dy);
                black_box((y, dy))
            })
        });
        group.bench_function(format!("wide/{size}"), |bench| {
            bench.iter(|| {
                let both = a
                    .clone()
                    .matmul(Tensor::cat(vec![b.clone(), tb.clone()], 1));
                let y = both.clone().slice([0..rows, 0..cols]);
                let dy = both.slice([0..rows, cols..2 * cols]) + ta.clone().matmul(b.clone());
                sync(&dy);
                black_box((y, dy))
            })
        });
        group.bench_function(format!("one_product/{size}"), |bench| {
            bench.iter(|| {
                let y = a.clone().matmul(b.clone());
                sync(&y);
                black_box(y)
            })
        });
    }
    group.finish();
}

/// `(batch, in channels, out channels, kernel, side)` of the PPO CNN's first two convolutions.
const CONVS: [(usize, usize, usize, usize, usize); 2] = [(256, 3, 32, 5, 15), (256, 32, 32, 3, 11)];

fn convolutions<B: Backend>(c: &mut Criterion, backend: &str) {
    let device = B::Device::default();
    let mut group = c.benchmark_group(format!("dual_conv/{backend}"));
    group.sample_size(20);
    let options = || ConvOptions::new([1, 1], [0, 0], [1, 1], 1);
    for (batch, cin, cout, k, side) in CONVS {
        let normal = Distribution::Normal(0.0, 1.0);
        let x = Tensor::<B, 4>::random([batch, cin, side, side], normal, &device);
        let tx = Tensor::<B, 4>::random([batch, cin, side, side], normal, &device);
        let w = Tensor::<B, 4>::random([cout, cin, k, k], normal, &device);
        let tw = Tensor::<B, 4>::random([cout, cin, k, k], normal, &device);
        let b = Tensor::<B, 1>::random([cout], normal, &device);
        let tb = Tensor::<B, 1>::random([cout], normal, &device);
        let size = format!("{batch}x{cin}x{side}x{side}_k{k}_to{cout}");
        let sync = |t: &Tensor<B, 4>| B::sync(&t.device()).unwrap();
        let two = || {
            conv2d(tx.clone(), w.clone(), None, options())
                + conv2d(x.clone(), tw.clone(), Some(tb.clone()), options())
        };
        let concat = || {
            conv2d(
                Tensor::cat(vec![tx.clone(), x.clone()], 1),
                Tensor::cat(vec![w.clone(), tw.clone()], 1),
                Some(tb.clone()),
                options(),
            )
        };
        // The two forms agree (f32 rounding aside): a benchmark of a wrong formula is worthless.
        let gap = (two() - concat()).abs().max().into_scalar();
        let gap: f64 = burn::tensor::ElementConversion::elem(gap);
        assert!(
            gap < 1e-3,
            "concat form differs from the two convolutions by {gap}"
        );
        group.bench_function(format!("three/{size}"), |bench| {
            bench.iter(|| {
                let y = conv2d(x.clone(), w.clone(), Some(b.clone()), options());
                let dy = two();
                sync(&dy);
                black_box((y, dy))
            })
        });
        group.bench_function(format!("concat/{size}"), |bench| {
            bench.iter(|| {
                let y = conv2d(x.clone(), w.clone(), Some(b.clone()), options());
                let dy = concat();
                sync(&dy);
                black_box((y, dy))
            })
        });
        group.bench_function(format!("tangent_two/{size}"), |bench| {
            bench.iter(|| {
                let dy = two();
                sync(&dy);
                black_box(dy)
            })
        });
        group.bench_function(format!("tangent_concat/{size}"), |bench| {
            bench.iter(|| {
                let dy = concat();
                sync(&dy);
                black_box(dy)
            })
        });
    }
    group.finish();
}

fn flex(c: &mut Criterion) {
    products::<Flex>(c, "flex");
    convolutions::<Flex>(c, "flex");
}

fn ndarray(c: &mut Criterion) {
    products::<NdArray>(c, "ndarray");
    convolutions::<NdArray>(c, "ndarray");
}

criterion_group!(benches, flex, ndarray);
criterion_main!(benches);
