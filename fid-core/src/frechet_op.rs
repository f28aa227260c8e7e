//! The Fréchet distance as a differentiable Burn operation with an exact gradient.
//!
//! Burn has no eigendecomposition and no autodiff through one, so the distance to a fixed
//! reference `N(μ_r, Σ_r)` enters a Burn graph as a *surrogate*: the mean `μ` `[D]` and covariance
//! `C` `[D, D]` are read back to the host, [`FrechetReference::distance_and_grad`] computes the exact
//! value and the closed-form gradients `g = ∂FD/∂μ = 2(μ − μ_r)` and `G = ∂FD/∂C = I − S K^{-½} S`
//! (`S = Σ_r^½` computed once, `K = S C S`, one symmetric eigendecomposition per call, f64, faer),
//! and the loss is
//!
//! ```text
//! s    = Σ G ⊙ C + Σ g ⊙ μ          (G and g constants)
//! loss = FD + (s − s.detach())       (value FD, gradient G and g)
//! ```
//!
//! so `loss.backward()` carries the exact gradient into whatever produced `μ` and `C` (per-image
//! weights, network activations). This replaces the paper's `wasserstein2_loss`
//! (`resample_utils.py`), which backpropagates through `torch.eig(cov_gen @ cov_reals)`; both give the
//! same value and gradient up to that code's `+1e-12` inside the square root.
//!
//! The operation runs in the dtype of `mean` (use f64: the trace term cancels to a few digits).

use burn::tensor::{DType, Tensor, TensorData};

use crate::error::FidError;
use crate::frechet::FrechetReference;

/// A Fréchet-distance loss tensor and what was computed on the host.
#[derive(Debug, Clone)]
pub struct FrechetLoss {
    /// `[1]`, value = the distance, gradient = the exact gradient (see the module docs).
    pub loss: Tensor<1>,
    /// The distance as f64.
    pub value: f64,
    /// Eigenvalues of `K = S C S` below zero, clamped to zero.
    pub clamped_count: usize,
}

fn host_f64<const D: usize>(t: &Tensor<D>) -> Result<Vec<f64>, FidError> {
    t.to_data()
        .convert::<f64>()
        .try_into_vec::<f64>()
        .map_err(|e| FidError::Shape(format!("cannot read tensor back: {e:?}")))
}

/// The Fréchet distance from `reference` to `N(mean, cov)` as a loss in the graph of `mean`, `cov`.
///
/// `mean`: `[D]`, `cov`: `[D, D]` (symmetric), same device and float dtype; returns a `[1]` tensor
/// on that device and dtype. Errors on shape mismatch, non-finite input or a failed
/// eigendecomposition.
pub fn frechet_loss(
    reference: &FrechetReference,
    mean: Tensor<1>,
    cov: Tensor<2>,
) -> Result<FrechetLoss, FidError> {
    let d = reference.dim();
    let [dm] = mean.dims();
    let [r, c] = cov.dims();
    if dm != d || r != d || c != d {
        return Err(FidError::Shape(format!(
            "reference has D = {d}, got a mean [{dm}] and a covariance [{r}, {c}]"
        )));
    }
    let device = mean.device();
    let dtype: DType = mean.dtype();
    let mean_host = host_f64(&mean)?;
    let cov_host = host_f64(&cov)?;
    let cov_mat = faer::MatRef::from_row_major_slice(&cov_host, d, d);
    let g = reference.distance_and_grad(&mean_host, cov_mat)?;
    let grad_cov: Vec<f64> = (0..d * d).map(|k| g.grad_cov[(k / d, k % d)]).collect();
    let opts = (&device, dtype);
    let gc = Tensor::<2>::from_data(TensorData::new(grad_cov, [d, d]), opts);
    let gm = Tensor::<1>::from_data(TensorData::new(g.grad_mean.clone(), [d]), opts);
    let value = Tensor::<1>::from_data(TensorData::new(vec![g.value], [1]), opts);
    let s = (cov * gc).sum() + (mean * gm).sum();
    let loss = value + s.clone() - s.detach();
    Ok(FrechetLoss {
        loss,
        value: g.value,
        clamped_count: g.clamped_count,
    })
}
