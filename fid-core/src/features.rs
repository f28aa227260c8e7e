//! Feature matrices `[N, D]` as read from `.npy` files or produced by a feature network.

use std::path::Path;

use crate::error::FidError;

/// A row-major feature matrix `[rows, cols]`, kept in the precision it came in.
///
/// 250 000 × 2048 features take 2 GB in f32 and twice that in f64, so f32 input is never widened
/// as a whole; consumers widen one chunk of rows at a time.
#[derive(Debug, Clone, PartialEq)]
pub enum FeatureMatrix {
    /// Single precision, as Inception and CLIP produce them.
    F32 {
        /// Number of samples.
        rows: usize,
        /// Feature dimension.
        cols: usize,
        /// `rows · cols` values, row-major.
        data: Vec<f32>,
    },
    /// Double precision.
    F64 {
        /// Number of samples.
        rows: usize,
        /// Feature dimension.
        cols: usize,
        /// `rows · cols` values, row-major.
        data: Vec<f64>,
    },
}

impl FeatureMatrix {
    /// Wraps f32 data; `data.len()` must equal `rows · cols`.
    pub fn from_f32(rows: usize, cols: usize, data: Vec<f32>) -> Result<Self, FidError> {
        check_len(rows, cols, data.len())?;
        Ok(Self::F32 { rows, cols, data })
    }

    /// Wraps f64 data; `data.len()` must equal `rows · cols`.
    pub fn from_f64(rows: usize, cols: usize, data: Vec<f64>) -> Result<Self, FidError> {
        check_len(rows, cols, data.len())?;
        Ok(Self::F64 { rows, cols, data })
    }

    /// Number of samples `N`.
    pub fn rows(&self) -> usize {
        match self {
            Self::F32 { rows, .. } | Self::F64 { rows, .. } => *rows,
        }
    }

    /// Feature dimension `D`.
    pub fn cols(&self) -> usize {
        match self {
            Self::F32 { cols, .. } | Self::F64 { cols, .. } => *cols,
        }
    }

    /// Row `i` widened to f64.
    pub fn row_f64(&self, i: usize) -> Vec<f64> {
        let mut out = vec![0.0; self.cols()];
        self.write_rows_f64(i, i + 1, &mut out);
        out
    }

    /// Writes rows `start..end` widened to f64 into `out` (row-major, `(end − start) · D` values).
    pub fn write_rows_f64(&self, start: usize, end: usize, out: &mut [f64]) {
        let d = self.cols();
        let (a, b) = (start * d, end * d);
        match self {
            Self::F32 { data, .. } => out
                .iter_mut()
                .zip(&data[a..b])
                .for_each(|(o, &x)| *o = f64::from(x)),
            Self::F64 { data, .. } => out.copy_from_slice(&data[a..b]),
        }
    }

    /// The first non-finite value, as `(row, column)`.
    pub fn first_non_finite(&self) -> Option<(usize, usize)> {
        let d = self.cols().max(1);
        let pos = match self {
            Self::F32 { data, .. } => data.iter().position(|x| !x.is_finite()),
            Self::F64 { data, .. } => data.iter().position(|x| !x.is_finite()),
        };
        pos.map(|p| (p / d, p % d))
    }

    /// Reads a 2-D `.npy` file of f32 or f64 (little- or big-endian, C order).
    pub fn read_npy(path: &Path) -> Result<Self, FidError> {
        let bytes = std::fs::read(path).map_err(|e| FidError::io(path, e))?;
        Self::parse_npy(&bytes).map_err(|reason| FidError::BadFile {
            path: path.to_path_buf(),
            reason,
        })
    }

    /// Parses the bytes of a 2-D `.npy` file.
    pub fn parse_npy(bytes: &[u8]) -> Result<Self, String> {
        let npy = npyz::NpyFile::new(bytes).map_err(|e| format!("not a .npy file: {e}"))?;
        if npy.order() != npyz::Order::C {
            return Err(
                "Fortran-ordered arrays are not supported; save with np.ascontiguousarray".into(),
            );
        }
        let shape = npy.shape().to_vec();
        let [rows, cols] = shape[..] else {
            return Err(format!(
                "expected a 2-D feature matrix [N, D], found shape {shape:?}"
            ));
        };
        let (rows, cols) = (rows as usize, cols as usize);
        let code = crate::npz::dtype_code(&npy.dtype());
        match code.as_str() {
            "f4" => {
                let data: Vec<f32> = npy.into_vec().map_err(|e| e.to_string())?;
                Self::from_f32(rows, cols, data).map_err(|e| e.to_string())
            }
            "f8" => {
                let data: Vec<f64> = npy.into_vec().map_err(|e| e.to_string())?;
                Self::from_f64(rows, cols, data).map_err(|e| e.to_string())
            }
            _ => Err(format!(
                "features must be float32 or float64, found dtype {code}"
            )),
        }
    }

    /// Writes the matrix as a `.npy` file (atomically: temporary file, then rename).
    pub fn write_npy(&self, path: &Path) -> Result<(), FidError> {
        let mut buf = Vec::new();
        let shape = [self.rows() as u64, self.cols() as u64];
        match self {
            Self::F32 { data, .. } => crate::npz::write_npy_to(&mut buf, &shape, data),
            Self::F64 { data, .. } => crate::npz::write_npy_to(&mut buf, &shape, data),
        }
        .map_err(|e| FidError::io(path, e))?;
        crate::atomic::write(path, &buf)
    }
}

fn check_len(rows: usize, cols: usize, len: usize) -> Result<(), FidError> {
    if rows.checked_mul(cols) != Some(len) {
        return Err(FidError::Shape(format!(
            "feature data has {len} values, expected {rows} × {cols}"
        )));
    }
    Ok(())
}
