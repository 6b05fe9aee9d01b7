//! aga-games
