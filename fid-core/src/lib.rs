//! Datasets, statistics, Fréchet distance, KID.
#![warn(missing_docs)]

pub mod dataset;
