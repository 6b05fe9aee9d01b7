//! The `aga` facade's integration tests, one module per file, linked into one test binary: one link
//! and one executable instead of one per file keeps the build's time and disk use down (each
//! binary statically links Burn). Run one file's tests with `cargo test --test integration <file>::`.

mod common;

mod analysis;
mod cli;
mod cli_battle;
mod cli_envs;
mod cli_fuzz;
mod cli_games;
mod cli_parallel;
mod cli_train;
mod collective_loss;
mod derivatives;
mod experiment_orderings;
mod flex_backend;
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
