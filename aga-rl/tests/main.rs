//! Most of `aga-rl`'s integration tests, one module per file, in one test binary: each test
//! binary statically links Burn, and one per file made the build's disk use and link time grow
//! with every file. One file's tests: `cargo test -p aga-rl --test integration <file>::`.
//!
//! Burn 0.21 fixes a CPU backend's float dtype once per process
//! (`aga_burn::backends::use_float_dtype`), so only files that agree on it share a binary: the
//! files here use ndarray in f64 only. Files that use another dtype are test targets of their own
//! (the `[[test]]` entries of aga-rl/Cargo.toml).

mod cnn_game;
mod data_parallel;
mod dice_game;
mod surrogate;
