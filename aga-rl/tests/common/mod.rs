//! Support shared by several test binaries (each uses part of it).
#![allow(dead_code)]

pub mod cleanrl;
