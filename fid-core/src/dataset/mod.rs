//! Real-image datasets: a zip archive or a folder of PNG / JPEG files, streamed as `u8` batches.
//!
//! Reproduces the image list of the seed's `ImageFolderDataset` (StyleGAN2-ADA `training/dataset.py`)
//! and the order of its data loader (`get_dataloader`: the first `num_images` files, unshuffled):
//!
//! * **Which files.** Zip members, or files found recursively under a folder, whose extension
//!   (`os.path.splitext(name)[1].lower()`) is `.png`, `.jpg` or `.jpeg`. Everything else is
//!   ignored: directories, `.txt`/`.json` files, and also the other formats PIL knows (`.bmp`,
//!   `.webp`, `.jpe`, …), which the seed would accept. A name such as `.png` has no extension.
//! * **Order.** Python's `sorted()` on the names, i.e. by Unicode code point, which is the byte
//!   order of UTF-8 (`"B.png" < "a.png" < "a/b.png" < "a0.png" < "a_.png"`). A folder image's name
//!   is its path relative to the folder joined with `/` (the seed used `os.path.relpath`, which
//!   also gives `/` on Linux). Zip names are UTF-8 when flagged so, CP437 otherwise (as `zipfile`).
//! * **How many.** [`DatasetOptions::max_images`] keeps the first `N` in that order, as the seed's
//!   sampler does; [`Dataset::len`] is the count after filtering and truncation.
//! * **Pixels.** Decoded with the `image` crate, format sniffed from the content (as PIL). Every
//!   image becomes 3 × H × W `u8`, channel-major (R, G, B planes), row-major within a plane:
//!   grey → RGB by repeating the grey value; palette → RGB through the palette; alpha is
//!   **dropped** (not composited onto a background); 16-bit samples → 8 bits by
//!   **round-to-nearest**, `round(v · 255 / 65535)` = `(v + 128) / 257`; PNG grey of 1, 2 or 4
//!   bits is scaled to 0..255. The seed keeps 1 channel for grey (repeated to 3 by its feature
//!   code), passes 4 channels for RGBA and rejects 16-bit images (`assert dtype == uint8`); these
//!   are our choices for inputs the seed cannot use. No EXIF rotation, no colour management
//!   (as PIL's `np.array(Image.open(f))`).
//! * **Parity.** PNG decoding equals Pillow's byte for byte (RGB, grey, palette, 1-bit, RGBA, LA,
//!   16-bit grey). JPEG decoding (zune-jpeg) differs from Pillow's libjpeg-turbo in the
//!   upsampling of subsampled chroma: 4:2:0 files within 5 levels on about a quarter of the
//!   samples (mean |diff| 0.4), 4:4:4 and grey files within 2 levels on under 2 %. Checked in
//!   `fid-core/tests/dataset.rs` against fixtures written by `scripts/dataset_fixture.py`.
//!
//! **Batches.** [`Dataset::batches`] yields [`ImageBatch`]es `[B, 3, H, W]` in dataset order,
//! never holding the whole set: the files are taken `batch_size` at a time (a *chunk*), read and
//! decoded in parallel with rayon, and at most [`DatasetOptions::prefetch`] chunks are decoded
//! ahead of the consumer by a background thread. Memory is thus bounded by about
//! `(prefetch + 2) · batch_size` decoded images. The pixel stream does not depend on
//! `batch_size`.
//!
//! **Sizes** ([`SizePolicy`]). By default every image must have the size of the first one, and
//! the first image that differs is an error naming it and both sizes; [`SizePolicy::Exact`] also
//! fixes the size (the seed's `resolution` check). With [`SizePolicy::Mixed`] (for a consumer that
//! resizes) any sizes are allowed and a chunk is split wherever the size changes, so every batch
//! has one size, batches can be shorter than `batch_size`, and chunks are never merged.
//!
//! **Bad files.** A member that cannot be read (bad CRC, invalid deflate stream, encrypted) or an
//! image that cannot be decoded (corrupt, truncated, not PNG/JPEG) is a
//! [`DatasetError::Corrupt`] naming the file and its index; the iterator then ends. With
//! [`DatasetOptions::skip_bad`] such images are left out instead (batches come out short) and
//! listed by [`Batches::skipped`]. I/O errors on a folder's files and size mismatches are never
//! skipped.
//!
//! ```no_run
//! use fid_core::dataset::{Dataset, DatasetOptions};
//!
//! let options = DatasetOptions { max_images: Some(50_000), ..DatasetOptions::default() };
//! let dataset = Dataset::open("ffhq-256x256.zip", options)?;
//! println!("{} images", dataset.len());
//! let mut batches = dataset.batches(32);
//! for batch in &mut batches {
//!     let batch = batch?; // batch.data: [batch.batch, 3, batch.height, batch.width] u8
//! }
//! eprintln!("skipped {} unreadable images", batches.skipped().len());
//! # Ok::<(), fid_core::dataset::DatasetError>(())
//! ```

mod batch;
mod decode;
mod error;
mod folder;
mod zip;

use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

pub use batch::{Batches, ImageBatch};
pub use error::{DatasetError, DecodeSource};

/// Width and height of an image in pixels.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct ImageSize {
    /// Width (columns).
    pub width: u32,
    /// Height (rows).
    pub height: u32,
}

impl fmt::Display for ImageSize {
    /// `WIDTHxHEIGHT`, e.g. `512x384`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}x{}", self.width, self.height)
    }
}

/// What image sizes a dataset may contain.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum SizePolicy {
    /// All images have the size of the first (readable) one; otherwise
    /// [`DatasetError::SizeMismatch`] names the first odd image.
    #[default]
    Uniform,
    /// All images have exactly this size (the seed's `resolution` check).
    Exact(ImageSize),
    /// Any sizes, for a consumer that resizes; each batch still holds images of one size.
    Mixed,
}

/// How to open and stream a dataset. `DatasetOptions::default()`: all images, errors on bad files,
/// uniform size, two chunks decoded ahead.
#[derive(Clone, Debug)]
pub struct DatasetOptions {
    /// Keep only the first `N` images in sorted order (all when `None`, or when fewer exist).
    pub max_images: Option<usize>,
    /// Leave out images that cannot be read or decoded instead of failing; see
    /// [`Batches::skipped`].
    pub skip_bad: bool,
    /// Which image sizes are allowed.
    pub sizes: SizePolicy,
    /// Number of chunks decoded ahead of the consumer by a background thread (the seed's data
    /// loader uses 2); `0` decodes in the caller's thread during `next()`.
    pub prefetch: usize,
}

impl Default for DatasetOptions {
    fn default() -> Self {
        Self {
            max_images: None,
            skip_bad: false,
            sizes: SizePolicy::Uniform,
            prefetch: 2,
        }
    }
}

/// Whether a dataset is a zip archive or a folder.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DatasetKind {
    /// A zip archive.
    Zip,
    /// A folder, walked recursively.
    Folder,
}

/// An image that [`DatasetOptions::skip_bad`] left out.
#[derive(Debug)]
pub struct SkippedImage {
    /// Position in the dataset order.
    pub index: usize,
    /// Member name / relative path.
    pub name: String,
    /// The [`DatasetError::Corrupt`] it would have raised.
    pub error: DatasetError,
}

/// A listed (not yet decoded) set of images; see the [module docs](self).
#[derive(Debug)]
pub struct Dataset {
    stream: Stream,
    available: usize,
}

/// Where the bytes of each image come from: entry `i` belongs to image `i` in dataset order.
#[derive(Debug)]
enum Source {
    Zip {
        archive: zip::SharedZip,
        members: Vec<usize>,
    },
    Folder {
        files: Vec<PathBuf>,
    },
}

impl Dataset {
    /// Opens a folder (walked recursively) or a zip archive, whichever `path` is.
    ///
    /// # Errors
    /// [`DatasetError::NotFound`]; [`DatasetError::NotAZip`] for a file that is not a zip;
    /// [`DatasetError::Empty`] when no image is listed; [`DatasetError::Io`].
    pub fn open(path: impl AsRef<Path>, options: DatasetOptions) -> Result<Self, DatasetError> {
        let path = path.as_ref();
        match path.metadata() {
            Ok(meta) if meta.is_dir() => Self::open_folder(path, options),
            Ok(_) => Self::open_zip(path, options),
            Err(source) => Err(DatasetError::io(path, source)),
        }
    }

    /// Opens a zip archive.
    ///
    /// # Errors
    /// As [`Dataset::open`].
    pub fn open_zip(path: impl AsRef<Path>, options: DatasetOptions) -> Result<Self, DatasetError> {
        let path = path.as_ref();
        let (archive, members) = zip::open(path)?;
        let (available, (names, members)) = select(members, &options);
        Self::new(
            path,
            Source::Zip { archive, members },
            names,
            available,
            options,
        )
    }

    /// Opens a folder, walked recursively.
    ///
    /// # Errors
    /// [`DatasetError::NotFound`], [`DatasetError::NotAFolder`], [`DatasetError::Empty`],
    /// [`DatasetError::Io`] while listing.
    pub fn open_folder(
        path: impl AsRef<Path>,
        options: DatasetOptions,
    ) -> Result<Self, DatasetError> {
        let path = path.as_ref();
        if !path
            .metadata()
            .map_err(|source| DatasetError::io(path, source))?
            .is_dir()
        {
            return Err(DatasetError::NotAFolder {
                path: path.to_path_buf(),
            });
        }
        let (available, (names, files)) = select(folder::list(path)?, &options);
        Self::new(path, Source::Folder { files }, names, available, options)
    }

    fn new(
        path: &Path,
        source: Source,
        names: Vec<String>,
        available: usize,
        options: DatasetOptions,
    ) -> Result<Self, DatasetError> {
        if names.is_empty() {
            return Err(DatasetError::Empty {
                path: path.to_path_buf(),
                max_images: options.max_images,
            });
        }
        let stream = Stream {
            path: path.to_path_buf(),
            source: Arc::new(source),
            names: names.into(),
            options,
        };
        Ok(Self { stream, available })
    }

    /// Number of images that will be streamed (after filtering and `max_images`).
    pub fn len(&self) -> usize {
        self.stream.names.len()
    }

    /// Always `false`: an empty set is an error at opening.
    pub fn is_empty(&self) -> bool {
        self.stream.names.is_empty()
    }

    /// Number of images in the archive or folder before `max_images` was applied.
    pub fn available(&self) -> usize {
        self.available
    }

    /// The path the dataset was opened from.
    pub fn path(&self) -> &Path {
        &self.stream.path
    }

    /// Zip or folder.
    pub fn kind(&self) -> DatasetKind {
        match *self.stream.source {
            Source::Zip { .. } => DatasetKind::Zip,
            Source::Folder { .. } => DatasetKind::Folder,
        }
    }

    /// The options the dataset was opened with.
    pub fn options(&self) -> &DatasetOptions {
        &self.stream.options
    }

    /// Image names (zip member names / `/`-separated relative paths) in dataset order.
    pub fn names(&self) -> &[String] {
        &self.stream.names
    }

    /// Decodes image `index` alone as a batch of one, ignoring [`DatasetOptions::sizes`] and
    /// [`DatasetOptions::skip_bad`].
    ///
    /// # Errors
    /// [`DatasetError::Corrupt`] or [`DatasetError::Io`] for that image.
    ///
    /// # Panics
    /// If `index >= self.len()`.
    pub fn image(&self, index: usize) -> Result<ImageBatch, DatasetError> {
        assert!(
            index < self.len(),
            "image {index} of a {}-image dataset",
            self.len()
        );
        let decoded = self
            .stream
            .decode(&mut self.stream.source.reader(), index)?;
        Ok(ImageBatch::single(
            index,
            self.names()[index].clone(),
            decoded,
        ))
    }

    /// Streams the images as batches of at most `batch_size` in dataset order; see the
    /// [module docs](self) for memory, sizes and bad files.
    ///
    /// # Panics
    /// If `batch_size == 0`.
    pub fn batches(&self, batch_size: usize) -> Batches {
        assert!(batch_size > 0, "batch_size must be at least 1");
        Batches::new(self.stream.clone(), batch_size)
    }
}

/// Keeps image names, sorts them as Python does, applies `max_images`; returns the number of
/// images before truncation and the kept `(names, locations)`.
fn select<T>(
    mut entries: Vec<(String, T)>,
    options: &DatasetOptions,
) -> (usize, (Vec<String>, Vec<T>)) {
    entries.retain(|(name, _)| is_image_name(name));
    // `str` orders by bytes; for UTF-8 that is code-point order, as Python's `sorted`.
    entries.sort_by(|a, b| a.0.cmp(&b.0));
    let available = entries.len();
    if let Some(max) = options.max_images {
        entries.truncate(max);
    }
    (available, entries.into_iter().unzip())
}

/// `os.path.splitext(name)[1].lower() in {".png", ".jpg", ".jpeg"}`.
fn is_image_name(name: &str) -> bool {
    let base = name.rsplit('/').next().unwrap_or(name);
    // `splitext` ignores leading dots of the base name: `.png` has no extension.
    let base = base.trim_start_matches('.');
    match base.rfind('.') {
        Some(dot) => {
            let ext = &base[dot + 1..];
            ["png", "jpg", "jpeg"]
                .iter()
                .any(|known| ext.eq_ignore_ascii_case(known))
        }
        None => false,
    }
}

/// What a decoding thread needs: the dataset's shared, cheaply cloned state.
#[derive(Clone, Debug)]
struct Stream {
    path: PathBuf,
    source: Arc<Source>,
    names: Arc<[String]>,
    options: DatasetOptions,
}

impl Stream {
    /// Reads and decodes image `index` (dataset order) with a reader of this stream's source.
    fn decode(
        &self,
        reader: &mut Reader<'_>,
        index: usize,
    ) -> Result<decode::Decoded, DatasetError> {
        let bytes = match reader {
            Reader::Zip(archive, members) => zip::read_member(archive, members[index]),
            Reader::Folder(files) => Ok(folder::read_file(&files[index])?),
        };
        bytes
            .and_then(|bytes| decode::decode_chw(&bytes))
            .map_err(|source| DatasetError::Corrupt {
                path: self.path.clone(),
                name: self.names[index].clone(),
                index,
                source,
            })
    }
}

/// A per-thread handle that reads image bytes (zip readers are cloned per thread).
enum Reader<'a> {
    Zip(zip::SharedZip, &'a [usize]),
    Folder(&'a [PathBuf]),
}

impl Source {
    fn reader(&self) -> Reader<'_> {
        match self {
            Source::Zip { archive, members } => Reader::Zip(archive.clone(), members),
            Source::Folder { files } => Reader::Folder(files),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::is_image_name;

    #[test]
    fn extensions_follow_python_splitext() {
        for name in ["a.png", "b/C.JPG", "x.Jpeg", "..a.png", "dir.d/x.jpg"] {
            assert!(is_image_name(name), "{name}");
        }
        for name in [
            ".png",
            "a/.jpg",
            "png",
            "a.png/",
            "a.bmp",
            "a.jpe",
            "a.png.txt",
            "dir.png/x",
        ] {
            assert!(!is_image_name(name), "{name}");
        }
    }
}
