//! The `aga-rl` integration tests, one module per file, linked into one test binary: one link
//! and one executable instead of one per file keeps the build's time and disk use down (each
//! binary statically links Burn). Run one file's tests with `cargo test -p aga-rl --test integration <file>::`.

mod common;

mod cleanrl_golden;
mod cleanrl_golden_f32;
mod cnn_game;
mod custom_env;
mod data_parallel;
mod dice_game;
mod learner_pieces;
mod surrogate;
mod training;
