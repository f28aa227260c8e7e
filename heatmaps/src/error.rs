//! Errors at the crate's boundaries (files, statistics, numerical failures).

use std::path::PathBuf;

use crate::overlay::MapError;

/// Everything that can go wrong while making a heatmap.
#[derive(Debug, thiserror::Error)]
pub enum HeatmapError {
    /// An input image could not be read or decoded.
    #[error("cannot read image {path}")]
    ReadImage {
        /// The image file.
        path: PathBuf,
        /// What the decoder said.
        #[source]
        source: image::ImageError,
    },
    /// An output could not be encoded.
    #[error("cannot encode {path}")]
    Encode {
        /// The output file.
        path: PathBuf,
        /// What the encoder said.
        #[source]
        source: image::ImageError,
    },
    /// A file system operation failed.
    #[error("{action} {path}")]
    Io {
        /// What was being done (e.g. "writing").
        action: &'static str,
        /// The file or directory.
        path: PathBuf,
        /// The underlying error.
        #[source]
        source: std::io::Error,
    },
    /// An output file exists already and overwriting was not allowed.
    #[error("{0} exists; refusing to overwrite it")]
    Exists(PathBuf),
    /// Inconsistent or unusable statistics (dimension mismatch, too few samples, NaN).
    #[error("statistics: {0}")]
    Statistics(String),
    /// The Fréchet distance or its gradient is not finite (e.g. a singular covariance).
    #[error("the Fréchet distance or its gradient is not finite; are the covariances full rank?")]
    NonFiniteGradient,
    /// The activation received no gradient: the network head is not differentiable.
    #[error("no gradient reached the activation; does the network head detach its input?")]
    NoGradient,
    /// Reading a tensor back from the device failed.
    #[error("reading a tensor from the device: {0}")]
    Tensor(String),
    /// The map cannot be drawn.
    #[error(transparent)]
    Map(#[from] MapError),
    /// Drawing the class chart failed.
    #[error("drawing the class chart: {0}")]
    Chart(String),
    /// The Fréchet distance could not be evaluated (e.g. a failed eigendecomposition).
    #[error("Fréchet distance")]
    Frechet(#[from] fid_core::FidError),
}
