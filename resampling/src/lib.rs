//! Resampling: reweighting a generated set to lower FID without better images (the paper's
//! Sec. 3, "probing the perceptual null space").
//!
//! Per-image log-weights `w` of the generated candidates are optimised so that the weighted
//! statistics of their features match the real set's in Fréchet distance; sampling from
//! `softmax(w)` then lowers FID although no image changed. Modules: [`weighted`] (weighted
//! statistics and the closed-form gradient), [`binarize`] (Top-N / Middle-N class indicators),
//! [`optim`] (SGD, Adam), [`eval`] (weighted resampling, FID, CLIP-FID, KID), [`run`] (the loop),
//! [`outputs`] (run files, checkpoints), [`plot`] (Top-1 class histograms), [`grids`] (which generated
//! images the image grids show), [`classes`] (class histogram comparison).
#![warn(missing_docs)]

pub mod binarize;
pub mod classes;
pub mod error;
pub mod eval;
pub mod grids;
pub mod optim;
pub mod outputs;
pub mod plot;
pub mod run;
pub mod weighted;

pub use error::ResampleError;
pub use run::{Data, FeatureMode, GeneratorInput, Inputs, Settings, run};
