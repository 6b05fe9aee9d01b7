//! Module-op rules of [`Dual`]: convolutions, pooling, interpolation, attention, FFT.
//!
//! Convolutions are bilinear in (input, weight) and linear in the bias, so
//! `ẏ = conv(ẋ, w) + conv(x, ẇ, ḃ)`. Pooling, interpolation and FFTs are linear in their input
//! (max pooling given its argmax), and their backward ops are linear in the incoming gradient.
//! Burn's default backward formulas for convolutions are compositions of these ops and of float
//! ops, so they need no rules of their own.

use super::{no_rule, Dual, DualTensor};
use burn_backend::{
    ops::{
        attention::attention_fallback, AttentionModuleOptions, ConvOptions, ConvTransposeOptions,
        DeformConv2dBackward, DeformConvOptions, InterpolateOptions, MaxPool2dBackward,
        MaxPool2dWithIndices, ModuleOps,
    },
    tensor::{BoolTensor, FloatTensor, IntTensor},
    Backend, TensorMetadata,
};
use burn_std::Shape;

type D<B> = DualTensor<B>;
type P<B> = FloatTensor<B>;

/// JVP of a convolution-like op `conv(x, w, b)`, bilinear in `(x, w)` and linear in `b`.
/// The primal is taped under `op` ([`super::tape`]).
fn conv_like<B: Backend>(
    op: &'static str,
    x: D<B>,
    weight: D<B>,
    bias: Option<D<B>>,
    conv: impl Fn(P<B>, P<B>, Option<P<B>>) -> P<B>,
) -> D<B> {
    let (bias_p, bias_t) = match bias {
        Some(b) => (Some(b.primal), b.tangent),
        None => (None, None),
    };
    let mut inputs = vec![&x.primal, &weight.primal];
    inputs.extend(bias_p.as_ref());
    let site = super::tape::Site::new::<B>(op, &inputs);
    let y = site.primal::<B>(|| conv(x.primal.clone(), weight.primal.clone(), bias_p.clone()));
    let mut dy: Option<P<B>> = None;
    let mut add = |term: P<B>| {
        dy = Some(match dy.take() {
            Some(acc) => B::float_add(acc, term),
            None => term,
        })
    };
    if let Some(tx) = x.tangent {
        add(conv(tx, weight.primal.clone(), None));
    }
    match (weight.tangent, bias_t) {
        (None, None) => {}
        (Some(tw), tb) => add(conv(x.primal, tw, tb)),
        (None, Some(tb)) => {
            // ḃ broadcast over the output: conv with a zero weight keeps the exact layout.
            let zero_w = super::zeros_like::<B>(&weight.primal);
            add(conv(x.primal, zero_w, Some(tb)))
        }
    }
    D::new(y, dy)
}

/// JVP of an op linear in one float input, with the other inputs held fixed.
fn linear_in<B: Backend>(x: D<B>, f: impl Fn(P<B>) -> P<B>) -> D<B> {
    let dy = x.tangent.map(&f);
    D::new(f(x.primal), dy)
}

impl<B: Backend> ModuleOps<Self> for Dual<B> {
    fn conv2d(x: D<B>, weight: D<B>, bias: Option<D<B>>, options: ConvOptions<2>) -> D<B> {
        conv_like("conv2d", x, weight, bias, |x, w, b| {
            B::conv2d(x, w, b, options.clone())
        })
    }

    fn conv3d(x: D<B>, weight: D<B>, bias: Option<D<B>>, options: ConvOptions<3>) -> D<B> {
        conv_like("conv3d", x, weight, bias, |x, w, b| {
            B::conv3d(x, w, b, options.clone())
        })
    }

    fn conv_transpose2d(
        x: D<B>,
        weight: D<B>,
        bias: Option<D<B>>,
        options: ConvTransposeOptions<2>,
    ) -> D<B> {
        conv_like("conv_transpose2d", x, weight, bias, |x, w, b| {
            B::conv_transpose2d(x, w, b, options.clone())
        })
    }

    fn conv_transpose3d(
        x: D<B>,
        weight: D<B>,
        bias: Option<D<B>>,
        options: ConvTransposeOptions<3>,
    ) -> D<B> {
        conv_like("conv_transpose3d", x, weight, bias, |x, w, b| {
            B::conv_transpose3d(x, w, b, options.clone())
        })
    }

    fn deform_conv2d(
        x: D<B>,
        offset: D<B>,
        weight: D<B>,
        mask: Option<D<B>>,
        bias: Option<D<B>>,
        options: DeformConvOptions<2>,
    ) -> D<B> {
        let has_tangent = x.tangent.is_some()
            || offset.tangent.is_some()
            || weight.tangent.is_some()
            || mask.as_ref().is_some_and(|m| m.tangent.is_some())
            || bias.as_ref().is_some_and(|b| b.tangent.is_some());
        if has_tangent {
            no_rule("deform_conv2d");
        }
        D::constant(B::deform_conv2d(
            x.primal,
            offset.primal,
            weight.primal,
            mask.map(|m| m.primal),
            bias.map(|b| b.primal),
            options,
        ))
    }

    fn deform_conv2d_backward(
        x: D<B>,
        offset: D<B>,
        weight: D<B>,
        mask: Option<D<B>>,
        bias: Option<D<B>>,
        output_grad: D<B>,
        options: DeformConvOptions<2>,
    ) -> DeformConv2dBackward<Self> {
        let has_tangent = x.tangent.is_some()
            || offset.tangent.is_some()
            || weight.tangent.is_some()
            || output_grad.tangent.is_some()
            || mask.as_ref().is_some_and(|m| m.tangent.is_some())
            || bias.as_ref().is_some_and(|b| b.tangent.is_some());
        if has_tangent {
            no_rule("deform_conv2d_backward");
        }
        let g = B::deform_conv2d_backward(
            x.primal,
            offset.primal,
            weight.primal,
            mask.map(|m| m.primal),
            bias.map(|b| b.primal),
            output_grad.primal,
            options,
        );
        DeformConv2dBackward::new(
            D::constant(g.x_grad),
            D::constant(g.offset_grad),
            D::constant(g.weight_grad),
            g.mask_grad.map(D::constant),
            g.bias_grad.map(D::constant),
        )
    }

    fn avg_pool2d(
        x: D<B>,
        kernel_size: [usize; 2],
        stride: [usize; 2],
        padding: [usize; 2],
        count_include_pad: bool,
        ceil_mode: bool,
    ) -> D<B> {
        linear_in(x, |x| {
            B::avg_pool2d(
                x,
                kernel_size,
                stride,
                padding,
                count_include_pad,
                ceil_mode,
            )
        })
    }

    fn avg_pool2d_backward(
        x: D<B>,
        grad: D<B>,
        kernel_size: [usize; 2],
        stride: [usize; 2],
        padding: [usize; 2],
        count_include_pad: bool,
        ceil_mode: bool,
    ) -> D<B> {
        let x = x.primal;
        linear_in(grad, |g| {
            B::avg_pool2d_backward(
                x.clone(),
                g,
                kernel_size,
                stride,
                padding,
                count_include_pad,
                ceil_mode,
            )
        })
    }

    fn adaptive_avg_pool2d(x: D<B>, output_size: [usize; 2]) -> D<B> {
        linear_in(x, |x| B::adaptive_avg_pool2d(x, output_size))
    }

    fn adaptive_avg_pool2d_backward(x: D<B>, grad: D<B>) -> D<B> {
        let x = x.primal;
        linear_in(grad, |g| B::adaptive_avg_pool2d_backward(x.clone(), g))
    }

    fn max_pool2d(
        x: D<B>,
        kernel_size: [usize; 2],
        stride: [usize; 2],
        padding: [usize; 2],
        dilation: [usize; 2],
        ceil_mode: bool,
    ) -> D<B> {
        Self::max_pool2d_with_indices(x, kernel_size, stride, padding, dilation, ceil_mode).output
    }

    fn max_pool2d_with_indices(
        x: D<B>,
        kernel_size: [usize; 2],
        stride: [usize; 2],
        padding: [usize; 2],
        dilation: [usize; 2],
        ceil_mode: bool,
    ) -> MaxPool2dWithIndices<Self> {
        let out =
            B::max_pool2d_with_indices(x.primal, kernel_size, stride, padding, dilation, ceil_mode);
        // The output is x at the argmax of each window: ẏ = ẋ at the same (flat spatial) indices.
        let dy = x.tangent.map(|t| {
            let [n, c, h, w] = dims4(&t.shape());
            let [_, _, ho, wo] = dims4(&out.output.shape());
            let flat = B::float_reshape(t, Shape::new([n, c, h * w]));
            let idx = B::int_reshape(out.indices.clone(), Shape::new([n, c, ho * wo]));
            B::float_reshape(B::float_gather(2, flat, idx), Shape::new([n, c, ho, wo]))
        });
        MaxPool2dWithIndices::new(D::new(out.output, dy), out.indices)
    }

    fn max_pool2d_with_indices_backward(
        x: D<B>,
        kernel_size: [usize; 2],
        stride: [usize; 2],
        padding: [usize; 2],
        dilation: [usize; 2],
        ceil_mode: bool,
        output_grad: D<B>,
        indices: IntTensor<Self>,
    ) -> MaxPool2dBackward<Self> {
        let x = x.primal;
        let grad = linear_in(output_grad, |g| {
            B::max_pool2d_with_indices_backward(
                x.clone(),
                kernel_size,
                stride,
                padding,
                dilation,
                ceil_mode,
                g,
                indices.clone(),
            )
            .x_grad
        });
        MaxPool2dBackward::new(grad)
    }

    fn interpolate(x: D<B>, output_size: [usize; 2], options: InterpolateOptions) -> D<B> {
        // Every interpolation mode is a fixed linear map of the input.
        linear_in(x, |x| B::interpolate(x, output_size, options.clone()))
    }

    fn interpolate_backward(
        x: D<B>,
        grad: D<B>,
        output_size: [usize; 2],
        options: InterpolateOptions,
    ) -> D<B> {
        let x = x.primal;
        linear_in(grad, |g| {
            B::interpolate_backward(x.clone(), g, output_size, options.clone())
        })
    }

    fn attention(
        query: D<B>,
        key: D<B>,
        value: D<B>,
        mask: Option<BoolTensor<Self>>,
        attn_bias: Option<D<B>>,
        options: AttentionModuleOptions,
    ) -> D<B> {
        let has_tangent = query.tangent.is_some()
            || key.tangent.is_some()
            || value.tangent.is_some()
            || attn_bias.as_ref().is_some_and(|b| b.tangent.is_some());
        if has_tangent {
            // Burn's reference attention is written with float ops, whose rules compose exactly.
            attention_fallback::<Self>(query, key, value, mask, attn_bias, options)
        } else {
            D::constant(B::attention(
                query.primal,
                key.primal,
                value.primal,
                mask,
                attn_bias.map(|b| b.primal),
                options,
            ))
        }
    }

    fn rfft(signal: D<B>, dim: usize, n: Option<usize>) -> (D<B>, D<B>) {
        // Linear: the spectrum of the tangent is the tangent of the spectrum.
        let (re, im) = B::rfft(signal.primal, dim, n);
        match signal.tangent {
            None => (D::constant(re), D::constant(im)),
            Some(t) => {
                let (tre, tim) = B::rfft(t, dim, n);
                (D::new(re, Some(tre)), D::new(im, Some(tim)))
            }
        }
    }

    fn irfft(spectrum_re: D<B>, spectrum_im: D<B>, dim: usize, n: Option<usize>) -> D<B> {
        let y = B::irfft(
            spectrum_re.primal.clone(),
            spectrum_im.primal.clone(),
            dim,
            n,
        );
        let dy = match (spectrum_re.tangent, spectrum_im.tangent) {
            (None, None) => None,
            (tre, tim) => Some(B::irfft(
                tre.unwrap_or_else(|| super::zeros_like::<B>(&spectrum_re.primal)),
                tim.unwrap_or_else(|| super::zeros_like::<B>(&spectrum_im.primal)),
                dim,
                n,
            )),
        };
        D::new(y, dy)
    }
}

fn dims4(shape: &Shape) -> [usize; 4] {
    shape.dims::<4>()
}
