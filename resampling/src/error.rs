//! Errors of the resampling probe.

use std::path::PathBuf;

/// What can go wrong while setting up, running or resuming a resampling run.
#[derive(Debug, thiserror::Error)]
pub enum ResampleError {
    /// Statistics, Fréchet distance, KID or feature-file errors.
    #[error(transparent)]
    Fid(#[from] fid_core::FidError),
    /// An I/O error on a named file.
    #[error("{}: {source}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// The underlying error.
        source: std::io::Error,
    },
    /// A settings or checkpoint file that could not be understood.
    #[error("{}: {reason}", path.display())]
    BadFile {
        /// The file.
        path: PathBuf,
        /// What is wrong with it.
        reason: String,
    },
    /// Inputs that do not fit together or settings out of range.
    #[error("{0}")]
    Invalid(String),
    /// The plot could not be drawn.
    #[error("plot: {0}")]
    Plot(String),
}

impl ResampleError {
    /// An I/O error on `path`.
    pub fn io(path: &std::path::Path, source: std::io::Error) -> Self {
        Self::Io {
            path: path.to_path_buf(),
            source,
        }
    }
}
