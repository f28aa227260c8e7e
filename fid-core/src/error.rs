//! The error type of fid-core's file and shape boundaries.

use std::path::{Path, PathBuf};

/// Errors from reading, writing and combining statistics and features.
#[derive(Debug, thiserror::Error)]
pub enum FidError {
    /// An I/O error on a named file.
    #[error("{}: {source}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// The underlying error.
        source: std::io::Error,
    },
    /// A file that could be read but not understood.
    #[error("{}: {reason}", path.display())]
    BadFile {
        /// The file.
        path: PathBuf,
        /// What is wrong with it.
        reason: String,
    },
    /// Shapes that do not fit together.
    #[error("shape mismatch: {0}")]
    Shape(String),
    /// Too few samples for a covariance (needs N ≥ 2).
    #[error("{what} has {n} sample(s); a covariance needs at least 2")]
    TooFewSamples {
        /// Which input.
        what: String,
        /// Its sample count.
        n: u64,
    },
    /// NaN or infinity in the input.
    #[error("{what} contains a non-finite value at row {row}, column {col}")]
    NonFinite {
        /// Which input.
        what: String,
        /// Row of the first bad value.
        row: usize,
        /// Column of the first bad value.
        col: usize,
    },
    /// A linear-algebra failure (a matrix that is not symmetric positive semi-definite, say).
    #[error("linear algebra: {0}")]
    LinAlg(String),
    /// Statistics of different provenance compared under `--strict`.
    #[error("provenance mismatch: {0}")]
    Provenance(String),
}

impl FidError {
    /// An I/O error on `path`.
    pub fn io(path: &Path, source: std::io::Error) -> Self {
        Self::Io {
            path: path.to_path_buf(),
            source,
        }
    }
}
