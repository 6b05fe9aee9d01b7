//! The dual product `(A + εȦ)(B + εḂ)` three ways, on the inner CPU backends in f32
//! (docs/performance.md, "Dual products"): `three` — `AB`, `ȦB`, `AḂ` and an add (what `Dual`
//! does); `stacked` — `[A; Ȧ]·B` (one product twice as tall) and `AḂ`; `wide` — `A·[B, Ḃ]`
//! (one product twice as wide) and `ȦB`. Shapes are the MLP benchmark game's (batch 256, hidden
//! `h`, MATH.md §5) and the PPO learner's minibatch (256 rows, 64 hidden).
//!
//! `cargo bench --bench dual_kernels`.

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

fn flex(c: &mut Criterion) {
    products::<Flex>(c, "flex");
}

fn ndarray(c: &mut Criterion) {
    products::<NdArray>(c, "ndarray");
}

criterion_group!(benches, flex, ndarray);
criterion_main!(benches);
