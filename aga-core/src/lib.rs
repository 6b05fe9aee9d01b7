//! aga-core
