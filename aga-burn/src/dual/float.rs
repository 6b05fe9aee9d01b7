//! Float op rules of [`Dual`]: primal through the inner backend, tangent by the op's JVP.
//!
//! Notation in the comments: `x` is the input, `ẋ` its tangent, `y` the output, `ẏ` the output's
//! tangent. Linear ops apply themselves to the tangent.

use super::tape::Site;
use super::{expand_to, no_rule, zeros_like, Dual, DualTensor};
use burn_backend::{
    get_device_settings,
    ops::FloatTensorOps,
    tensor::{BoolTensor, Device, FloatTensor, IntTensor},
    Backend, Distribution, ExecutionError, Scalar, TensorData, TensorMetadata,
};
use burn_std::{BoolDType, FloatDType, IntDType, Shape, Slice};

type D<B> = DualTensor<B>;
type P<B> = FloatTensor<B>;

/// Apply a linear map to primal and tangent alike.
fn linear<B: Backend>(x: D<B>, f: impl Fn(P<B>) -> P<B>) -> D<B> {
    let tangent = x.tangent.map(&f);
    D::new(f(x.primal), tangent)
}

/// [`unary`] for an op with fused kernels (`super::fused`): `both(x, ẋ)` computes `(y, ẏ)` in
/// one loop, `tangent(y, ẋ)` only `ẏ` when the primal comes from the tape; either may decline
/// (`None`: not a host buffer it can borrow), and then `df` composes `B`'s ops.
fn unary_fused<B: Backend, F: FnOnce(P<B>) -> P<B>>(
    x: D<B>,
    f: F,
    both: impl FnOnce(&P<B>, &P<B>) -> Option<(P<B>, P<B>)>,
    tangent: impl FnOnce(&P<B>, &P<B>) -> Option<P<B>>,
    df: impl FnOnce(P<B>, P<B>, P<B>) -> P<B>,
) -> D<B> {
    let site = Site::new::<B>(core::any::type_name::<F>(), &[&x.primal]);
    let Some(t) = x.tangent else {
        return D::constant(site.primal::<B>(|| f(x.primal)));
    };
    if let Some(y) = site.take::<B>() {
        let dy = tangent(&y, &t).unwrap_or_else(|| df(x.primal, y.clone(), t));
        return D::new(y, Some(dy));
    }
    if let Some((y, dy)) = both(&x.primal, &t) {
        site.keep::<B>(&y);
        return D::new(y, Some(dy));
    }
    let y = site.primal::<B>(|| f(x.primal.clone()));
    let dy = df(x.primal, y.clone(), t);
    D::new(y, Some(dy))
}

/// A linear op whose primal is kept on the primal tape ([`super::tape`]): the element-wise
/// and reducing ones, worth not recomputing (views and copies are not taped).
fn taped_linear<B: Backend>(op: &'static str, x: D<B>, f: impl Fn(P<B>) -> P<B>) -> D<B> {
    let tangent = x.tangent.map(&f);
    let site = Site::new::<B>(op, &[&x.primal]);
    let y = site.primal::<B>(|| f(x.primal));
    D::new(y, tangent)
}

/// A unary op `y = f(x)` whose tangent `ẏ = df(x, y, ẋ)` may use the input and the output.
/// The primal is taped under `f`'s type name (unique per op).
fn unary<B: Backend, F: FnOnce(P<B>) -> P<B>>(
    x: D<B>,
    f: F,
    df: impl FnOnce(P<B>, P<B>, P<B>) -> P<B>,
) -> D<B> {
    unary_fused(x, f, |_, _| None, |_, _| None, df)
}

/// Tangent of an op that is linear in each of two arguments separately, such as `a + b` or
/// `scatter_add(a, b)`: `both(ȧ, ḃ)`, or with zeros for the missing side.
fn bilinear_tangent<B: Backend>(
    a: &P<B>,
    ta: Option<P<B>>,
    b: &P<B>,
    tb: Option<P<B>>,
    op: impl FnOnce(P<B>, P<B>) -> P<B>,
) -> Option<P<B>> {
    match (ta, tb) {
        (None, None) => None,
        (ta, tb) => Some(op(
            ta.unwrap_or_else(|| zeros_like::<B>(a)),
            tb.unwrap_or_else(|| zeros_like::<B>(b)),
        )),
    }
}

impl<B: Backend> FloatTensorOps<Self> for Dual<B> {
    // ----- creation, data and device: constants -----------------------------------------------

    fn float_from_data(data: TensorData, device: &Device<Self>) -> D<B> {
        D::constant(B::float_from_data(data, device))
    }

    fn float_random(
        shape: Shape,
        distribution: Distribution,
        device: &Device<Self>,
        dtype: FloatDType,
    ) -> D<B> {
        // Random numbers make a pass non-deterministic: no primal tape for it.
        super::tape::random_op();
        D::constant(B::float_random(shape, distribution, device, dtype))
    }

    fn float_zeros(shape: Shape, device: &Device<Self>, dtype: FloatDType) -> D<B> {
        D::constant(B::float_zeros(shape, device, dtype))
    }

    fn float_ones(shape: Shape, device: &Device<Self>, dtype: FloatDType) -> D<B> {
        D::constant(B::float_ones(shape, device, dtype))
    }

    fn float_full(
        shape: Shape,
        fill_value: Scalar,
        device: &Device<Self>,
        dtype: FloatDType,
    ) -> D<B> {
        D::constant(B::float_full(shape, fill_value, device, dtype))
    }

    async fn float_into_data(tensor: D<B>) -> Result<TensorData, ExecutionError> {
        B::float_into_data(tensor.primal).await
    }

    fn float_device(tensor: &D<B>) -> Device<Self> {
        B::float_device(&tensor.primal)
    }

    fn float_to_device(tensor: D<B>, device: &Device<Self>) -> D<B> {
        linear(tensor, |t| B::float_to_device(t, device))
    }

    fn float_into_int(tensor: D<B>, out_dtype: IntDType) -> IntTensor<Self> {
        B::float_into_int(tensor.primal, out_dtype)
    }

    fn float_empty(shape: Shape, device: &Device<Self>, dtype: FloatDType) -> D<B> {
        D::constant(B::float_empty(shape, device, dtype))
    }

    fn float_cast(tensor: D<B>, dtype: FloatDType) -> D<B> {
        linear(tensor, |t| B::float_cast(t, dtype))
    }

    fn float_detach(tensor: D<B>) -> D<B> {
        // A stop-gradient is a constant for forward mode too.
        D::constant(tensor.primal)
    }

    // ----- arithmetic -------------------------------------------------------------------------

    fn float_add(lhs: D<B>, rhs: D<B>) -> D<B> {
        let site = Site::new::<B>("add", &[&lhs.primal, &rhs.primal]);
        let y = site.primal::<B>(|| B::float_add(lhs.primal, rhs.primal));
        // ẏ = ȧ + ḃ (broadcast to the output's shape).
        let dy = match (lhs.tangent, rhs.tangent) {
            (None, None) => None,
            (Some(ta), None) => Some(expand_to::<B>(ta, &y.shape())),
            (None, Some(tb)) => Some(expand_to::<B>(tb, &y.shape())),
            (Some(ta), Some(tb)) => Some(expand_to::<B>(B::float_add(ta, tb), &y.shape())),
        };
        D::new(y, dy)
    }

    fn float_sub(lhs: D<B>, rhs: D<B>) -> D<B> {
        let site = Site::new::<B>("sub", &[&lhs.primal, &rhs.primal]);
        let y = site.primal::<B>(|| B::float_sub(lhs.primal, rhs.primal));
        // ẏ = ȧ − ḃ
        let dy = match (lhs.tangent, rhs.tangent) {
            (None, None) => None,
            (Some(ta), None) => Some(expand_to::<B>(ta, &y.shape())),
            (None, Some(tb)) => Some(expand_to::<B>(B::float_neg(tb), &y.shape())),
            (Some(ta), Some(tb)) => Some(expand_to::<B>(B::float_sub(ta, tb), &y.shape())),
        };
        D::new(y, dy)
    }

    fn float_add_scalar(lhs: D<B>, rhs: Scalar) -> D<B> {
        let site = Site::new::<B>("add_scalar", &[&lhs.primal]);
        let y = site.primal::<B>(|| B::float_add_scalar(lhs.primal, rhs));
        D::new(y, lhs.tangent)
    }

    fn float_sub_scalar(lhs: D<B>, rhs: Scalar) -> D<B> {
        let site = Site::new::<B>("sub_scalar", &[&lhs.primal]);
        let y = site.primal::<B>(|| B::float_sub_scalar(lhs.primal, rhs));
        D::new(y, lhs.tangent)
    }

    fn float_mul(lhs: D<B>, rhs: D<B>) -> D<B> {
        let (a, ta) = lhs.into_parts();
        let (b, tb) = rhs.into_parts();
        let site = Site::new::<B>("mul", &[&a, &b]);
        let replayed = site.take::<B>();
        if replayed.is_none() {
            // One pass for primal and tangent where the buffers allow (`fused`).
            let fused = match (&ta, &tb) {
                (None, None) => None,
                (Some(ta), None) => super::fused::mul_left::<B>(&a, ta, &b),
                (None, Some(tb)) => super::fused::mul_right::<B>(&a, &b, tb),
                (Some(ta), Some(tb)) => super::fused::mul_both::<B>(&a, ta, &b, tb),
            };
            if let Some((y, dy)) = fused {
                site.keep::<B>(&y);
                return D::new(y, Some(dy));
            }
        }
        // ẏ = ȧ b + a ḃ (one loop where the buffers allow: only when replaying, since the
        // fused kernel above took every such case otherwise)
        let dy = match (ta, tb) {
            (None, None) => None,
            (Some(ta), None) => Some(B::float_mul(ta, b.clone())),
            (None, Some(tb)) => Some(B::float_mul(a.clone(), tb)),
            (Some(ta), Some(tb)) => Some(
                super::fused::mul_both_tangent::<B>(&a, &ta, &b, &tb).unwrap_or_else(|| {
                    B::float_add(B::float_mul(ta, b.clone()), B::float_mul(a.clone(), tb))
                }),
            ),
        };
        let y = match replayed {
            Some(y) => y,
            None => site.primal::<B>(|| B::float_mul(a, b)),
        };
        D::new(y, dy)
    }

    fn float_mul_scalar(lhs: D<B>, rhs: Scalar) -> D<B> {
        taped_linear("mul_scalar", lhs, |t| B::float_mul_scalar(t, rhs))
    }

    fn float_div(lhs: D<B>, rhs: D<B>) -> D<B> {
        let (a, ta) = lhs.into_parts();
        let (b, tb) = rhs.into_parts();
        let site = Site::new::<B>("div", &[&a, &b]);
        if ta.is_none() && tb.is_none() {
            return D::constant(site.primal::<B>(|| B::float_div(a, b)));
        }
        let y = site.primal::<B>(|| B::float_div(a, b.clone()));
        // ẏ = (ȧ − y ḃ) / b
        let dy = match (ta, tb) {
            (None, None) => None,
            (Some(ta), None) => Some(B::float_div(ta, b)),
            (None, Some(tb)) => Some(B::float_neg(B::float_div(B::float_mul(y.clone(), tb), b))),
            (Some(ta), Some(tb)) => Some(B::float_div(
                B::float_sub(ta, B::float_mul(y.clone(), tb)),
                b,
            )),
        };
        D::new(y, dy)
    }

    fn float_div_scalar(lhs: D<B>, rhs: Scalar) -> D<B> {
        taped_linear("div_scalar", lhs, |t| B::float_div_scalar(t, rhs))
    }

    fn float_remainder(lhs: D<B>, rhs: D<B>) -> D<B> {
        let (a, ta) = lhs.into_parts();
        let (b, tb) = rhs.into_parts();
        let y = B::float_remainder(a.clone(), b.clone());
        // y = a − b ⌊a/b⌋ (sign of the divisor), so ẏ = ȧ − ⌊a/b⌋ ḃ almost everywhere.
        let dy = match (ta, tb) {
            (None, None) => None,
            (ta, tb) => {
                let mut dy = ta.map(|ta| expand_to::<B>(ta, &y.shape()));
                if let Some(tb) = tb {
                    let q = B::float_floor(B::float_div(a, b));
                    let term = expand_to::<B>(B::float_neg(B::float_mul(q, tb)), &y.shape());
                    dy = Some(match dy {
                        Some(d) => B::float_add(d, term),
                        None => term,
                    });
                }
                dy
            }
        };
        D::new(y, dy)
    }

    fn float_remainder_scalar(lhs: D<B>, rhs: Scalar) -> D<B> {
        D::new(B::float_remainder_scalar(lhs.primal, rhs), lhs.tangent)
    }

    fn float_matmul(lhs: D<B>, rhs: D<B>) -> D<B> {
        let (a, ta) = lhs.into_parts();
        let (b, tb) = rhs.into_parts();
        // ẏ = ȧ b + a ḃ: three products. One product twice as tall (`[a; ȧ]·b`) or twice as
        // wide (`a·[b, ḃ]`) was measured no faster on Flex or ndarray at the MLP sizes — the
        // concatenation costs what the larger product saves (docs/performance.md, "Dual
        // products"; `cargo bench --bench dual_kernels`).
        let dy = match (ta, tb) {
            (None, None) => None,
            (Some(ta), None) => Some(B::float_matmul(ta, b.clone())),
            (None, Some(tb)) => Some(B::float_matmul(a.clone(), tb)),
            (Some(ta), Some(tb)) => Some(B::float_add(
                B::float_matmul(ta, b.clone()),
                B::float_matmul(a.clone(), tb),
            )),
        };
        // Replaying the primal tape, the product `ab` is not computed again: two products.
        let site = Site::new::<B>("matmul", &[&a, &b]);
        let y = site.primal::<B>(|| B::float_matmul(a, b));
        D::new(y, dy)
    }

    fn float_cross(lhs: D<B>, rhs: D<B>, dim: usize) -> D<B> {
        let (a, ta) = lhs.into_parts();
        let (b, tb) = rhs.into_parts();
        // Bilinear: ẏ = ȧ × b + a × ḃ
        let dy = match (ta, tb) {
            (None, None) => None,
            (Some(ta), None) => Some(B::float_cross(ta, b.clone(), dim)),
            (None, Some(tb)) => Some(B::float_cross(a.clone(), tb, dim)),
            (Some(ta), Some(tb)) => Some(B::float_add(
                B::float_cross(ta, b.clone(), dim),
                B::float_cross(a.clone(), tb, dim),
            )),
        };
        D::new(B::float_cross(a, b, dim), dy)
    }

    fn float_neg(tensor: D<B>) -> D<B> {
        taped_linear("neg", tensor, B::float_neg)
    }

    fn float_recip(tensor: D<B>) -> D<B> {
        // ẏ = −ẋ y²
        unary(tensor, B::float_recip, |_, y, t| {
            B::float_neg(B::float_mul(t, B::float_mul(y.clone(), y)))
        })
    }

    // ----- layout and indexing: linear ---------------------------------------------------------

    fn float_swap_dims(tensor: D<B>, dim1: usize, dim2: usize) -> D<B> {
        linear(tensor, |t| B::float_swap_dims(t, dim1, dim2))
    }

    fn float_permute(tensor: D<B>, axes: &[usize]) -> D<B> {
        linear(tensor, |t| B::float_permute(t, axes))
    }

    fn float_flip(tensor: D<B>, axes: &[usize]) -> D<B> {
        linear(tensor, |t| B::float_flip(t, axes))
    }

    fn float_reshape(tensor: D<B>, shape: Shape) -> D<B> {
        linear(tensor, |t| B::float_reshape(t, shape.clone()))
    }

    fn float_expand(tensor: D<B>, shape: Shape) -> D<B> {
        linear(tensor, |t| B::float_expand(t, shape.clone()))
    }

    fn float_unfold(tensor: D<B>, dim: usize, size: usize, step: usize) -> D<B> {
        linear(tensor, |t| B::float_unfold(t, dim, size, step))
    }

    fn float_repeat_dim(tensor: D<B>, dim: usize, times: usize) -> D<B> {
        linear(tensor, |t| B::float_repeat_dim(t, dim, times))
    }

    fn float_gather(dim: usize, tensor: D<B>, indices: IntTensor<Self>) -> D<B> {
        linear(tensor, |t| B::float_gather(dim, t, indices.clone()))
    }

    fn float_gather_nd(data: D<B>, indices: IntTensor<Self>) -> D<B> {
        linear(data, |t| B::float_gather_nd(t, indices.clone()))
    }

    fn float_scatter_add(dim: usize, tensor: D<B>, indices: IntTensor<Self>, value: D<B>) -> D<B> {
        let dy = bilinear_tangent::<B>(
            &tensor.primal,
            tensor.tangent,
            &value.primal,
            value.tangent,
            |t, v| B::float_scatter_add(dim, t, indices.clone(), v),
        );
        D::new(
            B::float_scatter_add(dim, tensor.primal, indices, value.primal),
            dy,
        )
    }

    fn float_scatter_nd(
        data: D<B>,
        indices: IntTensor<Self>,
        values: D<B>,
        reduction: burn_backend::tensor::IndexingUpdateOp,
    ) -> D<B> {
        if data.tangent.is_some() || values.tangent.is_some() {
            no_rule("float_scatter_nd");
        }
        D::constant(B::float_scatter_nd(
            data.primal,
            indices,
            values.primal,
            reduction,
        ))
    }

    fn float_select(tensor: D<B>, dim: usize, indices: IntTensor<Self>) -> D<B> {
        linear(tensor, |t| B::float_select(t, dim, indices.clone()))
    }

    fn float_select_add(tensor: D<B>, dim: usize, indices: IntTensor<Self>, value: D<B>) -> D<B> {
        let dy = bilinear_tangent::<B>(
            &tensor.primal,
            tensor.tangent,
            &value.primal,
            value.tangent,
            |t, v| B::float_select_add(t, dim, indices.clone(), v),
        );
        D::new(
            B::float_select_add(tensor.primal, dim, indices, value.primal),
            dy,
        )
    }

    fn float_slice(tensor: D<B>, slices: &[Slice]) -> D<B> {
        linear(tensor, |t| B::float_slice(t, slices))
    }

    fn float_slice_assign(tensor: D<B>, slices: &[Slice], value: D<B>) -> D<B> {
        let dy = bilinear_tangent::<B>(
            &tensor.primal,
            tensor.tangent,
            &value.primal,
            value.tangent,
            |t, v| B::float_slice_assign(t, slices, v),
        );
        D::new(
            B::float_slice_assign(tensor.primal, slices, value.primal),
            dy,
        )
    }

    fn float_mask_where(tensor: D<B>, mask: BoolTensor<Self>, value: D<B>) -> D<B> {
        // Piecewise selection: ẏ = where(mask, v̇, ṫ).
        let dy = bilinear_tangent::<B>(
            &tensor.primal,
            tensor.tangent,
            &value.primal,
            value.tangent,
            |t, v| B::float_mask_where(t, mask.clone(), v),
        );
        let site = Site::new::<B>("mask_where", &[&tensor.primal, &value.primal]);
        let y = site.primal::<B>(|| B::float_mask_where(tensor.primal, mask, value.primal));
        D::new(y, dy)
    }

    fn float_mask_fill(tensor: D<B>, mask: BoolTensor<Self>, value: Scalar) -> D<B> {
        let dy = tensor
            .tangent
            .map(|t| B::float_mask_fill(t, mask.clone(), 0f64.into()));
        let site = Site::new::<B>("mask_fill", &[&tensor.primal]);
        let y = site.primal::<B>(|| B::float_mask_fill(tensor.primal, mask, value));
        D::new(y, dy)
    }

    fn float_cat(tensors: Vec<D<B>>, dim: usize) -> D<B> {
        let any_tangent = tensors.iter().any(|t| t.tangent.is_some());
        let dy = any_tangent
            .then(|| B::float_cat(tensors.iter().map(|t| t.tangent_or_zeros()).collect(), dim));
        D::new(
            B::float_cat(tensors.into_iter().map(|t| t.primal).collect(), dim),
            dy,
        )
    }

    // ----- comparisons: no tangent -----------------------------------------------------------

    fn float_equal(lhs: D<B>, rhs: D<B>, out_dtype: BoolDType) -> BoolTensor<Self> {
        B::float_equal(lhs.primal, rhs.primal, out_dtype)
    }
    fn float_equal_elem(lhs: D<B>, rhs: Scalar, out_dtype: BoolDType) -> BoolTensor<Self> {
        B::float_equal_elem(lhs.primal, rhs, out_dtype)
    }
    fn float_greater(lhs: D<B>, rhs: D<B>, out_dtype: BoolDType) -> BoolTensor<Self> {
        B::float_greater(lhs.primal, rhs.primal, out_dtype)
    }
    fn float_greater_elem(lhs: D<B>, rhs: Scalar, out_dtype: BoolDType) -> BoolTensor<Self> {
        B::float_greater_elem(lhs.primal, rhs, out_dtype)
    }
    fn float_greater_equal(lhs: D<B>, rhs: D<B>, out_dtype: BoolDType) -> BoolTensor<Self> {
        B::float_greater_equal(lhs.primal, rhs.primal, out_dtype)
    }
    fn float_greater_equal_elem(lhs: D<B>, rhs: Scalar, out_dtype: BoolDType) -> BoolTensor<Self> {
        B::float_greater_equal_elem(lhs.primal, rhs, out_dtype)
    }
    fn float_lower(lhs: D<B>, rhs: D<B>, out_dtype: BoolDType) -> BoolTensor<Self> {
        B::float_lower(lhs.primal, rhs.primal, out_dtype)
    }
    fn float_lower_elem(lhs: D<B>, rhs: Scalar, out_dtype: BoolDType) -> BoolTensor<Self> {
        B::float_lower_elem(lhs.primal, rhs, out_dtype)
    }
    fn float_lower_equal(lhs: D<B>, rhs: D<B>, out_dtype: BoolDType) -> BoolTensor<Self> {
        B::float_lower_equal(lhs.primal, rhs.primal, out_dtype)
    }
    fn float_lower_equal_elem(lhs: D<B>, rhs: Scalar, out_dtype: BoolDType) -> BoolTensor<Self> {
        B::float_lower_equal_elem(lhs.primal, rhs, out_dtype)
    }
    fn float_is_nan(tensor: D<B>, out_dtype: BoolDType) -> BoolTensor<Self> {
        B::float_is_nan(tensor.primal, out_dtype)
    }
    fn float_is_inf(tensor: D<B>, out_dtype: BoolDType) -> BoolTensor<Self> {
        B::float_is_inf(tensor.primal, out_dtype)
    }
    fn float_argmax(tensor: D<B>, dim: usize, out_dtype: IntDType) -> IntTensor<Self> {
        B::float_argmax(tensor.primal, dim, out_dtype)
    }
    fn float_argmin(tensor: D<B>, dim: usize, out_dtype: IntDType) -> IntTensor<Self> {
        B::float_argmin(tensor.primal, dim, out_dtype)
    }
    fn float_argtopk(tensor: D<B>, dim: usize, k: usize, out_dtype: IntDType) -> IntTensor<Self> {
        B::float_argtopk(tensor.primal, dim, k, out_dtype)
    }
    fn float_argsort(
        tensor: D<B>,
        dim: usize,
        descending: bool,
        out_dtype: IntDType,
    ) -> IntTensor<Self> {
        B::float_argsort(tensor.primal, dim, descending, out_dtype)
    }

    // ----- reductions -------------------------------------------------------------------------

    fn float_sum(tensor: D<B>) -> D<B> {
        taped_linear("sum", tensor, B::float_sum)
    }

    fn float_sum_dim(tensor: D<B>, dim: usize) -> D<B> {
        taped_linear("sum_dim", tensor, |t| B::float_sum_dim(t, dim))
    }

    fn float_mean(tensor: D<B>) -> D<B> {
        taped_linear("mean", tensor, B::float_mean)
    }

    fn float_mean_dim(tensor: D<B>, dim: usize) -> D<B> {
        taped_linear("mean_dim", tensor, |t| B::float_mean_dim(t, dim))
    }

    fn float_prod(tensor: D<B>) -> D<B> {
        // ẏ = Σ_k ẋ_k Π_{j≠k} x_j, with the products over the others computed without
        // division, so the tangent is exact where some x_k are zero.
        unary(tensor, B::float_prod, |x, y, t| {
            let shape = x.shape();
            let flat = B::float_reshape(x, Shape::new([shape.num_elements()]));
            let others = B::float_reshape(products_of_others::<B>(flat, 0), shape);
            B::float_reshape(B::float_sum(B::float_mul(t, others)), y.shape())
        })
    }

    fn float_prod_dim(tensor: D<B>, dim: usize) -> D<B> {
        // ẏ = Σ_k ẋ_k Π_{j≠k} x_j along `dim`, division-free (exact at zeros).
        unary(
            tensor,
            |x| B::float_prod_dim(x, dim),
            |x, _, t| B::float_sum_dim(B::float_mul(t, products_of_others::<B>(x, dim)), dim),
        )
    }

    fn float_cumsum(tensor: D<B>, dim: usize) -> D<B> {
        linear(tensor, |t| B::float_cumsum(t, dim))
    }

    fn float_cumprod(tensor: D<B>, dim: usize) -> D<B> {
        // y_k = y_{k−1} x_k, so ẏ_k = ẏ_{k−1} x_k + y_{k−1} ẋ_k: the dual-number recurrence,
        // exact at zeros (the formula y ⊙ cumsum(ẋ/x) divides by x). It takes O(n) slice ops
        // along `dim`.
        unary(
            tensor,
            |x| B::float_cumprod(x, dim),
            |x, y, t| cumprod_tangent::<B>(x, y, t, dim),
        )
    }

    fn float_cummin(tensor: D<B>, dim: usize) -> D<B> {
        if tensor.tangent.is_some() {
            no_rule("float_cummin");
        }
        D::constant(B::float_cummin(tensor.primal, dim))
    }

    fn float_cummax(tensor: D<B>, dim: usize) -> D<B> {
        if tensor.tangent.is_some() {
            no_rule("float_cummax");
        }
        D::constant(B::float_cummax(tensor.primal, dim))
    }

    fn float_sort(tensor: D<B>, dim: usize, descending: bool) -> D<B> {
        let int_dtype = get_device_settings::<B>(&B::float_device(&tensor.primal)).int_dtype;
        Self::float_sort_with_indices(tensor, dim, descending, int_dtype).0
    }

    fn float_sort_with_indices(
        tensor: D<B>,
        dim: usize,
        descending: bool,
        indices_dtype: IntDType,
    ) -> (D<B>, IntTensor<Self>) {
        // A permutation: the tangent follows the primal's sort order.
        let (y, idx) = B::float_sort_with_indices(tensor.primal, dim, descending, indices_dtype);
        let dy = tensor.tangent.map(|t| B::float_gather(dim, t, idx.clone()));
        (D::new(y, dy), idx)
    }

    // ----- elementwise unary ------------------------------------------------------------------

    fn float_exp(tensor: D<B>) -> D<B> {
        // ẏ = y ẋ
        unary_fused(
            tensor,
            B::float_exp,
            super::fused::exp::<B>,
            |_, _| None,
            |_, y, t| B::float_mul(y, t),
        )
    }

    fn float_log(tensor: D<B>) -> D<B> {
        // ẏ = ẋ / x
        unary(tensor, B::float_log, |x, _, t| B::float_div(t, x))
    }

    fn float_log1p(tensor: D<B>) -> D<B> {
        // ẏ = ẋ / (1 + x)
        unary(tensor, B::float_log1p, |x, _, t| {
            B::float_div(t, B::float_add_scalar(x, 1f64.into()))
        })
    }

    fn float_powf(lhs: D<B>, rhs: D<B>) -> D<B> {
        let (a, ta) = lhs.into_parts();
        let (b, tb) = rhs.into_parts();
        let y = B::float_powf(a.clone(), b.clone());
        // y = a^b: ẏ = b a^(b−1) ȧ + y ln(a) ḃ
        let da = ta.map(|ta| {
            let pow = B::float_powf(a.clone(), B::float_sub_scalar(b.clone(), 1f64.into()));
            B::float_mul(B::float_mul(ta, b.clone()), pow)
        });
        let db = tb.map(|tb| B::float_mul(B::float_mul(y.clone(), B::float_log(a)), tb));
        let dy = match (da, db) {
            (None, None) => None,
            (Some(d), None) | (None, Some(d)) => Some(expand_to::<B>(d, &y.shape())),
            (Some(da), Some(db)) => Some(expand_to::<B>(B::float_add(da, db), &y.shape())),
        };
        D::new(y, dy)
    }

    fn float_powf_scalar_impl(tensor: D<B>, value: Scalar) -> D<B> {
        // ẏ = s x^(s−1) ẋ
        let s: f64 = value.elem();
        unary(
            tensor,
            |x| B::float_powf_scalar_impl(x, value),
            |x, _, t| {
                let pow = B::float_powf_scalar_impl(x, (s - 1.0).into());
                B::float_mul_scalar(B::float_mul(t, pow), s.into())
            },
        )
    }

    fn float_sqrt(tensor: D<B>) -> D<B> {
        // ẏ = ẋ / (2y)
        unary(tensor, B::float_sqrt, |_, y, t| {
            B::float_div(t, B::float_mul_scalar(y, 2f64.into()))
        })
    }

    fn float_abs(tensor: D<B>) -> D<B> {
        // ẏ = sign(x) ẋ (zero at x = 0)
        unary(tensor, B::float_abs, |x, _, t| {
            B::float_mul(t, B::float_sign(x))
        })
    }

    fn float_cos(tensor: D<B>) -> D<B> {
        // ẏ = −sin(x) ẋ
        unary(tensor, B::float_cos, |x, _, t| {
            B::float_neg(B::float_mul(t, B::float_sin(x)))
        })
    }

    fn float_sin(tensor: D<B>) -> D<B> {
        // ẏ = cos(x) ẋ
        unary(tensor, B::float_sin, |x, _, t| {
            B::float_mul(t, B::float_cos(x))
        })
    }

    fn float_tan(tensor: D<B>) -> D<B> {
        // ẏ = (1 + y²) ẋ
        unary(tensor, B::float_tan, |_, y, t| {
            B::float_mul(
                t,
                B::float_add_scalar(B::float_mul(y.clone(), y), 1f64.into()),
            )
        })
    }

    fn float_cosh(tensor: D<B>) -> D<B> {
        // ẏ = sinh(x) ẋ
        unary(tensor, B::float_cosh, |x, _, t| {
            B::float_mul(t, B::float_sinh(x))
        })
    }

    fn float_sinh(tensor: D<B>) -> D<B> {
        // ẏ = cosh(x) ẋ
        unary(tensor, B::float_sinh, |x, _, t| {
            B::float_mul(t, B::float_cosh(x))
        })
    }

    fn float_tanh(tensor: D<B>) -> D<B> {
        // Burn's backward calls `tanh` again on the forward's input: remembered (`memo`).
        super::memo::tanh(tensor, |tensor| {
            // ẏ = (1 − y²) ẋ
            // f32 on a CPU backend: a vectorised rational approximation (see `fast_tanh`).
            unary_fused(
                tensor,
                super::fast_tanh::tanh::<B>,
                super::fused::tanh::<B>,
                super::fused::tanh_tangent::<B>,
                |_, y, t| {
                    let one_minus_y2 =
                        B::float_add_scalar(B::float_neg(B::float_mul(y.clone(), y)), 1f64.into());
                    B::float_mul(t, one_minus_y2)
                },
            )
        })
    }

    fn float_acos(tensor: D<B>) -> D<B> {
        // ẏ = −ẋ / √(1 − x²)
        unary(tensor, B::float_acos, |x, _, t| {
            B::float_neg(B::float_div(t, sqrt_one_minus_sq::<B>(x)))
        })
    }

    fn float_asin(tensor: D<B>) -> D<B> {
        // ẏ = ẋ / √(1 − x²)
        unary(tensor, B::float_asin, |x, _, t| {
            B::float_div(t, sqrt_one_minus_sq::<B>(x))
        })
    }

    fn float_acosh(tensor: D<B>) -> D<B> {
        // ẏ = ẋ / √(x² − 1)
        unary(tensor, B::float_acosh, |x, _, t| {
            let x2m1 = B::float_sub_scalar(B::float_mul(x.clone(), x), 1f64.into());
            B::float_div(t, B::float_sqrt(x2m1))
        })
    }

    fn float_asinh(tensor: D<B>) -> D<B> {
        // ẏ = ẋ / √(x² + 1)
        unary(tensor, B::float_asinh, |x, _, t| {
            let x2p1 = B::float_add_scalar(B::float_mul(x.clone(), x), 1f64.into());
            B::float_div(t, B::float_sqrt(x2p1))
        })
    }

    fn float_atan(tensor: D<B>) -> D<B> {
        // ẏ = ẋ / (1 + x²)
        unary(tensor, B::float_atan, |x, _, t| {
            B::float_div(
                t,
                B::float_add_scalar(B::float_mul(x.clone(), x), 1f64.into()),
            )
        })
    }

    fn float_atanh(tensor: D<B>) -> D<B> {
        // ẏ = ẋ / (1 − x²)
        unary(tensor, B::float_atanh, |x, _, t| {
            let one_minus_x2 =
                B::float_add_scalar(B::float_neg(B::float_mul(x.clone(), x)), 1f64.into());
            B::float_div(t, one_minus_x2)
        })
    }

    fn float_atan2(lhs: D<B>, rhs: D<B>) -> D<B> {
        let (a, ta) = lhs.into_parts();
        let (b, tb) = rhs.into_parts();
        let y = B::float_atan2(a.clone(), b.clone());
        // y = atan2(a, b): ẏ = (b ȧ − a ḃ) / (a² + b²)
        let dy = match (ta, tb) {
            (None, None) => None,
            (ta, tb) => {
                let r2 = B::float_add(
                    B::float_mul(a.clone(), a.clone()),
                    B::float_mul(b.clone(), b.clone()),
                );
                let num = match (ta, tb) {
                    (Some(ta), None) => B::float_mul(b, ta),
                    (None, Some(tb)) => B::float_neg(B::float_mul(a, tb)),
                    (Some(ta), Some(tb)) => B::float_sub(B::float_mul(b, ta), B::float_mul(a, tb)),
                    (None, None) => unreachable!(),
                };
                Some(expand_to::<B>(B::float_div(num, r2), &y.shape()))
            }
        };
        D::new(y, dy)
    }

    fn float_erf(tensor: D<B>) -> D<B> {
        // ẏ = 2/√π · exp(−x²) ẋ
        unary(tensor, B::float_erf, |x, _, t| {
            let e = B::float_exp(B::float_neg(B::float_mul(x.clone(), x)));
            B::float_mul(
                t,
                B::float_mul_scalar(e, core::f64::consts::FRAC_2_SQRT_PI.into()),
            )
        })
    }

    // Piecewise-constant functions: zero derivative almost everywhere.
    fn float_round(tensor: D<B>) -> D<B> {
        D::constant(B::float_round(tensor.primal))
    }
    fn float_floor(tensor: D<B>) -> D<B> {
        D::constant(B::float_floor(tensor.primal))
    }
    fn float_ceil(tensor: D<B>) -> D<B> {
        D::constant(B::float_ceil(tensor.primal))
    }
    fn float_trunc(tensor: D<B>) -> D<B> {
        D::constant(B::float_trunc(tensor.primal))
    }
    fn float_sign(tensor: D<B>) -> D<B> {
        D::constant(B::float_sign(tensor.primal))
    }

    fn float_grid_sample_2d(
        tensor: D<B>,
        grid: D<B>,
        options: burn_backend::ops::GridSampleOptions,
    ) -> D<B> {
        if tensor.tangent.is_some() || grid.tangent.is_some() {
            no_rule("float_grid_sample_2d");
        }
        D::constant(B::float_grid_sample_2d(tensor.primal, grid.primal, options))
    }
}

/// `√(1 − x²)` on the inner backend.
fn sqrt_one_minus_sq<B: Backend>(x: P<B>) -> P<B> {
    B::float_sqrt(B::float_add_scalar(
        B::float_neg(B::float_mul(x.clone(), x)),
        1f64.into(),
    ))
}

/// `Π_{j≠k} x_j` along `dim` for every `k`: the exclusive prefix product times the exclusive
/// suffix product, with no division (so it is exact where entries are zero).
fn products_of_others<B: Backend>(x: P<B>, dim: usize) -> P<B> {
    let prefix = exclusive_cumprod::<B>(x.clone(), dim);
    let suffix = B::float_flip(
        exclusive_cumprod::<B>(B::float_flip(x, &[dim]), dim),
        &[dim],
    );
    B::float_mul(prefix, suffix)
}

/// `(1, x_0, x_0 x_1, …, Π_{j<n−1} x_j)` along `dim`.
fn exclusive_cumprod<B: Backend>(x: P<B>, dim: usize) -> P<B> {
    let shape = x.shape();
    let n = shape[dim];
    let mut first = shape.clone();
    first[dim] = 1;
    let ones = B::float_ones(first, &B::float_device(&x), x.dtype().into());
    if n == 1 {
        return ones;
    }
    let running = B::float_cumprod(x, dim);
    let head = B::float_slice(running, &along(&shape, dim, 0, n - 1));
    B::float_cat(vec![ones, head], dim)
}

/// Slices selecting `start..end` along `dim` and everything along the other dimensions.
fn along(shape: &Shape, dim: usize, start: usize, end: usize) -> Vec<Slice> {
    (0..shape.num_dims())
        .map(|d| {
            if d == dim {
                Slice::new(start as isize, Some(end as isize), 1)
            } else {
                Slice::new(0, None, 1)
            }
        })
        .collect()
}

/// Tangent of `y = cumprod(x)` along `dim` by the recurrence `ẏ_k = ẏ_{k−1} x_k + y_{k−1} ẋ_k`.
fn cumprod_tangent<B: Backend>(x: P<B>, y: P<B>, t: P<B>, dim: usize) -> P<B> {
    let shape = x.shape();
    let n = shape[dim];
    let at = |p: &P<B>, k: usize| B::float_slice(p.clone(), &along(&shape, dim, k, k + 1));
    let mut parts = Vec::with_capacity(n);
    let mut previous = at(&t, 0);
    parts.push(previous.clone());
    for k in 1..n {
        let next = B::float_add(
            B::float_mul(previous, at(&x, k)),
            B::float_mul(at(&y, k - 1), at(&t, k)),
        );
        parts.push(next.clone());
        previous = next;
    }
    B::float_cat(parts, dim)
}
