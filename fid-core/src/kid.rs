//! Kernel Inception Distance, as the paper's code computes it.
//!
//! Cubic polynomial kernel `k(x, y) = (xᵀy / D + 1)³`; `S` subsets (100 by default) of
//! `m = min(N_a, N_b, 1000)` samples drawn without replacement from each set; per subset the
//! unbiased MMD² estimate `(Σ K_aa + Σ K_bb − tr K_aa − tr K_bb) / (m − 1) − 2 Σ K_ab / m`, all
//! divided by `m`; KID is the mean over subsets. The paper's code draws subsets with numpy's
//! global, unseeded RNG; fidlab draws them from a ChaCha8 stream seeded by the user, so runs repeat.
//! Kernels are evaluated in f64 (the paper's code uses the features' float32).

use faer::{Accum, Mat, MatRef, Par};
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

use crate::error::FidError;
use crate::features::FeatureMatrix;

/// Settings of a KID estimate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KidConfig {
    /// Number of subsets (100 in the paper's code).
    pub subsets: usize,
    /// Largest subset size (1000 in the paper's code); the actual size is `min(N_a, N_b, this)`.
    pub max_subset_size: usize,
    /// Seed of the subset draws.
    pub seed: u64,
}

impl Default for KidConfig {
    fn default() -> Self {
        Self {
            subsets: 100,
            max_subset_size: 1000,
            seed: 0,
        }
    }
}

/// A KID estimate.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Kid {
    /// Mean over subsets (the number the paper's code reports).
    pub value: f64,
    /// Standard deviation over subsets (ddof = 1; 0 with one subset).
    pub std: f64,
    /// Subset size used.
    pub subset_size: usize,
    /// Number of subsets.
    pub subsets: usize,
}

fn gather(f: &FeatureMatrix, idx: &[usize]) -> Mat<f64> {
    let d = f.cols();
    let mut row = vec![0.0; d];
    let mut m = Mat::zeros(idx.len(), d);
    for (r, &i) in idx.iter().enumerate() {
        f.write_rows_f64(i, i + 1, &mut row);
        for (j, &v) in row.iter().enumerate() {
            m[(r, j)] = v;
        }
    }
    m
}

fn cubic_kernel_sum(x: MatRef<f64>, y: MatRef<f64>, dims: f64) -> (f64, f64) {
    let mut g = Mat::zeros(x.nrows(), y.nrows());
    faer::linalg::matmul::matmul(
        g.as_mut(),
        Accum::Replace,
        x,
        y.transpose(),
        1.0,
        Par::rayon(0),
    );
    let k = |v: f64| (v / dims + 1.0).powi(3);
    let mut sum = 0.0;
    let mut diag = 0.0;
    for j in 0..g.ncols() {
        for i in 0..g.nrows() {
            let v = k(g[(i, j)]);
            sum += v;
            if i == j {
                diag += v;
            }
        }
    }
    (sum, diag)
}

/// The unbiased MMD² estimate of one subset pair (`a` and `b` of equal size `m ≥ 2`), divided by `m`
/// as the paper's code does.
pub fn kid_subset(a: MatRef<f64>, b: MatRef<f64>) -> f64 {
    let m = a.nrows() as f64;
    let dims = a.ncols() as f64;
    let (saa, taa) = cubic_kernel_sum(a, a, dims);
    let (sbb, tbb) = cubic_kernel_sum(b, b, dims);
    let (sab, _) = cubic_kernel_sum(a, b, dims);
    ((saa - taa + sbb - tbb) / (m - 1.0) - 2.0 * sab / m) / m
}

/// KID on explicit subsets: `subsets[k] = (rows of a, rows of b)`, each of the same size.
pub fn kid_on_subsets(
    a: &FeatureMatrix,
    b: &FeatureMatrix,
    subsets: &[(Vec<usize>, Vec<usize>)],
) -> Result<Kid, FidError> {
    check(a, b)?;
    let m = subsets.first().map_or(0, |s| s.0.len());
    if m < 2 || subsets.iter().any(|(x, y)| x.len() != m || y.len() != m) {
        return Err(FidError::Shape(
            "KID subsets must all have the same size ≥ 2".into(),
        ));
    }
    if subsets
        .iter()
        .any(|(x, y)| x.iter().any(|&i| i >= a.rows()) || y.iter().any(|&i| i >= b.rows()))
    {
        return Err(FidError::Shape("KID subset index out of range".into()));
    }
    let values: Vec<f64> = subsets
        .iter()
        .map(|(ia, ib)| kid_subset(gather(a, ia).as_ref(), gather(b, ib).as_ref()))
        .collect();
    let n = values.len() as f64;
    let mean = values.iter().sum::<f64>() / n;
    let std = if values.len() > 1 {
        (values.iter().map(|v| (v - mean) * (v - mean)).sum::<f64>() / (n - 1.0)).sqrt()
    } else {
        0.0
    };
    Ok(Kid {
        value: mean,
        std,
        subset_size: m,
        subsets: values.len(),
    })
}

/// The subsets a seeded KID run draws: for each, `m` distinct rows of `a` then `m` of `b`.
pub fn draw_subsets(n_a: usize, n_b: usize, config: &KidConfig) -> Vec<(Vec<usize>, Vec<usize>)> {
    let m = n_a.min(n_b).min(config.max_subset_size);
    let mut rng = ChaCha8Rng::seed_from_u64(config.seed);
    (0..config.subsets)
        .map(|_| {
            let x = rand::seq::index::sample(&mut rng, n_a, m).into_vec();
            let y = rand::seq::index::sample(&mut rng, n_b, m).into_vec();
            (x, y)
        })
        .collect()
}

/// KID between two feature sets with seeded subsets.
pub fn kid(a: &FeatureMatrix, b: &FeatureMatrix, config: &KidConfig) -> Result<Kid, FidError> {
    check(a, b)?;
    if config.subsets == 0 || config.max_subset_size < 2 {
        return Err(FidError::Shape(
            "KID needs at least one subset of size ≥ 2".into(),
        ));
    }
    kid_on_subsets(a, b, &draw_subsets(a.rows(), b.rows(), config))
}

fn check(a: &FeatureMatrix, b: &FeatureMatrix) -> Result<(), FidError> {
    if a.cols() != b.cols() {
        return Err(FidError::Shape(format!(
            "feature dimensions differ: {} vs {}",
            a.cols(),
            b.cols()
        )));
    }
    for (what, f) in [("the first set", a), ("the second set", b)] {
        if f.rows() < 2 {
            return Err(FidError::TooFewSamples {
                what: what.into(),
                n: f.rows() as u64,
            });
        }
        if let Some((row, col)) = f.first_non_finite() {
            return Err(FidError::NonFinite {
                what: what.into(),
                row,
                col,
            });
        }
    }
    Ok(())
}
