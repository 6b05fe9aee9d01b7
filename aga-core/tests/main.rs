//! `aga-core`'s integration tests, one module per file, in one test binary (one link instead of
//! one per file). One file's tests: `cargo test -p aga-core --test integration <file>::`.

mod data_parallel;
mod rules;
mod shaping;
