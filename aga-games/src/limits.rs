//! The largest games this library builds, checked before anything is allocated.
//!
//! They keep a typo such as `--players 1000000000` or `--hidden 4000000000` from asking for
//! terabytes: each limit is far above the games' documented uses (the MLP benchmark game's
//! largest setting has 1.2 million parameters) and far below what would exhaust a machine's
//! memory. A game beyond them is an error that names the limit and how to stay under it.

/// Players of the n-player games (public goods, MLP). The derivative engine's per-loss pass
/// evaluates `n` copies of the game, so its cost grows as `n²`.
pub const MAX_PLAYERS: usize = 1000;

/// Parameters of one game (all players together).
pub const MAX_PARAMETERS: usize = 20_000_000;

/// Hidden activations the MLP game's per-loss pass holds (`players² × batch × hidden × 2`).
pub const MAX_ACTIVATIONS: usize = 200_000_000;
