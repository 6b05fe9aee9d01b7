//! The `aga-games` integration tests, one module per file, linked into one test binary: one link
//! and one executable instead of one per file keeps the build's time and disk use down (each
//! binary statically links Burn). Run one file's tests with `cargo test -p aga-games --test integration <file>::`.

mod games;
mod known_answers;
