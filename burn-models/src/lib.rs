//! Feature networks and generators used by fidlab, as native Burn modules.
//!
//! Library code never names a backend: every entry point takes a [`burn::tensor::Device`].
#![warn(missing_docs)]

pub mod device;
pub mod inception;
pub mod seeded;
