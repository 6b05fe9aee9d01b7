//! Most of the `aga` facade's integration tests, one module per file, in one test binary: each
//! test binary statically links Burn, and one per file made the build's disk use and link time
//! grow with every file. One file's tests: `cargo test --test integration <file>::`.
//!
//! Burn 0.21 fixes a CPU backend's float dtype once per process
//! (`aga_burn::backends::use_float_dtype`), so only files that agree on it share a binary: the
//! files here use ndarray in f64 only and run the command line, if at all, as a child process.
//! Files that use another dtype, or run the command line in-process (it chooses the dtype per
//! command), are test targets of their own (the `[[test]]` entries of Cargo.toml).

mod common;

mod analysis;
mod cli;
mod cli_games;
mod collective_loss;
mod derivatives;
mod guide;
mod independent_references;
mod opponent_shaping;
mod primal_tape;
mod rules_on_games;
mod separable;
mod shared_forward;
mod sos_reference;
mod stacked_agents;
mod stop_gradient;
mod transform;
