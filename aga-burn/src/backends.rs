//! Backend aliases. The tensor layer is backend-generic: the same game code runs on each.

use burn::backend::NdArray;

/// CPU, f64: the default, and what exactness tests use.
pub type CpuF64 = NdArray<f64>;
/// CPU, f32.
pub type CpuF32 = NdArray<f32>;

/// GPU through wgpu (Vulkan, Metal, DX12, or a CPU Vulkan driver such as lavapipe), f32.
#[cfg(feature = "wgpu")]
pub type WgpuF32 = burn::backend::Wgpu<f32, i32>;
