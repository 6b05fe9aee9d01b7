//! `aga-games`'s integration tests, one module per file, in one test binary: each test binary
//! statically links Burn, and one per file made the build's disk use and link time grow with
//! every file. One file's tests: `cargo test -p aga-games --test integration <file>::`. A file that
//! fixes a CPU backend's float dtype other than f64 (once per process in Burn 0.21) needs a test
//! target of its own, as in the root `tests/main.rs`.

mod games;
mod known_answers;
