//! Every `Dual` op rule against central finite differences, on random inputs (property tests),
//! and second order: Hessian-vector products through `Autodiff<Dual<NdArray<f64>>>` (which
//! differentiates Burn's own backward formulas in forward mode) against finite differences of
//! gradients.

use aga_burn::{Dual, DualTensor, HvpBackend};
use aga_testing::rel_err;
use burn::backend::NdArray;
use burn::module::{Param, ParamId};
use burn::nn::{
    conv::{Conv2d, Conv2dConfig},
    pool::{AdaptiveAvgPool2dConfig, AvgPool2dConfig, MaxPool2dConfig},
    Gelu, Sigmoid,
};
use burn::tensor::{
    activation, module::interpolate, ops::InterpolateMode, ops::InterpolateOptions, Bool, Int,
    Tensor, TensorData, TensorPrimitive,
};
use proptest::prelude::*;

type Inner = NdArray<f64>;
type DB = Dual<Inner>;
type AD = HvpBackend<Inner>;

/// Build a rank-1 dual tensor from values and tangents.
fn dual(values: &[f64], tangent: Option<&[f64]>) -> Tensor<DB, 1> {
    let device = Default::default();
    let plain = |v: &[f64]| {
        Tensor::<Inner, 1>::from_data(TensorData::new(v.to_vec(), [v.len()]), &device)
            .into_primitive()
            .tensor()
    };
    let t = DualTensor::new(plain(values), tangent.map(plain));
    Tensor::from_primitive(TensorPrimitive::Float(t))
}

fn values<const D: usize>(t: Tensor<DB, D>) -> Vec<f64> {
    t.into_data().to_vec::<f64>().unwrap()
}

fn tangent<const D: usize>(t: Tensor<DB, D>) -> Vec<f64> {
    let dual = t.into_primitive().tensor();
    let n = burn::tensor::TensorMetadata::shape(&dual.primal).num_elements();
    match dual.tangent {
        Some(tan) => Tensor::<Inner, D>::from_primitive(TensorPrimitive::Float(tan))
            .into_data()
            .to_vec::<f64>()
            .unwrap(),
        None => vec![0.0; n],
    }
}

/// A function of several flat inputs (reshaped inside) to a flat output.
type OpFn = dyn Fn(&[Tensor<DB, 1>]) -> Tensor<DB, 1>;

/// Compare the JVP of `f` at `xs` along `ts` with central differences of its primal.
fn check_jvp(name: &str, f: &OpFn, xs: &[Vec<f64>], ts: &[Vec<f64>]) -> Result<(), TestCaseError> {
    let with_tangent: Vec<_> = xs.iter().zip(ts).map(|(x, t)| dual(x, Some(t))).collect();
    let jvp = tangent(f(&with_tangent));
    let h = 1e-6;
    let at = |s: f64| {
        let shifted: Vec<_> = xs
            .iter()
            .zip(ts)
            .map(|(x, t)| {
                let v: Vec<f64> = x.iter().zip(t).map(|(a, b)| a + s * b).collect();
                dual(&v, None)
            })
            .collect();
        values(f(&shifted))
    };
    let (plus, minus) = (at(h), at(-h));
    let fd: Vec<f64> = plus
        .iter()
        .zip(&minus)
        .map(|(p, m)| (p - m) / (2.0 * h))
        .collect();
    let err = rel_err(&jvp, &fd);
    prop_assert!(
        err < 1e-6,
        "{name}: JVP relative error {err:e}\n jvp {jvp:?}\n fd  {fd:?}"
    );
    // A constant input gives a zero tangent, and the primal does not depend on the tangents.
    let constant: Vec<_> = xs.iter().map(|x| dual(x, None)).collect();
    let out = f(&constant);
    prop_assert!(
        tangent(out.clone()).iter().all(|&t| t == 0.0),
        "{name}: constant input"
    );
    prop_assert_eq!(
        values(out),
        values(f(&with_tangent)),
        "{}: primal changed",
        name
    );
    Ok(())
}

fn int_tensor<const D: usize>(values: Vec<i64>, shape: [usize; D]) -> Tensor<DB, D, Int> {
    Tensor::from_data(TensorData::new(values, shape), &Default::default())
}

fn bool_tensor<const D: usize>(values: Vec<bool>, shape: [usize; D]) -> Tensor<DB, D, Bool> {
    Tensor::from_data(TensorData::new(values, shape), &Default::default())
}

fn pos(x: &Tensor<DB, 1>) -> Tensor<DB, 1> {
    // Map (−1, 1) to (0.5, 1.5): a safe domain for log, sqrt, division, powers.
    x.clone() * 0.5 + 1.0
}

/// The unary ops: name, function (inputs in (−1, 1)).
fn unary_ops() -> Vec<(&'static str, Box<OpFn>)> {
    vec![
        ("exp", Box::new(|x| x[0].clone().exp())),
        ("log", Box::new(|x| pos(&x[0]).log())),
        ("log1p", Box::new(|x| x[0].clone().log1p())),
        ("sqrt", Box::new(|x| pos(&x[0]).sqrt())),
        ("abs", Box::new(|x| (x[0].clone() + 0.05).abs())),
        ("neg", Box::new(|x| -x[0].clone())),
        ("recip", Box::new(|x| pos(&x[0]).recip())),
        ("sin", Box::new(|x| x[0].clone().sin())),
        ("cos", Box::new(|x| x[0].clone().cos())),
        ("tan", Box::new(|x| x[0].clone().tan())),
        ("sinh", Box::new(|x| x[0].clone().sinh())),
        ("cosh", Box::new(|x| x[0].clone().cosh())),
        ("tanh", Box::new(|x| x[0].clone().tanh())),
        ("asin", Box::new(|x| (x[0].clone() * 0.9).asin())),
        ("acos", Box::new(|x| (x[0].clone() * 0.9).acos())),
        ("atan", Box::new(|x| (x[0].clone() * 3.0).atan())),
        ("asinh", Box::new(|x| (x[0].clone() * 3.0).asinh())),
        ("acosh", Box::new(|x| (pos(&x[0]) + 1.0).acosh())),
        ("atanh", Box::new(|x| (x[0].clone() * 0.9).atanh())),
        ("erf", Box::new(|x| (x[0].clone() * 2.0).erf())),
        ("powf_scalar", Box::new(|x| pos(&x[0]).powf_scalar(2.7))),
        ("powi_scalar", Box::new(|x| x[0].clone().powi_scalar(3))),
        ("sqrt_via_powf", Box::new(|x| pos(&x[0]).powf_scalar(0.5))),
        ("add_scalar", Box::new(|x| x[0].clone() + 2.5)),
        ("mul_scalar", Box::new(|x| x[0].clone() * -1.5)),
        ("div_scalar", Box::new(|x| x[0].clone() / 3.0)),
        ("clamp", Box::new(|x| (x[0].clone() * 2.0).clamp(-0.7, 0.9))),
        (
            "sigmoid",
            Box::new(|x| activation::sigmoid(x[0].clone() * 3.0)),
        ),
        (
            "log_sigmoid",
            Box::new(|x| activation::log_sigmoid(x[0].clone() * 3.0)),
        ),
        ("gelu", Box::new(|x| activation::gelu(x[0].clone() * 2.0))),
        ("relu", Box::new(|x| activation::relu(x[0].clone() + 0.05))),
        (
            "leaky_relu",
            Box::new(|x| activation::leaky_relu(x[0].clone() + 0.05, 0.1)),
        ),
        (
            "hard_sigmoid",
            Box::new(|x| activation::hard_sigmoid(x[0].clone(), 0.2, 0.5)),
        ),
        ("silu", Box::new(|x| activation::silu(x[0].clone() * 2.0))),
        (
            "softplus",
            Box::new(|x| activation::softplus(x[0].clone() * 2.0, 1.0)),
        ),
        ("mish", Box::new(|x| activation::mish(x[0].clone()))),
        ("sum", Box::new(|x| x[0].clone().sum())),
        ("mean", Box::new(|x| x[0].clone().mean())),
        ("prod", Box::new(|x| pos(&x[0]).prod())),
        ("cumsum", Box::new(|x| x[0].clone().cumsum(0))),
        ("cumprod", Box::new(|x| pos(&x[0]).cumprod(0))),
        ("flip", Box::new(|x| x[0].clone().flip([0]))),
        ("slice", Box::new(|x| x[0].clone().slice(1..4))),
        ("repeat_dim", Box::new(|x| x[0].clone().repeat_dim(0, 3))),
        ("max", Box::new(|x| x[0].clone().max())),
        ("min", Box::new(|x| x[0].clone().min())),
        ("sort", Box::new(|x| x[0].clone().sort(0))),
        (
            "sort_descending",
            Box::new(|x| x[0].clone().sort_descending(0)),
        ),
        ("topk", Box::new(|x| x[0].clone().topk(3, 0))),
        (
            "cast_roundtrip",
            Box::new(|x| x[0].clone().reshape([2, 3]).reshape([6])),
        ),
        (
            "round_floor_ceil",
            Box::new(|x| (x[0].clone() * 5.0).round() + x[0].clone().floor() * x[0].clone()),
        ),
        (
            "remainder_scalar",
            Box::new(|x| (x[0].clone() * 3.0 + 5.0).remainder_scalar(2.0)),
        ),
        (
            "softmax",
            Box::new(|x| activation::softmax(x[0].clone().reshape([2, 3]) * 2.0, 1).reshape([6])),
        ),
        (
            "log_softmax",
            Box::new(|x| activation::log_softmax(x[0].clone().reshape([2, 3]), 1).reshape([6])),
        ),
        (
            "sum_dim",
            Box::new(|x| x[0].clone().reshape([2, 3]).sum_dim(1).reshape([2])),
        ),
        (
            "mean_dim",
            Box::new(|x| x[0].clone().reshape([2, 3]).mean_dim(0).reshape([3])),
        ),
        (
            "prod_dim",
            Box::new(|x| pos(&x[0]).reshape([2, 3]).prod_dim(1).reshape([2])),
        ),
        (
            "max_dim",
            Box::new(|x| x[0].clone().reshape([2, 3]).max_dim(1).reshape([2])),
        ),
        (
            "min_dim",
            Box::new(|x| x[0].clone().reshape([2, 3]).min_dim(0).reshape([3])),
        ),
        (
            "swap_dims",
            Box::new(|x| x[0].clone().reshape([2, 3]).swap_dims(0, 1).reshape([6])),
        ),
        (
            "permute",
            Box::new(|x| {
                x[0].clone()
                    .reshape([1, 2, 3])
                    .permute([2, 0, 1])
                    .reshape([6])
            }),
        ),
        (
            "transpose_matmul",
            Box::new(|x| {
                let m = x[0].clone().reshape([2, 3]);
                m.clone().matmul(m.transpose()).reshape([4])
            }),
        ),
        (
            "expand",
            Box::new(|x| x[0].clone().reshape([1, 6]).expand([3, 6]).reshape([18])),
        ),
        (
            "unfold",
            Box::new(|x| x[0].clone().unfold::<2, _>(0, 3, 2).reshape([6])),
        ),
        (
            "gather",
            Box::new(|x| {
                x[0].clone()
                    .reshape([2, 3])
                    .gather(1, int_tensor(vec![2, 0, 0, 1, 1, 2], [2, 3]))
                    .reshape([6])
            }),
        ),
        (
            "select",
            Box::new(|x| x[0].clone().select(0, int_tensor(vec![4, 1, 1], [3]))),
        ),
        (
            "mask_fill",
            Box::new(|x| {
                x[0].clone().mask_fill(
                    bool_tensor(vec![true, false, true, false, false, true], [6]),
                    0.3,
                )
            }),
        ),
        (
            "argmax_gather",
            Box::new(|x| {
                let m = x[0].clone().reshape([2, 3]);
                let i = m.clone().argmax(1);
                m.gather(1, i).reshape([2])
            }),
        ),
    ]
}

/// The binary ops: name, function of two inputs in (−1, 1).
fn binary_ops() -> Vec<(&'static str, Box<OpFn>)> {
    vec![
        ("add", Box::new(|x| x[0].clone() + x[1].clone())),
        ("sub", Box::new(|x| x[0].clone() - x[1].clone())),
        ("mul", Box::new(|x| x[0].clone() * x[1].clone())),
        ("div", Box::new(|x| x[0].clone() / pos(&x[1]))),
        ("powf", Box::new(|x| pos(&x[0]).powf(x[1].clone()))),
        ("atan2", Box::new(|x| x[0].clone().atan2(pos(&x[1])))),
        (
            "remainder",
            Box::new(|x| (x[0].clone() * 4.0 + 5.0).remainder(pos(&x[1]) + 1.0)),
        ),
        (
            "add_broadcast",
            Box::new(|x| {
                (x[0].clone().reshape([2, 3]) + x[1].clone().slice(0..3).reshape([1, 3]))
                    .reshape([6])
            }),
        ),
        (
            "sub_broadcast",
            Box::new(|x| {
                (x[0].clone().slice(0..2).reshape([2, 1]) - x[1].clone().reshape([2, 3]))
                    .reshape([6])
            }),
        ),
        (
            "mul_broadcast",
            Box::new(|x| {
                (x[0].clone().reshape([2, 3]) * x[1].clone().slice(3..6).reshape([1, 3]))
                    .reshape([6])
            }),
        ),
        (
            "div_broadcast",
            Box::new(|x| {
                (x[0].clone().slice(0..3).reshape([1, 3]) / pos(&x[1]).reshape([2, 3])).reshape([6])
            }),
        ),
        (
            "matmul",
            Box::new(|x| {
                x[0].clone()
                    .reshape([2, 3])
                    .matmul(x[1].clone().reshape([3, 2]))
                    .reshape([4])
            }),
        ),
        (
            "batched_matmul",
            Box::new(|x| {
                x[0].clone()
                    .reshape([2, 1, 3])
                    .matmul(x[1].clone().reshape([2, 3, 1]))
                    .reshape([2])
            }),
        ),
        (
            "cat",
            Box::new(|x| Tensor::cat(vec![x[0].clone(), x[1].clone().slice(2..5)], 0)),
        ),
        (
            "stack",
            Box::new(|x| Tensor::stack::<2>(vec![x[0].clone(), x[1].clone()], 0).reshape([12])),
        ),
        (
            "mask_where",
            Box::new(|x| {
                x[0].clone().mask_where(
                    bool_tensor(vec![true, false, true, true, false, false], [6]),
                    x[1].clone(),
                )
            }),
        ),
        (
            "slice_assign",
            Box::new(|x| x[0].clone().slice_assign(1..3, x[1].clone().slice(4..6))),
        ),
        (
            "scatter_add",
            Box::new(|x| {
                x[0].clone().scatter(
                    0,
                    int_tensor(vec![5, 0, 0], [3]),
                    x[1].clone().slice(0..3),
                    burn::tensor::IndexingUpdateOp::Add,
                )
            }),
        ),
        (
            "select_assign",
            Box::new(|x| {
                x[0].clone().select_assign(
                    0,
                    int_tensor(vec![1, 1, 4], [3]),
                    x[1].clone().slice(2..5),
                    burn::tensor::IndexingUpdateOp::Add,
                )
            }),
        ),
        (
            "cross",
            Box::new(|x| {
                x[0].clone()
                    .reshape([2, 3])
                    .cross(x[1].clone().reshape([2, 3]), 1)
                    .reshape([6])
            }),
        ),
        (
            "max_pair",
            Box::new(|x| x[0].clone().max_pair(x[1].clone())),
        ),
        (
            "min_pair",
            Box::new(|x| x[0].clone().min_pair(x[1].clone())),
        ),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(12))]

    #[test]
    fn unary_jvps_match_finite_differences(
        x in prop::collection::vec(-0.95f64..0.95, 6),
        t in prop::collection::vec(-1.0f64..1.0, 6),
    ) {
        for (name, f) in unary_ops() {
            check_jvp(name, f.as_ref(), std::slice::from_ref(&x), std::slice::from_ref(&t))?;
        }
    }

    #[test]
    fn binary_jvps_match_finite_differences(
        x in prop::collection::vec(-0.95f64..0.95, 6),
        y in prop::collection::vec(-0.95f64..0.95, 6),
        tx in prop::collection::vec(-1.0f64..1.0, 6),
        ty in prop::collection::vec(-1.0f64..1.0, 6),
    ) {
        let zeros = vec![0.0; 6];
        for (name, f) in binary_ops() {
            // Both tangents, and each side alone (the single-sided branches of each rule).
            check_jvp(name, f.as_ref(), &[x.clone(), y.clone()], &[tx.clone(), ty.clone()])?;
            check_jvp(name, f.as_ref(), &[x.clone(), y.clone()], &[tx.clone(), zeros.clone()])?;
            check_jvp(name, f.as_ref(), &[x.clone(), y.clone()], &[zeros.clone(), ty.clone()])?;
        }
    }

    #[test]
    fn module_op_jvps_match_finite_differences(
        x in prop::collection::vec(-1.0f64..1.0, 2 * 2 * 5 * 5),
        w in prop::collection::vec(-1.0f64..1.0, 3 * 2 * 3 * 3 + 3),
        tx in prop::collection::vec(-1.0f64..1.0, 2 * 2 * 5 * 5),
        tw in prop::collection::vec(-1.0f64..1.0, 3 * 2 * 3 * 3 + 3),
    ) {
        use burn::tensor::module;
        use burn::tensor::ops::{ConvOptions, ConvTransposeOptions};
        let image = |t: &Tensor<DB, 1>| t.clone().reshape([2, 2, 5, 5]);
        let kernel = |t: &Tensor<DB, 1>| t.clone().slice(0..54).reshape([3, 2, 3, 3]);
        let bias = |t: &Tensor<DB, 1>| t.clone().slice(54..57);
        let ops: Vec<(&str, Box<OpFn>)> = vec![
            ("conv2d", Box::new(move |a| module::conv2d(image(&a[0]), kernel(&a[1]), Some(bias(&a[1])), ConvOptions::new([1, 2], [1, 0], [1, 1], 1)).flatten(0, 3))),
            ("conv2d_dilated", Box::new(move |a| module::conv2d(image(&a[0]), kernel(&a[1]), None, ConvOptions::new([1, 1], [1, 1], [2, 1], 1)).flatten(0, 3))),
            ("conv_transpose2d", Box::new(move |a| module::conv_transpose2d(image(&a[0]), a[1].clone().slice(0..36).reshape([2, 2, 3, 3]), Some(a[1].clone().slice(54..56)), ConvTransposeOptions::new([2, 1], [1, 0], [1, 0], [1, 1], 1)).flatten(0, 3))),
            ("avg_pool2d", Box::new(move |a| module::avg_pool2d(image(&a[0]), [2, 2], [2, 1], [1, 0], true, false).flatten(0, 3))),
            ("max_pool2d", Box::new(move |a| module::max_pool2d(image(&a[0]), [2, 3], [1, 2], [0, 1], [1, 1], false).flatten(0, 3))),
            ("adaptive_avg_pool2d", Box::new(move |a| module::adaptive_avg_pool2d(image(&a[0]), [3, 2]).flatten(0, 3))),
            ("interpolate_bilinear", Box::new(move |a| interpolate(image(&a[0]), [7, 4], InterpolateOptions::new(InterpolateMode::Bilinear)).flatten(0, 3))),
            ("interpolate_bicubic", Box::new(move |a| interpolate(image(&a[0]), [3, 8], InterpolateOptions::new(InterpolateMode::Bicubic)).flatten(0, 3))),
            ("linear", Box::new(move |a| module::linear(a[0].clone().reshape([10, 10]).slice([0..10, 0..3]), a[1].clone().slice(0..6).reshape([3, 2]), Some(a[1].clone().slice(6..8))).flatten(0, 1))),
        ];
        for (name, f) in ops {
            check_jvp(name, f.as_ref(), &[x.clone(), w.clone()], &[tx.clone(), tw.clone()])?;
        }
    }
}

// ----- second order: forward-over-reverse through Burn's backward formulas ---------------------

/// Leaf on `Autodiff<Dual>` with primal `x` and tangent `v`.
fn ad_leaf(x: &[f64], v: Option<&[f64]>) -> Tensor<AD, 1> {
    Tensor::from_inner(dual(x, v)).require_grad()
}

/// `(∇f(x), ∇²f(x) v)` by forward-over-reverse.
fn grad_and_hvp(
    f: &dyn Fn(Tensor<AD, 1>) -> Tensor<AD, 1>,
    x: &[f64],
    v: &[f64],
) -> (Vec<f64>, Vec<f64>) {
    let leaf = ad_leaf(x, Some(v));
    let grads = f(leaf.clone()).sum().backward();
    let g = leaf.grad(&grads).expect("f depends on x");
    (values(g.clone()), tangent(g))
}

fn grad_only(f: &dyn Fn(Tensor<AD, 1>) -> Tensor<AD, 1>, x: &[f64]) -> Vec<f64> {
    let leaf = ad_leaf(x, None);
    let grads = f(leaf.clone()).sum().backward();
    values(leaf.grad(&grads).expect("f depends on x"))
}

fn check_hvp(
    name: &str,
    f: &dyn Fn(Tensor<AD, 1>) -> Tensor<AD, 1>,
    x: &[f64],
    v: &[f64],
) -> Result<(), TestCaseError> {
    let (g, hv) = grad_and_hvp(f, x, v);
    prop_assert_eq!(
        &g,
        &grad_only(f, x),
        "{}: gradient depends on the tangent",
        name
    );
    let h = 1e-5;
    let shifted = |s: f64| -> Vec<f64> { x.iter().zip(v).map(|(a, b)| a + s * b).collect() };
    let (gp, gm) = (grad_only(f, &shifted(h)), grad_only(f, &shifted(-h)));
    let fd: Vec<f64> = gp
        .iter()
        .zip(&gm)
        .map(|(p, m)| (p - m) / (2.0 * h))
        .collect();
    let err = rel_err(&hv, &fd);
    prop_assert!(
        err < 1e-6,
        "{name}: HVP relative error {err:e}\n hvp {hv:?}\n fd  {fd:?}"
    );
    Ok(())
}

fn ad_pos(x: Tensor<AD, 1>) -> Tensor<AD, 1> {
    x * 0.5 + 1.0
}

#[allow(clippy::type_complexity)]
fn scalar_functions() -> Vec<(&'static str, Box<dyn Fn(Tensor<AD, 1>) -> Tensor<AD, 1>>)> {
    vec![
        (
            "exp_sin_mul",
            Box::new(|x| (x.clone().exp() * x.sin()).sum()),
        ),
        (
            "log_sqrt_div",
            Box::new(|x| (ad_pos(x.clone()).log() / ad_pos(x).sqrt()).sum()),
        ),
        (
            "tanh_cosh_atan",
            Box::new(|x| (x.clone().tanh() * x.clone().cosh() + x.atan()).sum()),
        ),
        (
            "powf_recip",
            Box::new(|x| (ad_pos(x.clone()).powf_scalar(2.5) + ad_pos(x).recip()).sum()),
        ),
        (
            "sigmoid",
            Box::new(|x| activation::sigmoid(x * 3.0).powi_scalar(2).sum()),
        ),
        (
            "gelu",
            Box::new(|x| activation::gelu(x * 2.0).powi_scalar(2).sum()),
        ),
        (
            "log_sigmoid",
            Box::new(|x| activation::log_sigmoid(x * 3.0).sum()),
        ),
        (
            "softmax",
            Box::new(|x| {
                (activation::softmax(x.clone().reshape([2, 3]), 1).reshape([6]) * x).sum()
            }),
        ),
        (
            "log_softmax",
            Box::new(|x| {
                activation::log_softmax(x.reshape([3, 2]) * 2.0, 0)
                    .powi_scalar(2)
                    .sum()
            }),
        ),
        (
            "matmul_tanh",
            Box::new(|x| {
                let m = x.clone().reshape([2, 3]);
                m.clone().matmul(m.transpose()).tanh().sum()
            }),
        ),
        (
            "prod_cumsum",
            Box::new(|x| ad_pos(x.clone()).prod() + x.cumsum(0).powi_scalar(2).sum()),
        ),
        (
            "erf_abs",
            Box::new(|x| (x.clone().erf() * (x + 2.0).abs()).sum()),
        ),
        (
            "slice_cat_gather",
            Box::new(|x| {
                let y = Tensor::cat(vec![x.clone().slice(3..6), x.clone().slice(0..3)], 0);
                (y * x).sin().sum()
            }),
        ),
        (
            "max_dim_sort",
            Box::new(|x| {
                x.clone().reshape([2, 3]).max_dim(1).powi_scalar(2).sum()
                    + x.sort(0).slice(0..2).exp().sum()
            }),
        ),
        (
            "mean_var",
            Box::new(|x| {
                let c = x.clone() - x.clone().mean();
                (c.clone() * c).mean()
            }),
        ),
        (
            "atan2_powf",
            Box::new(|x| {
                x.clone()
                    .slice(0..3)
                    .atan2(ad_pos(x.clone().slice(3..6)))
                    .sum()
                    + ad_pos(x.clone()).powf(x).sum()
            }),
        ),
    ]
}

#[test]
fn nn_modules_have_exact_hvps() {
    // conv2d, pooling, gelu and sigmoid layers from burn-nn: weights are the variables.
    let device = Default::default();
    let conv: Conv2d<AD> = Conv2dConfig::new([2, 3], [3, 3])
        .with_bias(true)
        .init(&device);
    let n_w = conv.weight.val().shape().num_elements();
    let n_b = 3;
    let image: Vec<f64> = (0..2 * 2 * 6 * 6)
        .map(|i| ((i * 37 % 17) as f64 / 8.5) - 1.0)
        .collect();
    let f = move |w: Tensor<AD, 1>| {
        let mut conv = conv.clone();
        conv.weight = Param::initialized(
            ParamId::new(),
            w.clone().slice(0..n_w).reshape([3, 2, 3, 3]),
        );
        conv.bias = Some(Param::initialized(ParamId::new(), w.slice(n_w..n_w + n_b)));
        let x = Tensor::<AD, 4>::from_data(
            TensorData::new(image.clone(), [2, 2, 6, 6]),
            &Default::default(),
        );
        let y = conv.forward(x);
        let y = Gelu::new().forward(y);
        let y = MaxPool2dConfig::new([2, 2]).init().forward(y);
        let y = Sigmoid::new().forward(y);
        let y = AvgPool2dConfig::new([2, 1]).init().forward(y);
        let y = AdaptiveAvgPool2dConfig::new([1, 1]).init().forward(y);
        y.powi_scalar(2).sum()
    };
    let w: Vec<f64> = (0..n_w + n_b)
        .map(|i| ((i * 13 % 11) as f64 / 5.5) - 1.0)
        .collect();
    let v: Vec<f64> = (0..n_w + n_b)
        .map(|i| ((i * 7 % 5) as f64 / 2.5) - 1.0)
        .collect();
    check_hvp("conv-gelu-maxpool-sigmoid-avgpool", &f, &w, &v).unwrap();
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(12))]

    #[test]
    fn hvps_through_backward_formulas_match_finite_differences(
        x in prop::collection::vec(-0.9f64..0.9, 6),
        v in prop::collection::vec(-1.0f64..1.0, 6),
    ) {
        for (name, f) in scalar_functions() {
            check_hvp(name, f.as_ref(), &x, &v)?;
        }
    }
}

/// Exactness where it can be checked in closed form: `d²/dx² sigmoid(x)` and `d²/dx² gelu(x)`
/// at 1e-13, which Burn's default f32 sigmoid and tanh-approximated gelu backward would miss.
#[test]
fn sigmoid_and_gelu_second_derivatives_are_exact() {
    let xs: [f64; 5] = [-2.5, -0.7, 0.0, 0.3, 1.9];
    for &x in &xs {
        let s = 1.0 / (1.0 + (-x).exp());
        let d2_sigmoid = s * (1.0 - s) * (1.0 - 2.0 * s);
        let (_, hv) = grad_and_hvp(&|t| activation::sigmoid(t), &[x], &[1.0]);
        assert!(
            (hv[0] - d2_sigmoid).abs() < 1e-13,
            "sigmoid'' at {x}: {} vs {d2_sigmoid}",
            hv[0]
        );

        let pdf = (-0.5 * x * x).exp() / (2.0 * std::f64::consts::PI).sqrt();
        let d2_gelu = pdf * (2.0 - x * x); // d²/dx² [x Φ(x)] = 2φ(x) + x φ'(x) = φ(x)(2 − x²)
        let (_, hv) = grad_and_hvp(&|t| activation::gelu(t), &[x], &[1.0]);
        assert!(
            (hv[0] - d2_gelu).abs() < 1e-13,
            "gelu'' at {x}: {} vs {d2_gelu}",
            hv[0]
        );
    }
}

/// An op without a rule panics with its name when a tangent reaches it.
#[test]
#[should_panic(expected = "float_cummax")]
fn op_without_rule_panics_with_its_name() {
    let x = dual(&[0.1, 0.5, 0.2], Some(&[1.0, 1.0, 1.0]));
    let _ = x.cummax(0);
}

/// Without a tangent, an op without a rule still computes its primal.
#[test]
fn op_without_rule_works_without_tangent() {
    let x = dual(&[0.1, 0.5, 0.2], None);
    assert_eq!(values(x.cummax(0)), vec![0.1, 0.5, 0.5]);
}

/// `prod`, `prod_dim` and `cumprod` at points with zeros: the derivative exists there and the
/// tangents must equal it exactly (closed forms by hand), not NaN from dividing by `x`.
#[test]
fn products_have_exact_tangents_at_zeros() {
    // prod(x) with x = (0, 2, 3), ẋ = (1, 10, 100): ẏ = ẋ_0·2·3 + ẋ_1·0·3 + ẋ_2·0·2 = 6.
    let x = dual(&[0.0, 2.0, 3.0], Some(&[1.0, 10.0, 100.0]));
    let y = x.clone().prod();
    assert_eq!(values(y.clone()), vec![0.0]);
    assert_eq!(tangent(y), vec![6.0]);
    // Two zeros: every product of the others contains a zero, so ẏ = 0.
    let y = dual(&[0.0, 0.0, 3.0], Some(&[1.0, 1.0, 1.0])).prod();
    assert_eq!(tangent(y), vec![0.0]);
    // prod_dim over rows of [[0, 2], [3, 4]] along ẋ = [[1, 1], [1, 1]]: (2, 3 + 4) = (2, 7).
    let m = dual(&[0.0, 2.0, 3.0, 4.0], Some(&[1.0, 1.0, 1.0, 1.0])).reshape([2, 2]);
    let y = m.prod_dim(1).reshape([2]);
    assert_eq!(values(y.clone()), vec![0.0, 12.0]);
    assert_eq!(tangent(y), vec![2.0, 7.0]);
    // cumprod of (2, 0, 3, 4) along (1, 1, 1, 1):
    // y = (2, 0, 0, 0); ẏ_0 = 1, ẏ_1 = ẋ_0 x_1 + x_0 ẋ_1 = 2, ẏ_2 = ẏ_1 x_2 = 6, ẏ_3 = 24.
    let y = dual(&[2.0, 0.0, 3.0, 4.0], Some(&[1.0, 1.0, 1.0, 1.0])).cumprod(0);
    assert_eq!(values(y.clone()), vec![2.0, 0.0, 0.0, 0.0]);
    assert_eq!(tangent(y), vec![1.0, 2.0, 6.0, 24.0]);
    // cumprod along dim 1 of a matrix: rows (0, 5) and (3, 2), ẋ = 1: ((1, 5), (1, 5)).
    let m = dual(&[0.0, 5.0, 3.0, 2.0], Some(&[1.0, 1.0, 1.0, 1.0])).reshape([2, 2]);
    let y = m.cumprod(1).reshape([4]);
    assert_eq!(tangent(y), vec![1.0, 5.0, 1.0, 5.0]);
}
