//! The sensitivity map of one image: how the Fréchet distance reacts to each 8×8 cell of the
//! last Inception block when the image joins the generated set.
//!
//! Paper: `compute_sensitivity_heatmap` in `fid_heatmaps/heatmap_utils.py`
//! (kynkaat/role-of-imagenet-classes-in-fid@2d25375), steps 7.2–7.5 of SEED-SPEC §4:
//!
//! 1. `A = mixed_10(image)` (`[1, 2048, 8, 8]`), `f = head(A)` (pool3, `[1, 2048]`);
//! 2. the image becomes the `N`-th generated sample (exact online update of `N − 1` statistics):
//!    `μ = ((N−1)/N) μ_g + f/N`, `C = ((N−2)/(N−1)) C_g + (f − μ_g)ᵀ(f − μ_g)/N`;
//! 3. `L = FD(μ_r, Σ_r; μ, C)` in `f64`, `G = ∂L/∂A` by reverse-mode autodiff through the head;
//! 4. `M = Σ_c mean_{h,w}(G_c²) A_c` ([`crate::cam`]).
//!
//! The Fréchet distance has no eigen-decomposition in Burn, so its value and its gradient with
//! respect to `(μ, C)` come from an [`StatisticsObjective`] evaluated on the host; they are fed
//! back into the graph through the surrogate `s = ⟨∂L/∂μ, μ⟩ + ⟨∂L/∂C, C⟩`, whose gradient with
//! respect to everything upstream of `(μ, C)` is exactly `∂L/∂·` (chain rule). Everything
//! between the activation and `(μ, C)` — the network head and the online update — is
//! differentiated by Burn.

use burn::tensor::{DType, Device, FloatDType, Tensor, TensorData};

use crate::cam::channel_weighted_map;
use crate::error::HeatmapError;

/// A feature network split at the layer whose activation is visualised.
///
/// For the FID Inception this is `mixed_10` (`[B, 2048, 8, 8]`) and a head made of the 8×8 average
/// pool (pool3, `[B, 2048]`) and the 2048 → 1008 classifier.
pub trait SplitNetwork {
    /// `[B, 3, H, W]` RGB values in `[0, 255]` (`f32`) → activation `[B, C, h, w]`.
    fn activation(&self, images: Tensor<4>) -> Tensor<4>;

    /// Activation `[B, C, h, w]` → (features `[B, D]`, logits `[B, K]`).
    ///
    /// Must be built from differentiable tensor operations: the activation it receives is tracked
    /// by autodiff and the map needs `∂features/∂activation`.
    fn head(&self, activation: Tensor<4>) -> (Tensor<2>, Tensor<2>);
}

/// A distance between fixed real statistics and generated statistics `(μ, C)`, with its gradient.
pub trait StatisticsObjective {
    /// Feature dimension `D`.
    fn dim(&self) -> usize;

    /// Value and gradient at `mean` (`[D]`) and `cov` (`[D, D]`, row-major).
    fn value_and_gradient(
        &self,
        mean: &[f64],
        cov: &[f64],
    ) -> Result<ObjectiveGradient, HeatmapError>;
}

/// Value of a [`StatisticsObjective`] and its gradient.
#[derive(Debug, Clone, PartialEq)]
pub struct ObjectiveGradient {
    /// The distance.
    pub value: f64,
    /// `∂L/∂μ`, `[D]`.
    pub mean: Vec<f64>,
    /// `∂L/∂C`, `[D, D]` row-major (the entry-wise derivative, not symmetrised twice).
    pub cov: Vec<f64>,
}

/// Statistics of the `N − 1` generated samples the visualised image joins, kept on the device in
/// `f64`.
#[derive(Debug, Clone)]
pub struct GeneratedStatistics {
    count: u64,
    mean: Tensor<1>,
    cov: Tensor<2>,
}

impl GeneratedStatistics {
    /// Statistics of `count` samples (`count ≥ 2`): mean `[D]`, covariance `[D, D]` row-major
    /// (normalised by `count − 1`, as `np.cov`).
    pub fn new(
        count: u64,
        mean: &[f64],
        cov: &[f64],
        device: &Device,
    ) -> Result<Self, HeatmapError> {
        let d = mean.len();
        if count < 2 {
            return Err(HeatmapError::Statistics(format!(
                "the generated statistics come from {count} sample(s); at least 2 are needed"
            )));
        }
        if cov.len() != d * d {
            return Err(HeatmapError::Statistics(format!(
                "covariance has {} values, expected {d} × {d}",
                cov.len()
            )));
        }
        if mean.iter().chain(cov).any(|v| !v.is_finite()) {
            return Err(HeatmapError::Statistics(
                "the generated statistics contain NaN or infinity".into(),
            ));
        }
        let device = device.clone().without_autodiff();
        let f64_on = (&device, DType::F64);
        Ok(Self {
            count,
            mean: Tensor::from_data(TensorData::new(mean.to_vec(), [d]), f64_on),
            cov: Tensor::from_data(TensorData::new(cov.to_vec(), [d, d]), f64_on),
        })
    }

    /// Number of samples `N − 1`.
    pub fn count(&self) -> u64 {
        self.count
    }

    /// Feature dimension `D`.
    pub fn dim(&self) -> usize {
        self.mean.dims()[0]
    }

    /// Mean and covariance after adding one sample `feature` (`[1, D]`, `f64`, may be tracked):
    /// `([1, D], [D, D])`, the exact online update of SEED-SPEC §4 step 7.3.
    pub fn with_sample(&self, feature: Tensor<2>) -> (Tensor<2>, Tensor<2>) {
        let n = (self.count + 1) as f64;
        let prev = self.mean.clone().unsqueeze_dim::<2>(0);
        let mean = prev.clone() * ((n - 1.0) / n) + feature.clone() / n;
        let centred = feature - prev;
        let outer = centred.clone().transpose().matmul(centred);
        let cov = self.cov.clone() * ((n - 2.0) / (n - 1.0)) + outer / n;
        (mean, cov)
    }
}

/// The raw sensitivity map of one image and what was computed on the way.
#[derive(Debug, Clone, PartialEq)]
pub struct Sensitivity {
    /// Map width `w` (8 for Inception).
    pub width: u32,
    /// Map height `h` (8 for Inception).
    pub height: u32,
    /// `[h, w]` row-major, `M = Σ_c α_c A_c` before any normalisation.
    pub map: Vec<f32>,
    /// The objective (the Fréchet distance) with the image included as the `N`-th sample.
    pub distance: f64,
    /// The image's features `[D]`.
    pub features: Vec<f32>,
    /// The image's classifier logits `[K]`.
    pub logits: Vec<f32>,
}

/// Computes the sensitivity map of one image (`[1, 3, H, W]`, RGB in `[0, 255]`).
///
/// The network runs without autodiff up to the activation; only the head, the online update
/// and the surrogate are recorded.
pub fn sensitivity<N, O>(
    network: &N,
    objective: &O,
    generated: &GeneratedStatistics,
    image: Tensor<4>,
) -> Result<Sensitivity, HeatmapError>
where
    N: SplitNetwork + ?Sized,
    O: StatisticsObjective + ?Sized,
{
    let [batch, ..] = image.dims();
    if batch != 1 {
        return Err(HeatmapError::Statistics(format!(
            "one image at a time: got a batch of {batch}"
        )));
    }
    let d = generated.dim();
    if objective.dim() != d {
        return Err(HeatmapError::Statistics(format!(
            "real statistics have dimension {}, generated statistics {d}",
            objective.dim()
        )));
    }
    let activation = network
        .activation(image.without_autodiff())
        .without_autodiff();
    let [_, _, h, w] = activation.dims();
    let tracked = activation.clone().autodiff().require_grad();
    let (features, logits) = network.head(tracked.clone());
    if features.dims() != [1, d] {
        return Err(HeatmapError::Statistics(format!(
            "the network gives features of shape {:?}, the statistics have dimension {d}",
            features.dims()
        )));
    }
    let (mean, cov) = generated.with_sample(features.clone().cast(FloatDType::F64));
    let mean_host = to_vec_f64(mean.clone().without_autodiff())?;
    let cov_host = to_vec_f64(cov.clone().without_autodiff())?;
    let grad = objective.value_and_gradient(&mean_host, &cov_host)?;
    if !grad.value.is_finite() || grad.mean.iter().chain(&grad.cov).any(|v| !v.is_finite()) {
        return Err(HeatmapError::NonFiniteGradient);
    }
    let device = mean.device().without_autodiff();
    let f64_on = (&device, DType::F64);
    let g_mean: Tensor<2> = Tensor::from_data(TensorData::new(grad.mean, [1, d]), f64_on);
    let g_cov: Tensor<2> = Tensor::from_data(TensorData::new(grad.cov, [d, d]), f64_on);
    let surrogate = (mean * g_mean).sum() + (cov * g_cov).sum();
    let grads = surrogate.backward();
    let gradient = tracked
        .grad(&grads)
        .ok_or(HeatmapError::NoGradient)?
        .without_autodiff();
    let map = channel_weighted_map(activation, gradient);
    Ok(Sensitivity {
        width: w as u32,
        height: h as u32,
        map: to_vec_f32(map)?,
        distance: grad.value,
        features: to_vec_f32(features.without_autodiff())?,
        logits: to_vec_f32(logits.without_autodiff())?,
    })
}

fn to_vec_f64<const D: usize>(t: Tensor<D>) -> Result<Vec<f64>, HeatmapError> {
    t.into_data()
        .convert::<f64>()
        .try_into_vec::<f64>()
        .map_err(|e| HeatmapError::Tensor(format!("{e:?}")))
}

fn to_vec_f32<const D: usize>(t: Tensor<D>) -> Result<Vec<f32>, HeatmapError> {
    t.into_data()
        .convert::<f32>()
        .try_into_vec::<f32>()
        .map_err(|e| HeatmapError::Tensor(format!("{e:?}")))
}

/// Softmax of logits in `f64`, returned as `f32` (the paper saves `float32 [1008]`).
pub fn softmax(logits: &[f32]) -> Vec<f32> {
    let max = logits.iter().fold(f32::NEG_INFINITY, |m, &v| m.max(v));
    let exp: Vec<f64> = logits.iter().map(|&v| f64::from(v - max).exp()).collect();
    let total: f64 = exp.iter().sum();
    exp.iter().map(|&e| (e / total) as f32).collect()
}

/// Indices of the `k` largest values, largest first (ties: lower index first).
pub fn top_k(values: &[f32], k: usize) -> Vec<usize> {
    let mut idx: Vec<usize> = (0..values.len()).collect();
    idx.sort_by(|&a, &b| values[b].total_cmp(&values[a]).then(a.cmp(&b)));
    idx.truncate(k);
    idx
}
