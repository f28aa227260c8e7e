//! Pickled tensors: strided views into storages, and their contiguous row-major bytes.

use super::blob::Blob;
use super::dtype::Dtype;
use super::error::{PickleError, Result};

/// A tensor as pickled: a strided view (`shape`, `strides`, `offset`, in elements) into a storage.
///
/// Several tensors may share one storage (views, tied weights); no bytes are copied until
/// [`TensorView::contiguous_bytes`].
#[derive(Debug, Clone)]
pub struct TensorView {
    /// Element type.
    pub dtype: Dtype,
    /// Shape (`[]` for a scalar).
    pub shape: Vec<usize>,
    /// Strides in elements.
    pub strides: Vec<usize>,
    /// Offset of the first element in the storage, in elements.
    pub offset: usize,
    /// The storage's little-endian bytes.
    pub storage: Blob,
    /// Storage key in the file (for messages).
    pub storage_key: String,
    /// `requires_grad` as pickled.
    pub requires_grad: bool,
    /// Whether it was pickled as a `torch.nn.Parameter`.
    pub parameter: bool,
}

impl TensorView {
    /// Number of elements (`None` if it overflows).
    pub fn numel(&self) -> Option<usize> {
        self.shape
            .iter()
            .try_fold(1usize, |acc, &d| acc.checked_mul(d))
    }

    /// Whether the view is row-major contiguous.
    pub fn is_contiguous(&self) -> bool {
        let mut expected = 1usize;
        for (&d, &s) in self.shape.iter().zip(&self.strides).rev() {
            if d != 1 && s != expected {
                return false;
            }
            expected = expected.saturating_mul(d);
        }
        true
    }

    fn err(&self, name: &str, msg: String) -> PickleError {
        PickleError::Tensor {
            name: name.to_owned(),
            msg,
        }
    }

    /// Checks that every element of the view lies inside the storage.
    pub fn validate(&self, name: &str) -> Result<()> {
        let es = self.dtype.size();
        let storage_numel = self.storage.len() / es;
        if self.shape.len() != self.strides.len() {
            return Err(self.err(name, "shape and strides differ in length".into()));
        }
        let numel = self
            .numel()
            .ok_or_else(|| self.err(name, format!("shape {:?} overflows", self.shape)))?;
        if numel == 0 {
            return Ok(());
        }
        let mut last = self.offset;
        for (&d, &s) in self.shape.iter().zip(&self.strides) {
            last = (d - 1)
                .checked_mul(s)
                .and_then(|x| x.checked_add(last))
                .ok_or_else(|| self.err(name, "view extent overflows".into()))?;
        }
        if last >= storage_numel {
            return Err(self.err(
                name,
                format!(
                    "view (shape {:?}, strides {:?}, offset {}) reads element {last} of a {storage_numel}-element storage",
                    self.shape, self.strides, self.offset
                ),
            ));
        }
        Ok(())
    }

    /// Size in bytes of the contiguous tensor.
    pub fn nbytes(&self) -> Option<usize> {
        self.numel()?.checked_mul(self.dtype.size())
    }

    /// The tensor's elements in row-major order as little-endian bytes.
    ///
    /// Views that read storage elements more than once (zero or overlapping strides) may expand to at most
    /// `max_expanded_bytes`.
    pub fn contiguous_bytes(&self, name: &str, max_expanded_bytes: u64) -> Result<Vec<u8>> {
        self.validate(name)?;
        let es = self.dtype.size();
        let numel = self.numel().unwrap_or(0);
        let nbytes = numel
            .checked_mul(es)
            .ok_or_else(|| self.err(name, format!("shape {:?} overflows", self.shape)))?;
        let storage = self.storage.as_slice();
        if numel == 0 {
            return Ok(Vec::new());
        }
        if numel > storage.len() / es && nbytes as u64 > max_expanded_bytes {
            return Err(self.err(
                name,
                format!("expanded view of {nbytes} bytes exceeds the limit"),
            ));
        }
        if self.is_contiguous() {
            let start = self.offset * es;
            return Ok(storage[start..start + nbytes].to_vec());
        }
        let mut out = Vec::with_capacity(nbytes);
        let rank = self.shape.len();
        let mut index = vec![0usize; rank];
        let mut pos = self.offset;
        for _ in 0..numel {
            out.extend_from_slice(&storage[pos * es..(pos + 1) * es]);
            // Odometer increment, innermost dimension first.
            for dim in (0..rank).rev() {
                index[dim] += 1;
                if index[dim] < self.shape[dim] {
                    pos += self.strides[dim];
                    break;
                }
                // `validate` checked that (shape - 1) * stride fits.
                pos -= self.strides[dim] * (self.shape[dim] - 1);
                index[dim] = 0;
            }
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn view(shape: Vec<usize>, strides: Vec<usize>, offset: usize, storage: Vec<u8>) -> TensorView {
        TensorView {
            dtype: Dtype::F64,
            shape,
            strides,
            offset,
            storage: Blob::new(storage),
            storage_key: "0".into(),
            requires_grad: false,
            parameter: false,
        }
    }

    #[test]
    fn broadcast_views_are_bounded_and_overflow_is_an_error() {
        // One f64 element, read 2^61 times: an error, not an overflow or a huge allocation.
        let t = view(vec![1 << 61], vec![0], 0, vec![0; 8]);
        assert!(t.contiguous_bytes("t", 1 << 20).is_err());
        let t = view(vec![usize::MAX / 2, 3], vec![0, 0], 0, vec![0; 8]);
        assert!(t.contiguous_bytes("t", 1 << 20).is_err());
        // A small broadcast is materialised.
        let t = view(vec![3], vec![0], 0, 7f64.to_le_bytes().to_vec());
        assert_eq!(t.contiguous_bytes("t", 1 << 20).unwrap().len(), 24);
        // A view past the end of its storage is rejected.
        let t = view(vec![2], vec![1], 1, vec![0; 16]);
        assert!(t.validate("t").is_err());
        let t = view(vec![1, 2], vec![usize::MAX, 1], 0, vec![0; 16]);
        assert_eq!(t.contiguous_bytes("t", 0).unwrap().len(), 16);
    }
}
