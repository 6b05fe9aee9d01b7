//! Backend aliases. The tensor layer is backend-generic: the same game code runs on each.

use burn::backend::NdArray;

/// CPU, f64: the default, and what exactness tests use.
pub type CpuF64 = NdArray<f64>;
/// CPU, f32.
pub type CpuF32 = NdArray<f32>;

/// GPU through wgpu (Vulkan, Metal, DX12, or a CPU Vulkan driver such as lavapipe), f32.
#[cfg(feature = "wgpu")]
pub type WgpuF32 = burn::backend::Wgpu<f32, i32>;

/// NVIDIA GPU through CUDA (cargo feature `cuda`), f32.
#[cfg(feature = "cuda")]
pub type CudaF32 = burn::backend::Cuda<f32, i32>;

/// Burn's Flex CPU backend (cargo feature `flex`). Its float dtype is chosen at run time, per
/// device: call [`use_f64_on_flex`] (or [`use_f32_on_flex`]) once, before the first tensor.
#[cfg(feature = "flex")]
pub type Flex = burn::backend::Flex;

/// Make f64 the default float dtype of Flex's CPU device, for exact work. Must be called before
/// the first tensor is created on it; afterwards it fails unless f64 is already the default.
#[cfg(feature = "flex")]
pub fn use_f64_on_flex() -> Result<(), String> {
    use_float_dtype::<Flex>(burn::tensor::DType::F64)
}

/// Make f32 the default float dtype of Flex's CPU device (see [`use_f64_on_flex`]).
#[cfg(feature = "flex")]
pub fn use_f32_on_flex() -> Result<(), String> {
    use_float_dtype::<Flex>(burn::tensor::DType::F32)
}

/// Fix the float dtype of backend `B`'s default device for this process.
///
/// Burn 0.21 keeps the default float dtype **per device, per process**, and the first tensor
/// created there fixes it: on Flex, and also on ndarray, where `NdArray<f32>` and
/// `NdArray<f64>` share one device — whichever touches it first decides the dtype of both, so
/// a process that creates an `NdArray<f64>` tensor and then works on `NdArray<f32>` silently
/// computes in f64 (and the other way round). Call this before the first tensor; afterwards it
/// succeeds only if `dtype` is already the default. One dtype per CPU backend per process.
pub fn use_float_dtype<B: burn::tensor::backend::Backend>(
    dtype: burn::tensor::DType,
) -> Result<(), String> {
    let device: B::Device = Default::default();
    // Reading the settings locks them, so try to set first and read only on failure.
    match burn::tensor::set_default_dtypes::<B>(&device, dtype, burn::tensor::DType::I64) {
        Ok(()) => Ok(()),
        Err(e) => {
            let current = burn::tensor::backend::get_device_settings::<B>(&device).float_dtype;
            if burn::tensor::DType::from(current) == dtype {
                Ok(())
            } else {
                Err(format!(
                    "{}'s float dtype is already {current:?} in this process: {e:?}",
                    B::name(&device)
                ))
            }
        }
    }
}
