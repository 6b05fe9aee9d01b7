//! Fused dual kernels on Flex's host buffers: one loop computes an op's primal *and* tangent.
//!
//! `Dual<B>` runs every element-wise op twice — once on the primal, once (or several times) on
//! the tangent — each a separate pass over memory through `B`. For `y = a·b` with both tangents
//! that is four passes (`ab`, `ȧb`, `aḃ`, and their sum) reading eight buffers and writing
//! four; fused it is one pass reading four and writing two. The same holds for `tanh`
//! (`y`, `ẏ = (1 − y²)ẋ`: five passes before) and `exp` (`ẏ = yẋ`).
//!
//! These kernels run only where they can borrow the inputs' buffers without a copy: Flex
//! tensors (`FlexTensor::as_slice`) and ndarray tensors (`ArrayView::to_slice`), contiguous,
//! of one shape (no broadcasting), in f32 or f64, of at least 4096 elements (`fast_tanh`'s
//! threshold; below it the op's fixed cost dominates either way). Everything else — GPU
//! backends, broadcasts, strided views — takes `Dual`'s generic path, which composes `B`'s own
//! ops. Results are the same arithmetic in the same order as the generic path (`ȧ·b + a·ḃ`,
//! `(1 − y·y)·ẋ`), so f64 results are bit-identical to it (`tests/dual_fused.rs`); f32 `tanh`
//! uses the same rational approximation as `fast_tanh`.

/// Whether the fused kernels run: yes, unless the environment
/// variable `AGA_DUAL_GENERIC` is set (read once per process), which keeps `Dual`'s generic
/// path everywhere — for A/B benchmarks in one binary (docs/performance.md), not for users.
pub(crate) fn enabled() -> bool {
    static ENABLED: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
    *ENABLED.get_or_init(|| std::env::var_os("AGA_DUAL_GENERIC").is_none())
}

mod host {
    #[cfg(feature = "flex")]
    use burn::backend::flex::FlexTensor;
    use burn::backend::ndarray::NdArrayTensor;
    use burn_backend::{tensor::FloatTensor, Backend, TensorData, TensorMetadata};
    use burn_std::DType;
    use std::any::Any;

    /// Below this many elements a fused kernel is not worth the hand-over (and f32 `tanh`
    /// keeps the backend's own, as in `fast_tanh`: the same threshold).
    use super::super::fast_tanh::MIN_ELEMENTS;

    /// The contiguous host buffer behind `t`, when `B` is Flex or ndarray.
    fn host_slice<B: Backend, E: Real>(t: &FloatTensor<B>) -> Option<&[E]> {
        let any = t as &dyn Any;
        #[cfg(feature = "flex")]
        if let Some(flex) = any.downcast_ref::<FlexTensor>() {
            return flex.as_slice::<E>();
        }
        E::ndarray_slice(any.downcast_ref::<NdArrayTensor>()?)
    }

    /// Where `t`'s contiguous host buffer starts, when `B` is Flex or ndarray and `t` holds at
    /// least `MIN_ELEMENTS` f32 or f64 values: the identity of the memory, for [`super::super::memo`].
    pub(crate) fn buffer_address<B: Backend>(t: &FloatTensor<B>) -> Option<usize> {
        if !super::enabled() || t.shape().num_elements() < MIN_ELEMENTS {
            return None;
        }
        match t.dtype() {
            DType::F32 => host_slice::<B, f32>(t).map(|s| s.as_ptr() as usize),
            DType::F64 => host_slice::<B, f64>(t).map(|s| s.as_ptr() as usize),
            _ => None,
        }
    }

    /// A host buffer as a tensor of `like`'s backend and shape (`like` is Flex or ndarray:
    /// `host_slice` succeeded on it).
    fn from_host<B: Backend, E: Real>(like: &FloatTensor<B>, values: Vec<E>) -> FloatTensor<B> {
        let data = TensorData::new(values, like.shape());
        #[cfg(feature = "flex")]
        if (like as &dyn Any).is::<FlexTensor>() {
            return into_backend::<B, _>(FlexTensor::from_data(data));
        }
        into_backend::<B, _>(NdArrayTensor::from_data(data))
    }

    /// A backend's own tensor as `B`'s float tensor; only called where `B`'s is that type.
    fn into_backend<B: Backend, T: Any>(t: T) -> FloatTensor<B> {
        *(Box::new(t) as Box<dyn Any>)
            .downcast::<FloatTensor<B>>()
            .expect("the inputs were this backend's tensors, so B is this backend")
    }

    /// The element types the kernels run on.
    trait Real: Copy + bytemuck::Pod + burn_backend::Element {
        fn fmul(self, o: Self) -> Self;
        fn fadd(self, o: Self) -> Self;
        fn fsub(self, o: Self) -> Self;
        fn dual_exp(self) -> Self;
        /// The contiguous buffer of an ndarray tensor of this dtype.
        fn ndarray_slice(t: &NdArrayTensor) -> Option<&[Self]>;
        /// `tanh`: f32 by `fast_tanh`'s rational approximation (the kernels run only on
        /// tensors at least as large as its threshold), f64 exactly.
        fn dual_tanh(self) -> Self;
        const ONE: Self;
    }
    impl Real for f32 {
        #[inline]
        fn fmul(self, o: Self) -> Self {
            self * o
        }
        #[inline]
        fn fadd(self, o: Self) -> Self {
            self + o
        }
        #[inline]
        fn fsub(self, o: Self) -> Self {
            self - o
        }
        #[inline]
        fn dual_exp(self) -> Self {
            f32::exp(self)
        }
        #[inline]
        fn dual_tanh(self) -> Self {
            super::super::fast_tanh::tanh_f32(self)
        }
        fn ndarray_slice(t: &NdArrayTensor) -> Option<&[Self]> {
            match t {
                NdArrayTensor::F32(storage) => storage.view().to_slice(),
                _ => None,
            }
        }
        const ONE: Self = 1.0;
    }
    impl Real for f64 {
        #[inline]
        fn fmul(self, o: Self) -> Self {
            self * o
        }
        #[inline]
        fn fadd(self, o: Self) -> Self {
            self + o
        }
        #[inline]
        fn fsub(self, o: Self) -> Self {
            self - o
        }
        #[inline]
        fn dual_exp(self) -> Self {
            f64::exp(self)
        }
        #[inline]
        fn dual_tanh(self) -> Self {
            f64::tanh(self)
        }
        fn ndarray_slice(t: &NdArrayTensor) -> Option<&[Self]> {
            match t {
                NdArrayTensor::F64(storage) => storage.view().to_slice(),
                _ => None,
            }
        }
        const ONE: Self = 1.0;
    }

    /// The contiguous host buffers of `ts` (one dtype, one shape, ≥ `MIN_ELEMENTS`), or `None`.
    fn buffers<B: Backend, E: Real, const N: usize>(ts: [&FloatTensor<B>; N]) -> Option<[&[E]; N]> {
        let first = ts[0];
        if !super::enabled()
            || first.shape().num_elements() < MIN_ELEMENTS
            || first.dtype() != E::dtype()
        {
            return None;
        }
        let shape = first.shape();
        let mut out: [&[E]; N] = [&[]; N];
        for (slot, t) in out.iter_mut().zip(ts) {
            if t.shape() != shape {
                return None;
            }
            *slot = host_slice::<B, E>(t)?;
        }
        Some(out)
    }

    /// Two outputs of `like`'s shape from one pass `f(i) -> (y_i, ẏ_i)`, `i < len`.
    #[inline(always)]
    fn two_outputs<B: Backend, E: Real>(
        like: &FloatTensor<B>,
        len: usize,
        f: impl Fn(usize) -> (E, E),
    ) -> (FloatTensor<B>, FloatTensor<B>) {
        let mut y = vec![E::zeroed(); len];
        let mut dy = vec![E::zeroed(); len];
        for ((i, y), dy) in (0..len).zip(y.iter_mut()).zip(dy.iter_mut()) {
            (*y, *dy) = f(i);
        }
        (from_host::<B, E>(like, y), from_host::<B, E>(like, dy))
    }

    /// One output of `like`'s shape from one pass `f(i) -> ẏ_i`, `i < len`.
    #[inline(always)]
    fn one_output<B: Backend, E: Real>(
        like: &FloatTensor<B>,
        len: usize,
        f: impl Fn(usize) -> E,
    ) -> FloatTensor<B> {
        let dy: Vec<E> = (0..len).map(f).collect();
        from_host::<B, E>(like, dy)
    }

    macro_rules! by_dtype {
        ($dtype:expr, $body:ident) => {
            match $dtype {
                DType::F32 => $body!(f32),
                DType::F64 => $body!(f64),
                _ => None,
            }
        };
    }

    /// `(ab, ȧb + aḃ)` in one pass.
    pub(crate) fn mul_both<B: Backend>(
        a: &FloatTensor<B>,
        ta: &FloatTensor<B>,
        b: &FloatTensor<B>,
        tb: &FloatTensor<B>,
    ) -> Option<(FloatTensor<B>, FloatTensor<B>)> {
        macro_rules! go {
            ($e:ty) => {{
                let [a_, ta_, b_, tb_] = buffers::<B, $e, 4>([a, ta, b, tb])?;
                let n = a_.len();
                let (ta_, b_, tb_) = (&ta_[..n], &b_[..n], &tb_[..n]);
                Some(two_outputs::<B, $e>(a, a_.len(), |i| {
                    (
                        a_[i].fmul(b_[i]),
                        ta_[i].fmul(b_[i]).fadd(a_[i].fmul(tb_[i])),
                    )
                }))
            }};
        }
        by_dtype!(a.dtype(), go)
    }

    /// `ȧb + aḃ` in one pass (the primal `ab` came from the primal tape).
    pub(crate) fn mul_both_tangent<B: Backend>(
        a: &FloatTensor<B>,
        ta: &FloatTensor<B>,
        b: &FloatTensor<B>,
        tb: &FloatTensor<B>,
    ) -> Option<FloatTensor<B>> {
        macro_rules! go {
            ($e:ty) => {{
                let [a_, ta_, b_, tb_] = buffers::<B, $e, 4>([a, ta, b, tb])?;
                let n = a_.len();
                let (ta_, b_, tb_) = (&ta_[..n], &b_[..n], &tb_[..n]);
                Some(one_output::<B, $e>(a, n, |i| {
                    ta_[i].fmul(b_[i]).fadd(a_[i].fmul(tb_[i]))
                }))
            }};
        }
        by_dtype!(a.dtype(), go)
    }

    /// `(1 − y·y)·ẋ` in one pass (`y = tanh x` came from the primal tape).
    pub(crate) fn tanh_tangent<B: Backend>(
        y: &FloatTensor<B>,
        tx: &FloatTensor<B>,
    ) -> Option<FloatTensor<B>> {
        macro_rules! go {
            ($e:ty) => {{
                let [y_, tx_] = buffers::<B, $e, 2>([y, tx])?;
                let tx_ = &tx_[..y_.len()];
                Some(one_output::<B, $e>(y, y_.len(), |i| {
                    tx_[i].fmul(<$e>::ONE.fsub(y_[i].fmul(y_[i])))
                }))
            }};
        }
        by_dtype!(y.dtype(), go)
    }

    /// `(ab, ȧb)` in one pass (`b` without tangent).
    pub(crate) fn mul_left<B: Backend>(
        a: &FloatTensor<B>,
        ta: &FloatTensor<B>,
        b: &FloatTensor<B>,
    ) -> Option<(FloatTensor<B>, FloatTensor<B>)> {
        macro_rules! go {
            ($e:ty) => {{
                let [a_, ta_, b_] = buffers::<B, $e, 3>([a, ta, b])?;
                let n = a_.len();
                let (ta_, b_) = (&ta_[..n], &b_[..n]);
                Some(two_outputs::<B, $e>(a, a_.len(), |i| {
                    (a_[i].fmul(b_[i]), ta_[i].fmul(b_[i]))
                }))
            }};
        }
        by_dtype!(a.dtype(), go)
    }

    /// `(ab, aḃ)` in one pass (`a` without tangent): `mul_left` with the factors swapped
    /// (IEEE products commute, so the bits are the same).
    pub(crate) fn mul_right<B: Backend>(
        a: &FloatTensor<B>,
        b: &FloatTensor<B>,
        tb: &FloatTensor<B>,
    ) -> Option<(FloatTensor<B>, FloatTensor<B>)> {
        mul_left::<B>(b, tb, a)
    }

    /// `(tanh x, (1 − y·y)·ẋ)` in one pass; f32 with `fast_tanh`'s rational approximation.
    pub(crate) fn tanh<B: Backend>(
        x: &FloatTensor<B>,
        tx: &FloatTensor<B>,
    ) -> Option<(FloatTensor<B>, FloatTensor<B>)> {
        macro_rules! go {
            ($e:ty) => {{
                let [x_, tx_] = buffers::<B, $e, 2>([x, tx])?;
                let tx_ = &tx_[..x_.len()];
                Some(two_outputs::<B, $e>(x, x_.len(), |i| {
                    let y = x_[i].dual_tanh();
                    (y, tx_[i].fmul(<$e>::ONE.fsub(y.fmul(y))))
                }))
            }};
        }
        by_dtype!(x.dtype(), go)
    }

    /// `(exp x, y·ẋ)` in one pass.
    pub(crate) fn exp<B: Backend>(
        x: &FloatTensor<B>,
        tx: &FloatTensor<B>,
    ) -> Option<(FloatTensor<B>, FloatTensor<B>)> {
        macro_rules! go {
            ($e:ty) => {{
                let [x_, tx_] = buffers::<B, $e, 2>([x, tx])?;
                let tx_ = &tx_[..x_.len()];
                Some(two_outputs::<B, $e>(x, x_.len(), |i| {
                    let y = x_[i].dual_exp();
                    (y, y.fmul(tx_[i]))
                }))
            }};
        }
        by_dtype!(x.dtype(), go)
    }
}

pub(crate) use host::{
    buffer_address, exp, mul_both, mul_both_tangent, mul_left, mul_right, tanh, tanh_tangent,
};
