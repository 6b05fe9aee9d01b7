//! `tanh` on `Dual<NdArray<f32>>` (its own test process: Burn's ndarray backend fixes one float
//! dtype per process, whichever of `NdArray<f32>`/`NdArray<f64>` touches the device first).
//!
//! Large f32 tensors take the rational approximation of `dual::fast_tanh`; it must stay within
//! 2.5e-7 relative of the exact `tanh` over the whole range (tiny arguments included), be odd,
//! stay within ±1, and carry the tangent `(1 − y²) ẋ`. Small tensors keep libm's `tanhf`.

use aga_burn::{backends::CpuF32, Dual, DualTensor};
use burn::tensor::{Tensor, TensorData, TensorMetadata, TensorPrimitive};

type D = Dual<CpuF32>;

fn dual_tanh(xs: &[f32], tangent: bool) -> (Vec<f32>, Option<Vec<f32>>) {
    let device = Default::default();
    let n = xs.len();
    let primal = Tensor::<CpuF32, 1>::from_data(TensorData::new(xs.to_vec(), [n]), &device);
    assert_eq!(
        primal.clone().into_primitive().tensor().dtype(),
        burn::tensor::DType::F32
    );
    let t = tangent.then(|| {
        Tensor::<CpuF32, 1>::ones([n], &device)
            .into_primitive()
            .tensor()
    });
    let x = Tensor::<D, 1>::from_primitive(TensorPrimitive::Float(DualTensor::new(
        primal.into_primitive().tensor(),
        t,
    )));
    let y: DualTensor<CpuF32> = x.tanh().into_primitive().tensor();
    let read = |p| {
        Tensor::<CpuF32, 1>::from_primitive(TensorPrimitive::Float(p))
            .into_data()
            .to_vec::<f32>()
            .unwrap()
    };
    (read(y.primal), y.tangent.map(read))
}

#[test]
fn large_f32_tanh_is_within_a_few_ulp_everywhere_and_odd() {
    let mut xs: Vec<f32> = (-20_000..=20_000).map(|k| k as f32 * 5e-4).collect();
    xs.extend([1e-30, -1e-30, 1e-8, -3e-6, 7.9, 7.91, -8.5, 50.0, -1e30]);
    // Densely where f32 Horner sums were worst (|x| ≈ 6), and subnormal arguments.
    xs.extend((0..200_000).map(|k| 5.5 + k as f32 * 5e-6));
    xs.extend([1e-40, -1e-44, 3.9e-4, 4.1e-4, 5.952199]);
    let (ys, dys) = dual_tanh(&xs, true);
    let mut worst = 0.0_f64;
    for (x, y) in xs.iter().zip(&ys) {
        let exact = (*x as f64).tanh();
        let err = (*y as f64 - exact).abs();
        assert!(
            err <= 2.5e-7 * exact.abs(),
            "tanh({x}) = {y}, exact {exact}"
        );
        worst = worst.max(err / exact.abs().max(f64::MIN_POSITIVE));
    }
    println!("largest relative error of tanh over the grid: {worst:e}");
    // Odd: the grid is symmetric around 0.
    for k in 0..20_000 {
        assert_eq!(ys[k], -ys[40_000 - k], "odd at {}", xs[k]);
    }
    // Bounded by 1, and ±(the value at the clamp) beyond it.
    assert!(ys.iter().all(|y| y.abs() <= 1.0));
    assert_eq!(ys[40_008], ys[40_005]);
    assert_eq!(ys[40_009], -ys[40_005]);
    assert_eq!(
        ys[ys.len() - 5],
        1e-40,
        "tiny arguments are returned as they are"
    );
    // The tangent is (1 − y²)·1 from the same y.
    for (y, dy) in ys.iter().zip(dys.unwrap()) {
        let expected = 1.0 - (*y as f64) * (*y as f64);
        assert!(
            (dy as f64 - expected).abs() <= 1e-6,
            "tangent at y = {y}: {dy}"
        );
    }
}

#[test]
fn small_f32_tensors_keep_the_backends_own_tanh() {
    let xs: Vec<f32> = (0..100).map(|k| (k as f32 - 50.0) * 0.173).collect();
    let (ys, _) = dual_tanh(&xs, false);
    let own = Tensor::<CpuF32, 1>::from_data(
        TensorData::new(xs.clone(), [xs.len()]),
        &Default::default(),
    )
    .tanh()
    .into_data()
    .to_vec::<f32>()
    .unwrap();
    assert_eq!(ys, own);
}
