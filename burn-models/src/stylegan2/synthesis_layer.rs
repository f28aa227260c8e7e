//! `SynthesisLayer` (`training/networks.py` at `d72cc7d`): style affine, modulated 3×3
//! convolution with demodulation (optionally up-sampling by 2), noise, bias, activation, clamp.

use std::str::FromStr;

use burn::module::{Module, Param};
use burn::tensor::{Distribution, Tensor};

use super::fully_connected::FullyConnectedLayer;
use super::ops::{Activation, Fir, bias_act, modulated_conv2d};
use super::params::{ParamSource, Role};
use super::weights::LoadError;

/// Where the per-pixel noise of the synthesis layers comes from (`noise_mode`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum NoiseMode {
    /// The stored `noise_const` images × `noise_strength`: deterministic (the FID paper's choice).
    #[default]
    Const,
    /// Fresh Gaussian noise per image and layer from the backend's generator (not reproducible
    /// against PyTorch's `torch.randn`).
    Random,
    /// No noise.
    None,
}

impl FromStr for NoiseMode {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "const" => Ok(Self::Const),
            "random" => Ok(Self::Random),
            "none" => Ok(Self::None),
            _ => Err(format!("unknown noise mode `{s}` (const, random, none)")),
        }
    }
}

/// Settings shared by the synthesis layers of one network.
#[derive(Debug, Clone)]
pub struct LayerSettings {
    /// `w_dim`.
    pub w_dim: usize,
    /// Kernel size.
    pub kernel_size: usize,
    /// Whether the layer has noise inputs.
    pub use_noise: bool,
    /// Activation.
    pub activation: Activation,
    /// `conv_clamp`.
    pub conv_clamp: Option<f64>,
    /// Prepared resampling filter.
    pub filter: Fir,
}

/// One synthesis layer. Keys under `<prefix>`: `affine.{weight,bias}`, `weight`
/// `[out, in, k, k]`, `bias` `[out]`, and with noise `noise_const` `[res, res]`, `noise_strength` `[]`.
#[derive(Module, Debug)]
pub struct SynthesisLayer {
    /// Style affine `w_dim → in_channels` (bias initialised to 1).
    pub affine: FullyConnectedLayer,
    /// `[out_channels, in_channels, k, k]`.
    pub weight: Param<Tensor<4>>,
    /// `[resolution, resolution]`.
    pub noise_const: Option<Param<Tensor<2>>>,
    /// `[1]` (a scalar in the checkpoint).
    pub noise_strength: Option<Param<Tensor<1>>>,
    /// `[out_channels]`.
    pub bias: Param<Tensor<1>>,
    /// Output resolution.
    pub resolution: usize,
    /// Up-sampling factor (1 or 2).
    pub up: usize,
    /// `conv_clamp` (times the block gain, applied in `forward`).
    pub conv_clamp: Option<f64>,
    /// Activation.
    #[module(skip)]
    pub activation: Activation,
    /// Resampling filter.
    #[module(skip)]
    pub filter: Fir,
}

impl SynthesisLayer {
    /// Builds the layer `in_channels → out_channels` at `resolution` from `source`.
    pub fn build(
        source: &mut impl ParamSource,
        prefix: &str,
        [in_channels, out_channels]: [usize; 2],
        resolution: usize,
        up: usize,
        settings: &LayerSettings,
    ) -> Result<Self, LoadError> {
        let affine = FullyConnectedLayer::build(
            source,
            &format!("{prefix}.affine"),
            [settings.w_dim, in_channels],
            Activation::Linear,
            1.0,
            1.0,
        )?;
        let k = settings.kernel_size;
        let weight = source.param(
            &format!("{prefix}.weight"),
            &[out_channels, in_channels, k, k],
            Role::Weight { lr_multiplier: 1.0 },
        )?;
        let (noise_const, noise_strength) = if settings.use_noise {
            let c = source.param(
                &format!("{prefix}.noise_const"),
                &[resolution, resolution],
                Role::NoiseConst,
            )?;
            let s = source.param(
                &format!("{prefix}.noise_strength"),
                &[],
                Role::NoiseStrength,
            )?;
            (Some(c), Some(s))
        } else {
            (None, None)
        };
        let bias = source.param(
            &format!("{prefix}.bias"),
            &[out_channels],
            Role::Bias {
                init: 0.0,
                lr_multiplier: 1.0,
            },
        )?;
        Ok(Self {
            affine,
            weight,
            noise_const,
            noise_strength,
            bias,
            resolution,
            up,
            conv_clamp: settings.conv_clamp,
            activation: settings.activation,
            filter: settings.filter.clone(),
        })
    }

    /// x `[batch, in, res/up, res/up]`, w `[batch, w_dim]` → `[batch, out, res, res]`.
    /// `gain` scales the activation gain and the clamp (the `resnet` architecture uses √½).
    pub fn forward(
        &self,
        x: Tensor<4>,
        w: Tensor<2>,
        noise_mode: NoiseMode,
        gain: f64,
    ) -> Tensor<4> {
        let styles = self.affine.forward(w);
        let batch = x.dims()[0];
        let res = self.resolution;
        let noise = match (&self.noise_const, &self.noise_strength, noise_mode) {
            (Some(c), Some(s), NoiseMode::Const) => {
                Some((c.val() * s.val().reshape([1, 1])).reshape([1, 1, res, res]))
            }
            (Some(_), Some(s), NoiseMode::Random) => {
                let n = Tensor::<4>::random(
                    [batch, 1, res, res],
                    Distribution::Normal(0.0, 1.0),
                    &x.device(),
                );
                Some(n * s.val().reshape([1, 1, 1, 1]))
            }
            _ => None,
        };
        let [.., k] = self.weight.dims();
        let x = modulated_conv2d(
            x,
            self.weight.val(),
            styles,
            noise,
            self.up,
            k / 2,
            &self.filter,
            true,
            self.up == 1,
        );
        let act_gain = self.activation.default_gain() * gain;
        let clamp = self.conv_clamp.map(|c| c * gain);
        bias_act(x, Some(self.bias.val()), self.activation, act_gain, clamp)
    }
}
