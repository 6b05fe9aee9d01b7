//! The `aga-core` integration tests, one module per file, linked into one test binary: one link
//! and one executable instead of one per file keeps the build's time and disk use down (each
//! binary statically links Burn). Run one file's tests with `cargo test -p aga-core --test integration <file>::`.

mod data_parallel;
mod rules;
mod shaping;
