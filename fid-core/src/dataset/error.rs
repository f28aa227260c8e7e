//! Errors raised while opening a dataset or decoding its images.

use std::path::PathBuf;

use super::ImageSize;

/// Source of a decoding failure: a zip read error, an I/O error or an `image` decoding error.
pub type DecodeSource = Box<dyn std::error::Error + Send + Sync + 'static>;

/// Everything that can go wrong while reading a set of images.
///
/// Every variant names the dataset path; per-image variants also name the image (zip member name or
/// path relative to the folder, `/`-separated) and its `index` in the dataset order, i.e. its
/// position in the sorted, filtered list (the order in which [`Dataset::batches`] yields images).
///
/// [`Dataset::batches`]: super::Dataset::batches
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum DatasetError {
    /// The path does not exist.
    #[error("{}: no such file or folder", .path.display())]
    NotFound {
        /// The path that was asked for.
        path: PathBuf,
    },
    /// The path is a file but not a readable zip archive (also: neither a folder nor a zip).
    #[error("{}: neither a folder nor a readable zip archive: {source}", .path.display())]
    NotAZip {
        /// The file.
        path: PathBuf,
        /// Why the zip reader rejected it.
        #[source]
        source: ::zip::result::ZipError,
    },
    /// A folder was required but the path is not a folder.
    #[error("{}: not a folder", .path.display())]
    NotAFolder {
        /// The path.
        path: PathBuf,
    },
    /// No image is left after filtering by extension and applying `max_images`.
    #[error(
        "{}: no images (looked for .png, .jpg and .jpeg files; max_images = {max_images:?})",
        .path.display()
    )]
    Empty {
        /// The dataset path.
        path: PathBuf,
        /// The `max_images` option in force.
        max_images: Option<usize>,
    },
    /// An image could not be read from the archive or could not be decoded (corrupt, truncated,
    /// not an image, unsupported format). [`DatasetOptions::skip_bad`] turns these into
    /// [`SkippedImage`]s.
    ///
    /// [`DatasetOptions::skip_bad`]: super::DatasetOptions::skip_bad
    /// [`SkippedImage`]: super::SkippedImage
    #[error("{}: image {index} `{name}` cannot be decoded: {source}", .path.display())]
    Corrupt {
        /// The dataset path.
        path: PathBuf,
        /// Member name / relative path of the image.
        name: String,
        /// Position of the image in the dataset order.
        index: usize,
        /// The underlying error.
        #[source]
        source: DecodeSource,
    },
    /// An image's size differs from the size the [`SizePolicy`] requires.
    ///
    /// [`SizePolicy`]: super::SizePolicy
    #[error(
        "{}: image {index} `{name}` is {found} (width x height) but {} \
         (choose SizePolicy::Mixed when the consumer resizes)",
        .path.display(),
        expected_clause(.reference.as_ref(), .expected)
    )]
    SizeMismatch {
        /// The dataset path.
        path: PathBuf,
        /// Member name / relative path of the first image with an odd size.
        name: String,
        /// Its position in the dataset order.
        index: usize,
        /// Its size.
        found: ImageSize,
        /// The size required.
        expected: ImageSize,
        /// Index and name of the image that set `expected` (`None` for [`SizePolicy::Exact`]).
        ///
        /// [`SizePolicy::Exact`]: super::SizePolicy::Exact
        reference: Option<(usize, String)>,
    },
    /// An I/O error on a file of a folder dataset, or while listing a folder.
    #[error("{}: {source}", .path.display())]
    Io {
        /// The file or folder.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
}

impl DatasetError {
    /// [`DatasetError::NotFound`] for a missing path, [`DatasetError::Io`] otherwise.
    pub(super) fn io(path: &std::path::Path, source: std::io::Error) -> Self {
        let path = path.to_path_buf();
        match source.kind() {
            std::io::ErrorKind::NotFound => Self::NotFound { path },
            _ => Self::Io { path, source },
        }
    }
}

fn expected_clause(reference: Option<&(usize, String)>, expected: &ImageSize) -> String {
    match reference {
        Some((index, name)) => format!("the first image ({index} `{name}`) is {expected}"),
        None => format!("{expected} is required"),
    }
}
