//! Batches of decoded images and the iterator that decodes them chunk by chunk.

use std::collections::VecDeque;
use std::ops::Range;
use std::sync::mpsc::{Receiver, sync_channel};
use std::thread::JoinHandle;

use rayon::prelude::*;

use super::decode::Decoded;
use super::{DatasetError, ImageSize, SizePolicy, SkippedImage, Stream};

/// A batch of images of one size: `data` is `[batch, 3, height, width]` `u8`, row-major (each image
/// CHW: R plane, G plane, B plane).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ImageBatch {
    /// Pixels, `batch · 3 · height · width` bytes.
    pub data: Vec<u8>,
    /// Number of images.
    pub batch: usize,
    /// Rows of every image.
    pub height: usize,
    /// Columns of every image.
    pub width: usize,
    /// Position of each image in the dataset order (increasing; gaps where images were skipped).
    pub indices: Vec<usize>,
    /// Zip member name / relative path of each image.
    pub names: Vec<String>,
}

impl ImageBatch {
    /// `[batch, 3, height, width]`.
    pub fn shape(&self) -> [usize; 4] {
        [self.batch, 3, self.height, self.width]
    }

    /// Size shared by the images.
    pub fn size(&self) -> ImageSize {
        ImageSize {
            width: self.width as u32,
            height: self.height as u32,
        }
    }

    /// Pixels of image `i` of the batch, `[3, height, width]`.
    ///
    /// # Panics
    /// If `i >= self.batch`.
    pub fn image(&self, i: usize) -> &[u8] {
        let len = 3 * self.height * self.width;
        &self.data[i * len..(i + 1) * len]
    }

    /// The pixels as `u8` tensor data of shape `[batch, 3, height, width]`, ready for
    /// `Tensor::<4, Int>::from_data(…, &device)` or a float conversion.
    pub fn into_tensor_data(self) -> burn::tensor::TensorData {
        let shape = self.shape();
        burn::tensor::TensorData::new(self.data, shape)
    }

    /// A batch holding one image, with room for `capacity` images of its size.
    pub(super) fn single_with_capacity(
        index: usize,
        name: String,
        image: Decoded,
        capacity: usize,
    ) -> Self {
        let mut data = image.chw;
        data.reserve(data.len() * capacity.saturating_sub(1));
        Self {
            data,
            batch: 1,
            height: image.size.height as usize,
            width: image.size.width as usize,
            indices: vec![index],
            names: vec![name],
        }
    }

    pub(super) fn single(index: usize, name: String, image: Decoded) -> Self {
        Self::single_with_capacity(index, name, image, 1)
    }

    fn push(&mut self, index: usize, name: String, image: Decoded) {
        debug_assert_eq!(image.size, self.size());
        self.data.extend_from_slice(&image.chw);
        self.batch += 1;
        self.indices.push(index);
        self.names.push(name);
    }
}

/// Iterator over the [`ImageBatch`]es of a [`Dataset`](super::Dataset), from
/// [`Dataset::batches`](super::Dataset::batches).
///
/// Yields `Ok` batches in dataset order; after the first `Err` it yields nothing more. Dropping
/// it early stops the background decoding.
pub struct Batches {
    inner: Inner,
    queue: VecDeque<ImageBatch>,
    skipped: Vec<SkippedImage>,
    finished: bool,
}

enum Inner {
    /// Decodes in the caller's thread (`prefetch == 0`).
    Inline(Box<Producer>),
    /// A background thread decodes up to `prefetch` chunks ahead.
    Thread {
        chunks: Option<Receiver<ChunkResult>>,
        worker: Option<JoinHandle<()>>,
    },
}

type ChunkResult = Result<Chunk, DatasetError>;

impl Batches {
    pub(super) fn new(stream: Stream, batch_size: usize) -> Self {
        let producer = |stream| {
            Box::new(Producer {
                stream,
                batch_size,
                next: 0,
                reference: None,
            })
        };
        let inner = match stream.options.prefetch {
            0 => Inner::Inline(producer(stream)),
            prefetch => {
                // One chunk waits in `send` besides the `prefetch - 1` the channel buffers.
                let (sender, chunks) = sync_channel(prefetch - 1);
                let mut worker_producer = producer(stream.clone());
                let spawned = std::thread::Builder::new()
                    .name("fid-dataset".into())
                    .spawn(move || {
                        while let Some(chunk) = worker_producer.next_chunk() {
                            let failed = chunk.is_err();
                            if sender.send(chunk).is_err() || failed {
                                break;
                            }
                        }
                    });
                match spawned {
                    Ok(worker) => Inner::Thread {
                        chunks: Some(chunks),
                        worker: Some(worker),
                    },
                    // No thread to be had: decode in the caller's thread instead.
                    Err(_) => Inner::Inline(producer(stream)),
                }
            }
        };
        Self {
            inner,
            queue: VecDeque::new(),
            skipped: Vec::new(),
            finished: false,
        }
    }

    /// Images left out so far because [`DatasetOptions::skip_bad`](super::DatasetOptions) is set,
    /// in dataset order. Complete once the iterator has returned `None`.
    pub fn skipped(&self) -> &[SkippedImage] {
        &self.skipped
    }

    fn next_chunk(&mut self) -> Option<ChunkResult> {
        match &mut self.inner {
            Inner::Inline(producer) => producer.next_chunk(),
            Inner::Thread { chunks, worker } => {
                let chunk = chunks.as_ref().and_then(|c| c.recv().ok());
                if chunk.is_none() {
                    // The worker is done; re-raise its panic, if any, rather than end silently.
                    if let Some(Err(panic)) = worker.take().map(JoinHandle::join) {
                        std::panic::resume_unwind(panic);
                    }
                }
                chunk
            }
        }
    }
}

impl Iterator for Batches {
    type Item = Result<ImageBatch, DatasetError>;

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            if let Some(batch) = self.queue.pop_front() {
                return Some(Ok(batch));
            }
            if self.finished {
                return None;
            }
            match self.next_chunk() {
                None => self.finished = true,
                Some(Err(error)) => {
                    self.finished = true;
                    return Some(Err(error));
                }
                Some(Ok(chunk)) => {
                    self.skipped.extend(chunk.skipped);
                    self.queue.extend(chunk.batches);
                }
            }
        }
    }
}

impl std::iter::FusedIterator for Batches {}

impl Drop for Batches {
    fn drop(&mut self) {
        if let Inner::Thread { chunks, worker } = &mut self.inner {
            // Closing the channel makes the worker's next `send` fail, so it stops.
            drop(chunks.take());
            if let Some(worker) = worker.take() {
                let _ = worker.join();
            }
        }
    }
}

/// The decoded images of `batch_size` consecutive files, cut where the size changes.
#[derive(Default)]
struct Chunk {
    batches: Vec<ImageBatch>,
    skipped: Vec<SkippedImage>,
}

/// Decodes the dataset chunk by chunk, in order, checking sizes.
struct Producer {
    stream: Stream,
    batch_size: usize,
    /// First image of the next chunk.
    next: usize,
    /// Size and index of the first decoded image (for [`SizePolicy::Uniform`]).
    reference: Option<(ImageSize, usize)>,
}

impl Producer {
    fn next_chunk(&mut self) -> Option<ChunkResult> {
        let total = self.stream.names.len();
        if self.next >= total {
            return None;
        }
        let range = self.next..(self.next + self.batch_size).min(total);
        self.next = range.end;
        Some(self.decode_chunk(range))
    }

    fn decode_chunk(&mut self, range: Range<usize>) -> ChunkResult {
        let stream = &self.stream;
        let decoded: Vec<_> = range
            .clone()
            .into_par_iter()
            .map_init(
                || stream.source.reader(),
                |reader, i| stream.decode(reader, i),
            )
            .collect();
        let mut chunk = Chunk::default();
        for (index, result) in range.zip(decoded) {
            let name = self.stream.names[index].clone();
            let image = match result {
                Ok(image) => image,
                Err(error @ DatasetError::Corrupt { .. }) if self.stream.options.skip_bad => {
                    chunk.skipped.push(SkippedImage { index, name, error });
                    continue;
                }
                Err(error) => return Err(error),
            };
            self.check_size(index, image.size)?;
            match chunk.batches.last_mut() {
                Some(batch) if batch.size() == image.size => batch.push(index, name, image),
                _ => chunk.batches.push(ImageBatch::single_with_capacity(
                    index,
                    name,
                    image,
                    self.batch_size,
                )),
            }
        }
        Ok(chunk)
    }

    fn check_size(&mut self, index: usize, found: ImageSize) -> Result<(), DatasetError> {
        let (expected, reference) = match self.stream.options.sizes {
            SizePolicy::Mixed => return Ok(()),
            SizePolicy::Exact(size) => (size, None),
            SizePolicy::Uniform => match self.reference {
                None => {
                    self.reference = Some((found, index));
                    return Ok(());
                }
                Some((size, first)) => (size, Some((first, self.stream.names[first].clone()))),
            },
        };
        if found == expected {
            return Ok(());
        }
        Err(DatasetError::SizeMismatch {
            path: self.stream.path.clone(),
            name: self.stream.names[index].clone(),
            index,
            found,
            expected,
            reference,
        })
    }
}
