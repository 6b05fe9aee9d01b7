//! Most of `aga-burn`'s integration tests, one module per file, in one test binary: each test
//! binary statically links Burn, and one per file made the build's disk use and link time grow
//! with every file. One file's tests: `cargo test -p aga-burn --test integration <file>::`.
//!
//! Burn 0.21 fixes a CPU backend's float dtype once per process
//! (`aga_burn::backends::use_float_dtype`), so only files that agree on it share a binary: the
//! files here use f64 only; `tanh_f32` is a test target of its own.

mod dual_fused;
mod dual_ops;
