//! aga
