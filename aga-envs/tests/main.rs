//! The `aga-envs` integration tests, one module per file, linked into one test binary: one link
//! and one executable instead of one per file keeps the build's time and disk use down (each
//! binary statically links Burn). Run one file's tests with `cargo test -p aga-envs --test integration <file>::`.

mod mmm2_battle;
mod mmm2_reference;
mod mmm2_units;
mod review;
mod rules;
mod socialjax;
mod ssd_reference;
