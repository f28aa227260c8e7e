//! `ToRGBLayer` (`training/networks.py` at `d72cc7d`): a modulated 1×1 convolution without
//! demodulation, then bias and clamp.

use burn::module::{Module, Param};
use burn::tensor::Tensor;

use super::fully_connected::FullyConnectedLayer;
use super::ops::{Activation, Fir, bias_act, modulated_conv2d};
use super::params::{ParamSource, Role};
use super::weights::LoadError;

/// ToRGB. Keys under `<prefix>`: `affine.{weight,bias}`, `weight` `[img_channels, in, 1, 1]`,
/// `bias` `[img_channels]`.
#[derive(Module, Debug)]
pub struct ToRgbLayer {
    /// Style affine `w_dim → in_channels` (bias initialised to 1).
    pub affine: FullyConnectedLayer,
    /// `[img_channels, in_channels, 1, 1]`.
    pub weight: Param<Tensor<4>>,
    /// `[img_channels]`.
    pub bias: Param<Tensor<1>>,
    /// `1 / √in_channels`, applied to the styles.
    pub weight_gain: f64,
    /// `conv_clamp`.
    pub conv_clamp: Option<f64>,
}

impl ToRgbLayer {
    /// Builds ToRGB `in_channels → img_channels` from `source`.
    pub fn build(
        source: &mut impl ParamSource,
        prefix: &str,
        [in_channels, img_channels]: [usize; 2],
        w_dim: usize,
        conv_clamp: Option<f64>,
    ) -> Result<Self, LoadError> {
        let affine = FullyConnectedLayer::build(
            source,
            &format!("{prefix}.affine"),
            [w_dim, in_channels],
            Activation::Linear,
            1.0,
            1.0,
        )?;
        let weight = source.param(
            &format!("{prefix}.weight"),
            &[img_channels, in_channels, 1, 1],
            Role::Weight { lr_multiplier: 1.0 },
        )?;
        let bias = source.param(
            &format!("{prefix}.bias"),
            &[img_channels],
            Role::Bias {
                init: 0.0,
                lr_multiplier: 1.0,
            },
        )?;
        Ok(Self {
            affine,
            weight,
            bias,
            weight_gain: 1.0 / (in_channels as f64).sqrt(),
            conv_clamp,
        })
    }

    /// x `[batch, in, h, w]`, w `[batch, w_dim]` → `[batch, img_channels, h, w]`.
    pub fn forward(&self, x: Tensor<4>, w: Tensor<2>) -> Tensor<4> {
        let styles = self.affine.forward(w).mul_scalar(self.weight_gain as f32);
        // The filter is unused without up-sampling.
        let identity = Fir {
            values: vec![1.0],
            taps: 1,
        };
        let x = modulated_conv2d(
            x,
            self.weight.val(),
            styles,
            None,
            1,
            0,
            &identity,
            false,
            true,
        );
        bias_act(
            x,
            Some(self.bias.val()),
            Activation::Linear,
            1.0,
            self.conv_clamp,
        )
    }
}
