//! The Fréchet distance as the [`StatisticsObjective`] of the heatmaps.
//!
//! Value and gradient come from [`fid_core::FrechetReference`] in `f64` with the symmetric route
//! (`S = Σ_r^½` once, then `K = S C S` per image: `FD = ‖μ − μ_r‖² + tr Σ_r + tr C − 2 Σ √λ(K)`,
//! `∂FD/∂μ = 2(μ − μ_r)`, `∂FD/∂C = I − S K^{-½} S`). The paper differentiates
//! `Σ √(λ(C Σ_r) + 10⁻¹²)` from a general eigendecomposition instead; both agree in exact
//! arithmetic (see `tests/heatmap_parity.rs` for the measured difference).

use faer::MatRef;
use fid_core::{FrechetReference, Gaussian};

use crate::error::HeatmapError;
use crate::sensitivity::{ObjectiveGradient, StatisticsObjective};

/// Fréchet distance to fixed real statistics.
#[derive(Debug, Clone)]
pub struct FrechetObjective {
    reference: FrechetReference,
}

impl FrechetObjective {
    /// Prepares the real statistics (one symmetric eigendecomposition, `O(D³)`).
    pub fn new(real: &Gaussian) -> Result<Self, HeatmapError> {
        Ok(Self {
            reference: FrechetReference::new(real.mean.clone(), real.cov.as_ref())?,
        })
    }
}

impl StatisticsObjective for FrechetObjective {
    fn dim(&self) -> usize {
        self.reference.dim()
    }

    fn value_and_gradient(
        &self,
        mean: &[f64],
        cov: &[f64],
    ) -> Result<ObjectiveGradient, HeatmapError> {
        let d = self.dim();
        if cov.len() != d * d || mean.len() != d {
            return Err(HeatmapError::Statistics(format!(
                "statistics of dimension {} / {} values against real statistics of dimension {d}",
                mean.len(),
                cov.len()
            )));
        }
        let cov = MatRef::from_row_major_slice(cov, d, d);
        let g = self.reference.distance_and_grad(mean, cov)?;
        let grad_cov = (0..d * d).map(|k| g.grad_cov[(k / d, k % d)]).collect();
        Ok(ObjectiveGradient {
            value: g.value,
            mean: g.grad_mean,
            cov: grad_cov,
        })
    }
}
