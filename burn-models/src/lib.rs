//! Feature networks and generators used by fidlab, as native Burn modules.
//!
//! Library code never names a backend: every entry point takes a [`burn::tensor::Device`].
#![warn(missing_docs)]

pub mod clip;
pub mod device;
pub mod inception;
pub mod labels;
pub mod numpy_rng;
pub mod pickle;
pub mod seeded;
pub mod stylegan2;
pub mod weights;
