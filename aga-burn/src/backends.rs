//! Backend aliases. The tensor layer is backend-generic: the same game code runs on each.

use burn::backend::NdArray;

/// CPU, f64: the default, and what exactness tests use.
pub type CpuF64 = NdArray<f64>;
/// CPU, f32.
pub type CpuF32 = NdArray<f32>;

/// GPU through wgpu (Vulkan, Metal, DX12, or a CPU Vulkan driver such as lavapipe), f32.
#[cfg(feature = "wgpu")]
pub type WgpuF32 = burn::backend::Wgpu<f32, i32>;

/// Burn's Flex CPU backend (cargo feature `flex`). Its float dtype is chosen at run time, per
/// device: call [`use_f64_on_flex`] (or [`use_f32_on_flex`]) once, before the first tensor.
#[cfg(feature = "flex")]
pub type Flex = burn::backend::Flex;

/// Make f64 the default float dtype of Flex's CPU device, for exact work. Must be called before
/// the first tensor is created on it; afterwards it fails unless f64 is already the default.
#[cfg(feature = "flex")]
pub fn use_f64_on_flex() -> Result<(), String> {
    use_dtype_on_flex(burn::tensor::DType::F64)
}

/// Make f32 the default float dtype of Flex's CPU device (see [`use_f64_on_flex`]).
#[cfg(feature = "flex")]
pub fn use_f32_on_flex() -> Result<(), String> {
    use_dtype_on_flex(burn::tensor::DType::F32)
}

#[cfg(feature = "flex")]
fn use_dtype_on_flex(dtype: burn::tensor::DType) -> Result<(), String> {
    let device: burn_backend::tensor::Device<Flex> = Default::default();
    // Reading the settings locks them, so try to set first and read only on failure.
    match burn::tensor::set_default_dtypes::<Flex>(&device, dtype, burn::tensor::DType::I64) {
        Ok(()) => Ok(()),
        Err(e) => {
            let current = burn::tensor::backend::get_device_settings::<Flex>(&device).float_dtype;
            if burn::tensor::DType::from(current) == dtype {
                Ok(())
            } else {
                Err(format!(
                    "Flex's float dtype is already {current:?} in this process: {e:?}"
                ))
            }
        }
    }
}
