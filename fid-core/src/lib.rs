//! Datasets, streaming f64 statistics, the Fréchet distance (faer), KID and statistics files.
//!
//! The pieces every fidlab probe reports with: features (`[N, D]` matrices) become [`stats::Moments`]
//! (exact, mergeable sums), then a [`stats::Gaussian`], then a [`frechet::Frechet`] distance with
//! diagnostics. [`kid`] gives the Kernel Inception Distance, [`statsfile`] reads and writes
//! pytorch-fid-compatible `.npz` files with provenance.
#![warn(missing_docs)]

pub mod atomic;
pub mod error;
pub mod features;
pub mod frechet;
pub mod kid;
pub mod npz;
pub mod stats;
pub mod statsfile;

pub use error::FidError;
pub use features::FeatureMatrix;
pub use frechet::{Frechet, FrechetReference, frechet_distance, frechet_gaussians};
pub use stats::{Gaussian, Moments};
pub use statsfile::{Provenance, StatsFile};
