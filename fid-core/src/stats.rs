//! Streaming, mergeable f64 statistics: count, Σx and Σxxᵀ.
//!
//! Features arrive in batches (or shards on several machines); [`Moments`] accumulates them in
//! f64 and merges exactly, so the mean and covariance do not depend on the batch size or on how a
//! set was split, beyond f64 rounding. Sums of 2048-d rows are accumulated block-wise with one
//! matrix product per chunk (faer), so millions of samples stream at memory bandwidth.
//!
//! The covariance is `(Σxxᵀ − Σx Σxᵀ / n) / (n − ddof)` with `ddof = 1` by default (`np.cov`).
//! Feature values of FID networks are O(1) with means of the same order as their spread, so the
//! cancellation in this formula costs at most a few bits of f64's 53.

use faer::{Accum, Mat, MatRef, Par};

use crate::error::FidError;
use crate::features::FeatureMatrix;

/// Rows widened to f64 per matrix product: bounded memory (`CHUNK · D` f64) whatever `N` is.
const CHUNK: usize = 1024;

/// Count, Σx and Σxxᵀ of a set of `D`-dimensional samples, in f64.
#[derive(Debug, Clone, PartialEq)]
pub struct Moments {
    count: u64,
    sum: Vec<f64>,
    /// `D × D`, symmetric.
    sum_outer: Mat<f64>,
}

/// Mean and covariance of a set, the input of the Fréchet distance.
#[derive(Debug, Clone, PartialEq)]
pub struct Gaussian {
    /// Number of samples the statistics came from.
    pub count: u64,
    /// Mean, `[D]`.
    pub mean: Vec<f64>,
    /// Covariance, `[D, D]`.
    pub cov: Mat<f64>,
}

impl Gaussian {
    /// Feature dimension.
    pub fn dim(&self) -> usize {
        self.mean.len()
    }
}

impl Moments {
    /// Empty statistics of dimension `dim`.
    pub fn new(dim: usize) -> Self {
        Self {
            count: 0,
            sum: vec![0.0; dim],
            sum_outer: Mat::zeros(dim, dim),
        }
    }

    /// Rebuilds statistics from stored sums (e.g. a stats file).
    pub fn from_parts(count: u64, sum: Vec<f64>, sum_outer: Mat<f64>) -> Result<Self, FidError> {
        let d = sum.len();
        if sum_outer.nrows() != d || sum_outer.ncols() != d {
            return Err(FidError::Shape(format!(
                "Σx has {d} entries but Σxxᵀ is {}×{}",
                sum_outer.nrows(),
                sum_outer.ncols()
            )));
        }
        Ok(Self {
            count,
            sum,
            sum_outer,
        })
    }

    /// Statistics of a whole feature matrix.
    pub fn from_features(features: &FeatureMatrix) -> Self {
        let mut m = Self::new(features.cols());
        m.push_features(features);
        m
    }

    /// Feature dimension `D`.
    pub fn dim(&self) -> usize {
        self.sum.len()
    }

    /// Number of samples seen.
    pub fn count(&self) -> u64 {
        self.count
    }

    /// Σx, `[D]`.
    pub fn sum(&self) -> &[f64] {
        &self.sum
    }

    /// Σxxᵀ, `[D, D]`.
    pub fn sum_outer(&self) -> MatRef<'_, f64> {
        self.sum_outer.as_ref()
    }

    /// Adds `rows` samples given row-major in f64 (`rows · D` values).
    ///
    /// # Panics
    /// If `data.len()` is not a multiple of `D` (a programmer error).
    pub fn push_rows_f64(&mut self, data: &[f64]) {
        let d = self.dim();
        assert!(
            d > 0 && data.len().is_multiple_of(d),
            "push_rows_f64: {} values do not form rows of {d}",
            data.len()
        );
        let rows = data.len() / d;
        if rows == 0 {
            return;
        }
        let x = MatRef::from_row_major_slice(data, rows, d);
        for (s, col) in self.sum.iter_mut().zip(x.col_iter()) {
            *s += col.iter().sum::<f64>();
        }
        faer::linalg::matmul::matmul(
            self.sum_outer.as_mut(),
            Accum::Add,
            x.transpose(),
            x,
            1.0,
            Par::rayon(0),
        );
        self.count += rows as u64;
    }

    /// Adds `data.len() / D` samples given row-major in f32.
    pub fn push_rows_f32(&mut self, data: &[f32]) {
        let d = self.dim().max(1);
        let mut buf = Vec::with_capacity(CHUNK * d);
        for chunk in data.chunks(CHUNK * d) {
            buf.clear();
            buf.extend(chunk.iter().map(|&x| f64::from(x)));
            self.push_rows_f64(&buf);
        }
    }

    /// Adds every row of `features`.
    ///
    /// # Panics
    /// If the dimensions differ (a programmer error; check [`Moments::dim`] first).
    pub fn push_features(&mut self, features: &FeatureMatrix) {
        assert_eq!(features.cols(), self.dim(), "feature dimension mismatch");
        let d = self.dim();
        let mut buf = vec![0.0; CHUNK * d];
        let mut start = 0;
        while start < features.rows() {
            let end = (start + CHUNK).min(features.rows());
            let out = &mut buf[..(end - start) * d];
            features.write_rows_f64(start, end, out);
            self.push_rows_f64(out);
            start = end;
        }
    }

    /// Adds another set's statistics (exact: sums add).
    pub fn merge(&mut self, other: &Moments) -> Result<(), FidError> {
        if other.dim() != self.dim() {
            return Err(FidError::Shape(format!(
                "cannot merge statistics of dimension {} and {}",
                self.dim(),
                other.dim()
            )));
        }
        self.count += other.count;
        self.sum
            .iter_mut()
            .zip(&other.sum)
            .for_each(|(a, b)| *a += b);
        self.sum_outer += &other.sum_outer;
        Ok(())
    }

    /// The mean, `Σx / n`.
    pub fn mean(&self) -> Vec<f64> {
        let n = self.count as f64;
        self.sum.iter().map(|s| s / n).collect()
    }

    /// The covariance `(Σxxᵀ − n·μμᵀ) / (n − ddof)`, exactly symmetric.
    pub fn covariance(&self, ddof: u64) -> Result<Mat<f64>, FidError> {
        if self.count <= ddof || self.count < 2 {
            return Err(FidError::TooFewSamples {
                what: "the feature set".into(),
                n: self.count,
            });
        }
        let n = self.count as f64;
        let denom = (self.count - ddof) as f64;
        let d = self.dim();
        let s = &self.sum;
        // Average the two triangles so that the result is symmetric to the last bit.
        Ok(Mat::from_fn(d, d, |i, j| {
            let outer = 0.5 * (self.sum_outer[(i, j)] + self.sum_outer[(j, i)]);
            (outer - s[i] * s[j] / n) / denom
        }))
    }

    /// Mean and covariance (`ddof = 1`, as `np.cov`).
    pub fn gaussian(&self) -> Result<Gaussian, FidError> {
        Ok(Gaussian {
            count: self.count,
            mean: self.mean(),
            cov: self.covariance(1)?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn features(n: usize, d: usize, seed: u64) -> Vec<f64> {
        // Deterministic values with a non-zero mean and correlated columns.
        let v = burn_models_free_noise(n * d, seed);
        (0..n * d)
            .map(|k| {
                let (i, j) = (k / d, k % d);
                1.5 + v[k] + 0.3 * v[i * d + (j + 1) % d] + 0.1 * j as f64
            })
            .collect()
    }

    fn burn_models_free_noise(n: usize, seed: u64) -> Vec<f64> {
        let mut s = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
        (0..n)
            .map(|_| {
                s ^= s << 13;
                s ^= s >> 7;
                s ^= s << 17;
                (s >> 11) as f64 / (1u64 << 53) as f64 - 0.5
            })
            .collect()
    }

    fn naive(data: &[f64], d: usize) -> (Vec<f64>, Vec<f64>) {
        let n = data.len() / d;
        let mean: Vec<f64> = (0..d)
            .map(|j| (0..n).map(|i| data[i * d + j]).sum::<f64>() / n as f64)
            .collect();
        let mut cov = vec![0.0; d * d];
        for a in 0..d {
            for b in 0..d {
                cov[a * d + b] = (0..n)
                    .map(|i| (data[i * d + a] - mean[a]) * (data[i * d + b] - mean[b]))
                    .sum::<f64>()
                    / (n - 1) as f64;
            }
        }
        (mean, cov)
    }

    fn max_rel(a: &[f64], b: &[f64]) -> f64 {
        let scale = b.iter().fold(0.0f64, |m, x| m.max(x.abs()));
        a.iter()
            .zip(b)
            .fold(0.0f64, |m, (x, y)| m.max((x - y).abs()))
            / scale
    }

    fn flat(m: &Mat<f64>) -> Vec<f64> {
        (0..m.nrows())
            .flat_map(|i| (0..m.ncols()).map(move |j| (i, j)))
            .map(|(i, j)| m[(i, j)])
            .collect()
    }

    #[test]
    fn matches_two_pass_formula() {
        let (n, d) = (500, 7);
        let data = features(n, d, 1);
        let mut m = Moments::new(d);
        m.push_rows_f64(&data);
        let (mean, cov) = naive(&data, d);
        assert!(max_rel(&m.mean(), &mean) < 1e-14);
        assert!(max_rel(&flat(&m.covariance(1).unwrap()), &cov) < 1e-12);
    }

    #[test]
    fn batch_size_and_sharding_do_not_matter() {
        let (n, d) = (3001, 16);
        let data = features(n, d, 2);
        let mut whole = Moments::new(d);
        whole.push_rows_f64(&data);
        let reference = whole.gaussian().unwrap();
        for batch in [1, 7, 32, 1000] {
            let mut m = Moments::new(d);
            data.chunks(batch * d).for_each(|c| m.push_rows_f64(c));
            let g = m.gaussian().unwrap();
            assert_eq!(g.count, n as u64);
            assert!(max_rel(&g.mean, &reference.mean) < 1e-12, "batch {batch}");
            assert!(
                max_rel(&flat(&g.cov), &flat(&reference.cov)) < 1e-12,
                "batch {batch}"
            );
        }
        // Three uneven shards, merged in a different order.
        let cuts = [0, 1234 * d, 2999 * d, n * d];
        let mut shards: Vec<Moments> = cuts
            .windows(2)
            .map(|w| {
                let mut m = Moments::new(d);
                m.push_rows_f64(&data[w[0]..w[1]]);
                m
            })
            .collect();
        let mut merged = shards.pop().unwrap();
        for s in shards.iter().rev() {
            merged.merge(s).unwrap();
        }
        let g = merged.gaussian().unwrap();
        assert!(max_rel(&g.mean, &reference.mean) < 1e-12);
        assert!(max_rel(&flat(&g.cov), &flat(&reference.cov)) < 1e-12);
    }

    #[test]
    fn f32_input_is_widened_exactly() {
        let data: Vec<f32> = features(100, 5, 3).iter().map(|&x| x as f32).collect();
        let wide: Vec<f64> = data.iter().map(|&x| f64::from(x)).collect();
        let mut a = Moments::new(5);
        a.push_rows_f32(&data);
        let mut b = Moments::new(5);
        b.push_rows_f64(&wide);
        assert_eq!(a, b);
    }

    #[test]
    fn covariance_needs_two_samples() {
        let mut m = Moments::new(3);
        m.push_rows_f64(&[1.0, 2.0, 3.0]);
        assert!(matches!(
            m.covariance(1),
            Err(FidError::TooFewSamples { n: 1, .. })
        ));
    }

    #[test]
    fn merge_rejects_other_dimension() {
        let mut a = Moments::new(3);
        assert!(a.merge(&Moments::new(4)).is_err());
    }
}
