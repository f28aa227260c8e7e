//! A generator as a source of images for FID statistics: uint8 batches for latents drawn exactly
//! as the reference draws them.

use burn::tensor::{Device, TensorData};

use super::generator::{Generator, SampleOptions, to_uint8};
use crate::numpy_rng::RandomState;

/// Which latents to draw (numpy's legacy generator, see [`crate::numpy_rng`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LatentSource {
    /// One stream `np.random.RandomState(seed).randn(num, z_dim)`: the FID paper's statistics set.
    Stream {
        /// Seed of the stream.
        seed: u32,
        /// Number of latents.
        num: usize,
    },
    /// One `np.random.RandomState(s).randn(1, z_dim)` per seed, in order (`generate.py --seeds`).
    Seeds(Vec<u32>),
}

impl LatentSource {
    /// Number of latents.
    pub fn len(&self) -> usize {
        match self {
            Self::Stream { num, .. } => *num,
            Self::Seeds(seeds) => seeds.len(),
        }
    }

    /// Whether there are no latents.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// All latents, `len · z_dim` values row-major (float64, as numpy returns them).
    pub fn all(&self, z_dim: usize) -> Vec<f64> {
        let mut draw = LatentDraw::new(self);
        draw.next_rows(self.len(), z_dim)
    }
}

/// The state of a [`LatentSource`] being consumed row by row.
#[derive(Debug)]
struct LatentDraw {
    source: LatentSource,
    stream: Option<RandomState>,
    next: usize,
}

impl LatentDraw {
    fn new(source: &LatentSource) -> Self {
        let stream = match source {
            LatentSource::Stream { seed, .. } => Some(RandomState::new(*seed)),
            LatentSource::Seeds(_) => None,
        };
        Self {
            source: source.clone(),
            stream,
            next: 0,
        }
    }

    /// The next `rows` latents; a stream continues exactly as one `randn(num, z_dim)` call.
    fn next_rows(&mut self, rows: usize, z_dim: usize) -> Vec<f64> {
        let out = match (&mut self.stream, &self.source) {
            (Some(rs), _) => rs.randn(rows * z_dim),
            (None, LatentSource::Seeds(seeds)) => seeds[self.next..self.next + rows]
                .iter()
                .flat_map(|&s| RandomState::new(s).randn(z_dim))
                .collect(),
            (None, LatentSource::Stream { .. }) => unreachable!("streams own a RandomState"),
        };
        self.next += rows;
        out
    }
}

/// Iterator over uint8 image batches `[batch, img_channels, res, res]` ([`TensorData`] of `u8`)
/// generated from a [`LatentSource`], `batch_size` at a time (the last batch may be smaller).
///
/// Pixels are converted as the seed does ([`to_uint8`]); labels are zeros for conditional
/// networks. Images do not depend on the batch size beyond f32 rounding.
#[derive(Debug)]
pub struct ImageSource<'a> {
    generator: &'a Generator,
    draw: LatentDraw,
    remaining: usize,
    batch_size: usize,
    options: SampleOptions,
    device: Device,
}

impl<'a> ImageSource<'a> {
    /// Images of `generator` for `latents`, in batches of `batch_size` (≥ 1) on `device`.
    pub fn new(
        generator: &'a Generator,
        latents: &LatentSource,
        batch_size: usize,
        options: SampleOptions,
        device: &Device,
    ) -> Self {
        Self {
            generator,
            draw: LatentDraw::new(latents),
            remaining: latents.len(),
            batch_size: batch_size.max(1),
            options,
            device: device.clone(),
        }
    }

    /// The next batch with its latents (`rows · z_dim` f64 values).
    pub fn next_with_latents(&mut self) -> Option<(TensorData, Vec<f64>)> {
        if self.remaining == 0 {
            return None;
        }
        let rows = self.remaining.min(self.batch_size);
        self.remaining -= rows;
        let z = self.draw.next_rows(rows, self.generator.z_dim);
        let img = self.generator.generate(&z, &self.options, &self.device);
        Some((to_uint8(img), z))
    }
}

impl Iterator for ImageSource<'_> {
    type Item = TensorData;

    fn next(&mut self) -> Option<TensorData> {
        self.next_with_latents().map(|(images, _)| images)
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        let n = self.remaining.div_ceil(self.batch_size);
        (n, Some(n))
    }
}
