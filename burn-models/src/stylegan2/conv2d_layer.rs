//! `Conv2dLayer` (`training/networks.py` at `d72cc7d`), as used by the `resnet` synthesis
//! architecture: the bias-free 1×1 skip convolution with up-sampling by 2.

use burn::module::{Module, Param};
use burn::tensor::Tensor;

use super::ops::{Activation, Fir, bias_act, conv2d_resample};
use super::params::{ParamSource, Role};
use super::weights::LoadError;

/// The `resnet` skip path of a synthesis block. Key: `<prefix>.weight` `[out, in, 1, 1]`.
#[derive(Module, Debug)]
pub struct Conv2dLayer {
    /// `[out_channels, in_channels, k, k]`.
    pub weight: Param<Tensor<4>>,
    /// `1 / √(in · k²)`.
    pub weight_gain: f64,
    /// Up-sampling factor.
    pub up: usize,
    /// Resampling filter.
    #[module(skip)]
    pub filter: Fir,
}

impl Conv2dLayer {
    /// Builds the bias-free linear `k×k` convolution `in → out` with up-sampling `up`.
    pub fn build(
        source: &mut impl ParamSource,
        prefix: &str,
        [in_channels, out_channels]: [usize; 2],
        kernel_size: usize,
        up: usize,
        filter: &Fir,
    ) -> Result<Self, LoadError> {
        let k = kernel_size;
        let weight = source.param(
            &format!("{prefix}.weight"),
            &[out_channels, in_channels, k, k],
            Role::Weight { lr_multiplier: 1.0 },
        )?;
        Ok(Self {
            weight,
            weight_gain: 1.0 / ((in_channels * k * k) as f64).sqrt(),
            up,
            filter: filter.clone(),
        })
    }

    /// `[batch, in, h, w] → [batch, out, h·up, w·up]`, times `gain`.
    pub fn forward(&self, x: Tensor<4>, gain: f64) -> Tensor<4> {
        let w = self.weight.val().mul_scalar(self.weight_gain as f32);
        let [.., k] = w.dims();
        let x = conv2d_resample(x, w, &self.filter, self.up, k / 2, self.up == 1);
        bias_act(x, None, Activation::Linear, gain, None)
    }
}
