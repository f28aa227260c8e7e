//! Weighted statistics of a candidate set and the resampling loss with its closed-form gradient.
//!
//! The paper's `compute_weighted_mean_and_cov` (`resampling/resample_utils.py`): per-image
//! log-weights `w`, `p = exp(w)`, `W = Σ p`,
//!
//! ```text
//! m = pᵀF / W                               [D]
//! C = (F − m)ᵀ (p ⊙ (F − m)) / (W − 1)      [D, D]   (np.mean / np.cov at w = 0)
//! ```
//!
//! and the loss `L(w) = FD(N(μ_r, Σ_r), N(m, C))`. Instead of autodiff through an `N × D` graph (the
//! paper keeps four `N × D` float64 temporaries for backward, ~20 GB at 250 000 × 2048), the gradient
//! is taken in closed form:
//!
//! ```text
//! d_i = f_i − m,  g = ∂FD/∂m = 2(m − μ_r),  G = ∂FD/∂C = I − S K^{-½} S
//! ∂L/∂w_i = p_i · [ g·d_i / W + (d_iᵀ G d_i − ⟨G, C⟩_F) / (W − 1) ]
//! ```
//!
//! (the dependence of `C` on `m` drops out because `Σ p_i d_i = 0`). One step streams the f32
//! features three times in chunks of rows widened to f64: the mean, `C` (lower triangle only, one
//! `N × D × D / 2` product) and the quadratic forms (`(F − m) G`, one `N × D × D` product). Memory
//! beyond the features: a few `D × D` matrices and two `CHUNK × D` buffers.

use faer::linalg::matmul::matmul;
use faer::linalg::matmul::triangular::{self, BlockStructure};
use faer::{Accum, Mat, MatMut, MatRef, Par};
use fid_core::{FeatureMatrix, FrechetReference};

use crate::error::ResampleError;

/// Rows widened to f64 per product.
pub const CHUNK: usize = 2048;

/// Weighted mean and covariance of a feature matrix.
#[derive(Debug, Clone)]
pub struct WeightedStats {
    /// `p = exp(w)`, `[N]`.
    pub p: Vec<f64>,
    /// `W = Σ p`.
    pub total: f64,
    /// `m`, `[D]`.
    pub mean: Vec<f64>,
    /// `C`, `[D, D]`, symmetric.
    pub cov: Mat<f64>,
}

/// The loss at some weights and its gradient.
#[derive(Debug, Clone)]
pub struct LossAndGrad {
    /// `L(w)`, the Fréchet distance of the weighted statistics to the reference.
    pub loss: f64,
    /// `∂L/∂w`, `[N]`.
    pub grad: Vec<f64>,
    /// Eigenvalues of `K` clamped at zero (a sign of a singular covariance).
    pub clamped_count: usize,
}

/// Calls `f(first_row, chunk)` for consecutive chunks of rows widened to f64 and centred by `mean`
/// (`chunk` is `rows × D`, column-major).
fn for_each_centred_chunk(
    features: &FeatureMatrix,
    mean: &[f64],
    mut f: impl FnMut(usize, MatRef<'_, f64>),
) {
    let (n, d) = (features.rows(), features.cols());
    let mut row_major = vec![0.0; CHUNK.min(n) * d];
    let mut centred = Mat::<f64>::zeros(CHUNK.min(n), d);
    let mut start = 0;
    while start < n {
        let end = (start + CHUNK).min(n);
        let rows = end - start;
        let buf = &mut row_major[..rows * d];
        features.write_rows_f64(start, end, buf);
        for j in 0..d {
            for i in 0..rows {
                centred[(i, j)] = buf[i * d + j] - mean[j];
            }
        }
        f(start, centred.as_ref().subrows(0, rows));
        start = end;
    }
}

fn symmetrise_from_lower(mut m: MatMut<'_, f64>) {
    let d = m.nrows();
    for j in 0..d {
        for i in 0..j {
            m[(i, j)] = m[(j, i)];
        }
    }
}

/// `p = exp(w)`, `W = Σ p`, `m = pᵀF / W`, `C = (F − m)ᵀ(p ⊙ (F − m)) / (W − 1)`.
pub fn weighted_stats(features: &FeatureMatrix, w: &[f64]) -> Result<WeightedStats, ResampleError> {
    let (n, d) = (features.rows(), features.cols());
    if w.len() != n {
        return Err(ResampleError::Invalid(format!(
            "{} weights for {n} feature rows",
            w.len()
        )));
    }
    let p: Vec<f64> = w.iter().map(|x| x.exp()).collect();
    let total: f64 = p.iter().sum();
    if !total.is_finite() || total <= 1.0 {
        return Err(ResampleError::Invalid(format!(
            "the weights sum to {total}; the covariance needs Σ exp(w) > 1 and finite"
        )));
    }
    let zero = vec![0.0; d];
    let mut mean = vec![0.0; d];
    for_each_centred_chunk(features, &zero, |start, x| {
        for (j, m) in mean.iter_mut().enumerate() {
            let acc: f64 = x
                .col(j)
                .iter()
                .enumerate()
                .map(|(i, v)| p[start + i] * v)
                .sum();
            *m += acc;
        }
    });
    mean.iter_mut().for_each(|m| *m /= total);
    let mut cov = Mat::<f64>::zeros(d, d);
    let mut scaled = Mat::<f64>::zeros(CHUNK.min(n), d);
    for_each_centred_chunk(features, &mean, |start, x| {
        let rows = x.nrows();
        let mut s = scaled.as_mut().subrows_mut(0, rows);
        for j in 0..d {
            for i in 0..rows {
                s[(i, j)] = p[start + i] * x[(i, j)];
            }
        }
        // Lower triangle of Xᵀ (p ⊙ X): half the flops of a full product.
        triangular::matmul(
            cov.as_mut(),
            BlockStructure::TriangularLower,
            Accum::Add,
            x.transpose(),
            BlockStructure::Rectangular,
            s.as_ref(),
            BlockStructure::Rectangular,
            1.0,
            Par::rayon(0),
        );
    });
    let inv = 1.0 / (total - 1.0);
    for j in 0..d {
        for i in j..d {
            cov[(i, j)] *= inv;
        }
    }
    symmetrise_from_lower(cov.as_mut());
    Ok(WeightedStats {
        p,
        total,
        mean,
        cov,
    })
}

/// The resampling loss `FD(reference, weighted stats of features at w)` and its exact gradient.
pub fn loss_and_grad(
    reference: &FrechetReference,
    features: &FeatureMatrix,
    w: &[f64],
) -> Result<LossAndGrad, ResampleError> {
    let d = features.cols();
    if reference.dim() != d {
        return Err(ResampleError::Invalid(format!(
            "real features have D = {}, generated features D = {d}",
            reference.dim()
        )));
    }
    let stats = weighted_stats(features, w)?;
    let fd = reference.distance_and_grad(&stats.mean, stats.cov.as_ref())?;
    let g_dot_c: f64 = (0..d)
        .flat_map(|j| (0..d).map(move |i| (i, j)))
        .map(|(i, j)| fd.grad_cov[(i, j)] * stats.cov[(i, j)])
        .sum();
    let (total, p) = (stats.total, &stats.p);
    let mut grad = vec![0.0; features.rows()];
    let mut y = Mat::<f64>::zeros(CHUNK.min(features.rows()), d);
    for_each_centred_chunk(features, &stats.mean, |start, x| {
        let rows = x.nrows();
        matmul(
            y.as_mut().subrows_mut(0, rows),
            Accum::Replace,
            x,
            fd.grad_cov.as_ref(),
            1.0,
            Par::rayon(0),
        );
        for i in 0..rows {
            let (mut quad, mut lin) = (0.0, 0.0);
            for j in 0..d {
                let xij = x[(i, j)];
                quad += y[(i, j)] * xij;
                lin += fd.grad_mean[j] * xij;
            }
            grad[start + i] = p[start + i] * (lin / total + (quad - g_dot_c) / (total - 1.0));
        }
    });
    Ok(LossAndGrad {
        loss: fd.value,
        grad,
        clamped_count: fd.clamped_count,
    })
}

/// The same weighted statistics as Burn operations, for use inside an autodiff graph (e.g. with
/// [`fid_core::frechet_loss`]); `features` `[N, D]`, `w` `[N]` → (`m` `[D]`, `C` `[D, D]`).
///
/// This keeps `N × D` temporaries for backward, as the paper's code does; the resampling loop uses
/// [`loss_and_grad`] instead.
pub fn weighted_stats_graph(
    features: burn::tensor::Tensor<2>,
    w: burn::tensor::Tensor<1>,
) -> (burn::tensor::Tensor<1>, burn::tensor::Tensor<2>) {
    let [n, d] = features.dims();
    let p = w.exp().reshape([n, 1]);
    let total = p.clone().sum().reshape([1, 1]);
    let mean = (features.clone() * p.clone()).sum_dim(0) / total.clone();
    let centred = features - mean.clone();
    let cov = centred.clone().transpose().matmul(centred * p) / total.sub_scalar(1.0);
    (mean.reshape([d]), cov)
}
