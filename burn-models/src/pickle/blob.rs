//! Shared, immutable byte ranges: pickled `bytes` and tensor storages are views into the file, not copies.

use std::sync::Arc;

/// A range of a shared byte buffer. Cloning is cheap.
#[derive(Clone)]
pub struct Blob {
    buf: Arc<Vec<u8>>,
    start: usize,
    end: usize,
}

impl Blob {
    /// The whole buffer.
    pub fn new(buf: Vec<u8>) -> Self {
        let end = buf.len();
        Self {
            buf: Arc::new(buf),
            start: 0,
            end,
        }
    }

    /// The bytes.
    pub fn as_slice(&self) -> &[u8] {
        &self.buf[self.start..self.end]
    }

    /// Length in bytes.
    pub fn len(&self) -> usize {
        self.end - self.start
    }

    /// Whether the range is empty.
    pub fn is_empty(&self) -> bool {
        self.start == self.end
    }

    /// A sub-range `[start, start + len)` relative to this one, or `None` if it does not fit.
    pub fn slice(&self, start: usize, len: usize) -> Option<Self> {
        let end = start.checked_add(len)?;
        if end > self.len() {
            return None;
        }
        Some(Self {
            buf: Arc::clone(&self.buf),
            start: self.start + start,
            end: self.start + end,
        })
    }

    /// Identity of the range (buffer address, start, end), used to parse each embedded blob once.
    pub(crate) fn identity(&self) -> (usize, usize, usize) {
        (Arc::as_ptr(&self.buf) as usize, self.start, self.end)
    }
}

impl std::fmt::Debug for Blob {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Blob({} bytes)", self.len())
    }
}
