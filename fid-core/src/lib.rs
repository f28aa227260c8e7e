//! Datasets, streaming f64 statistics, the Fréchet distance (faer), KID and statistics files.
//!
//! Images arrive through [`dataset`] (zip or folder, streamed in uint8 batches). The pieces every fidlab probe reports with: features (`[N, D]` matrices) become [`stats::Moments`]
//! (exact, mergeable sums), then a [`stats::Gaussian`], then a [`frechet::Frechet`] distance with
//! diagnostics. [`kid`] gives the Kernel Inception Distance, [`statsfile`] reads and writes
//! pytorch-fid-compatible `.npz` files with provenance.
#![warn(missing_docs)]

pub mod atomic;
pub mod dataset;
pub mod error;
pub mod features;
pub mod frechet;
pub mod frechet_op;
pub mod kid;
pub mod npz;
pub mod stats;
pub mod statsfile;

pub use error::FidError;
pub use features::FeatureMatrix;
pub use frechet::{Frechet, FrechetReference, frechet_distance, frechet_gaussians};
pub use frechet_op::{FrechetLoss, frechet_loss};
pub use stats::{Gaussian, Moments};
pub use statsfile::{Provenance, StatsFile};
