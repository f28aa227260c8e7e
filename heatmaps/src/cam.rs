//! The paper's Grad-CAM variant: channel weights from **squared** gradients, no ReLU.
//!
//! Paper: `compute_sensivity_map` in `fid_heatmaps/heatmap_utils.py`
//! (kynkaat/role-of-imagenet-classes-in-fid@2d25375):
//! `α_c = mean_{h,w} (∂L/∂A_c)²`, `M = Σ_c α_c A_c`. With `A` taken after a ReLU the map is
//! non-negative.

use burn::tensor::Tensor;

/// `[B, C, h, w]` activation and `[B, C, h, w]` gradient → `[B, h, w]` map
/// `M_b = Σ_c mean_{h,w}(G_{b,c}²) · A_{b,c}`.
pub fn channel_weighted_map(activation: Tensor<4>, gradient: Tensor<4>) -> Tensor<3> {
    let alpha = gradient.square().mean_dims(&[2, 3]);
    (alpha * activation).sum_dim(1).squeeze_dim(1)
}
