//! Activation rules of [`Dual`]. Burn's defaults compose float ops (so they inherit exact
//! tangents) except two that are not exact in f64: the default `sigmoid` computes in f32 and the
//! default `gelu_backward` is the tanh approximation. Both are replaced here by exact formulas,
//! so that Hessian-vector products through them stay exact.

use super::{Dual, DualTensor};
use burn_backend::{ops::ActivationOps, ops::FloatTensorOps, Backend, Scalar};

type D<B> = DualTensor<B>;

impl<B: Backend> ActivationOps<Self> for Dual<B> {
    fn sigmoid(tensor: D<B>) -> D<B> {
        // y = 1 / (1 + e^{−x}) in the tensor's own precision; ẏ = y (1 − y) ẋ.
        let site = super::tape::Site::new::<B>("sigmoid", &[&tensor.primal]);
        let y = site.primal::<B>(|| {
            B::float_recip(B::float_add_scalar(
                B::float_exp(B::float_neg(tensor.primal)),
                1f64.into(),
            ))
        });
        let dy = tensor.tangent.map(|t| {
            let one_minus_y = B::float_add_scalar(B::float_neg(y.clone()), 1f64.into());
            B::float_mul(t, B::float_mul(y.clone(), one_minus_y))
        });
        D::new(y, dy)
    }

    fn hard_sigmoid(tensor: D<B>, alpha: Scalar, beta: Scalar) -> D<B> {
        // clamp(αx + β, 0, 1) without the default's cast to f32.
        let z = Self::float_add_scalar(Self::float_mul_scalar(tensor, alpha), beta);
        Self::float_clamp(z, 0f64.into(), 1f64.into())
    }

    fn gelu_backward(x: D<B>, grad: D<B>) -> D<B> {
        // Exact: d/dx [x Φ(x)] = Φ(x) + x φ(x), Φ(x) = (1 + erf(x/√2))/2,
        // φ(x) = e^{−x²/2}/√(2π). Written with Dual ops, so its tangent is exact too.
        let cdf = Self::float_mul_scalar(
            Self::float_add_scalar(
                Self::float_erf(Self::float_mul_scalar(
                    x.clone(),
                    core::f64::consts::FRAC_1_SQRT_2.into(),
                )),
                1f64.into(),
            ),
            0.5f64.into(),
        );
        let x2 = Self::float_mul(x.clone(), x.clone());
        let pdf = Self::float_mul_scalar(
            Self::float_exp(Self::float_mul_scalar(x2, (-0.5f64).into())),
            (1.0 / (2.0 * core::f64::consts::PI).sqrt()).into(),
        );
        let derivative = Self::float_add(cdf, Self::float_mul(x, pdf));
        Self::float_mul(derivative, grad)
    }
}
