//! `SynthesisBlock` (`training/networks.py` at `d72cc7d`): one resolution of the synthesis
//! network, in the `orig`, `skip` or `resnet` architecture.

use burn::module::{Module, Param};
use burn::tensor::Tensor;

use super::config::Architecture;
use super::conv2d_layer::Conv2dLayer;
use super::ops::{Fir, upsample2d};
use super::params::{ParamSource, Role};
use super::synthesis_layer::{LayerSettings, NoiseMode, SynthesisLayer};
use super::to_rgb::ToRgbLayer;
use super::weights::LoadError;

/// One synthesis block. Keys under `synthesis.b{res}`: `const` (first block), `conv0` (other
/// blocks), `conv1`, `torgb` (`skip`, or the last block), `skip` (`resnet`).
#[derive(Module, Debug)]
pub struct SynthesisBlock {
    /// `[channels, 4, 4]`, the learned input of the first block (checkpoint key `const`, a Rust
    /// keyword).
    pub const_: Option<Param<Tensor<3>>>,
    /// Up-sampling layer (absent in the first block).
    pub conv0: Option<SynthesisLayer>,
    /// Second layer.
    pub conv1: SynthesisLayer,
    /// ToRGB.
    pub torgb: Option<ToRgbLayer>,
    /// `resnet` skip convolution.
    pub skip: Option<Conv2dLayer>,
    /// Block resolution.
    pub resolution: usize,
    /// Image channels.
    pub img_channels: usize,
    /// Architecture.
    #[module(skip)]
    pub architecture: Architecture,
    /// Filter for up-sampling the image.
    #[module(skip)]
    pub filter: Fir,
}

/// What a block needs to know about its place in the network.
#[derive(Debug, Clone)]
pub struct BlockSpec {
    /// Input channels, 0 for the first block.
    pub in_channels: usize,
    /// Output channels.
    pub out_channels: usize,
    /// Resolution.
    pub resolution: usize,
    /// Image channels.
    pub img_channels: usize,
    /// Whether this is the last block.
    pub is_last: bool,
    /// Architecture.
    pub architecture: Architecture,
}

impl SynthesisBlock {
    /// Builds the block from `source` (keys under `synthesis.b{resolution}`).
    pub fn build(
        source: &mut impl ParamSource,
        spec: &BlockSpec,
        settings: &LayerSettings,
    ) -> Result<Self, LoadError> {
        let prefix = format!("synthesis.b{}", spec.resolution);
        let (cin, cout, res) = (spec.in_channels, spec.out_channels, spec.resolution);
        let const_ = if cin == 0 {
            Some(source.param(&format!("{prefix}.const"), &[cout, res, res], Role::Const)?)
        } else {
            None
        };
        let conv0 = if cin != 0 {
            Some(SynthesisLayer::build(
                source,
                &format!("{prefix}.conv0"),
                [cin, cout],
                res,
                2,
                settings,
            )?)
        } else {
            None
        };
        let conv1 = SynthesisLayer::build(
            source,
            &format!("{prefix}.conv1"),
            [cout, cout],
            res,
            1,
            settings,
        )?;
        let torgb = if spec.is_last || spec.architecture == Architecture::Skip {
            let dims = [cout, spec.img_channels];
            Some(ToRgbLayer::build(
                source,
                &format!("{prefix}.torgb"),
                dims,
                settings.w_dim,
                settings.conv_clamp,
            )?)
        } else {
            None
        };
        let skip = if cin != 0 && spec.architecture == Architecture::Resnet {
            Some(Conv2dLayer::build(
                source,
                &format!("{prefix}.skip"),
                [cin, cout],
                1,
                2,
                &settings.filter,
            )?)
        } else {
            None
        };
        Ok(Self {
            const_,
            conv0,
            conv1,
            torgb,
            skip,
            resolution: res,
            img_channels: spec.img_channels,
            architecture: spec.architecture,
            filter: settings.filter.clone(),
        })
    }

    /// Number of ws this block reads: one per layer plus one for ToRGB.
    pub fn num_ws(&self) -> usize {
        self.num_conv() + usize::from(self.torgb.is_some())
    }

    /// Number of convolution layers (1 or 2).
    pub fn num_conv(&self) -> usize {
        1 + usize::from(self.conv0.is_some())
    }

    /// x `[batch, in, res/2, res/2]` (`None` for the first block), img `[batch, img_channels,
    /// res/2, res/2]` or `None`, ws `[batch, num_ws, w_dim]` → (x `[batch, out, res, res]`,
    /// img `[batch, img_channels, res, res]` or `None` before the first ToRGB).
    pub fn forward(
        &self,
        x: Option<Tensor<4>>,
        img: Option<Tensor<4>>,
        ws: Tensor<3>,
        noise_mode: NoiseMode,
    ) -> (Tensor<4>, Option<Tensor<4>>) {
        let [batch, num_ws, w_dim] = ws.dims();
        let mut w_iter = (0..num_ws).map(|i| ws.clone().narrow(1, i, 1).reshape([batch, w_dim]));
        let mut next_w = || w_iter.next().expect("ws has num_ws entries");
        let x = match (&self.const_, x) {
            (Some(c), _) => {
                let [ch, h, w] = c.dims();
                c.val().reshape([1, ch, h, w]).repeat_dim(0, batch)
            }
            (None, Some(x)) => x,
            (None, None) => panic!("block b{} needs an input", self.resolution),
        };
        let half = std::f64::consts::FRAC_1_SQRT_2;
        let x = match (&self.conv0, &self.skip) {
            (None, _) => self.conv1.forward(x, next_w(), noise_mode, 1.0),
            (Some(conv0), Some(skip)) => {
                let y = skip.forward(x.clone(), half);
                let x = conv0.forward(x, next_w(), noise_mode, 1.0);
                y + self.conv1.forward(x, next_w(), noise_mode, half)
            }
            (Some(conv0), None) => {
                let x = conv0.forward(x, next_w(), noise_mode, 1.0);
                self.conv1.forward(x, next_w(), noise_mode, 1.0)
            }
        };
        let img = img.map(|img| upsample2d(img, &self.filter));
        let img = match &self.torgb {
            Some(torgb) => {
                let y = torgb.forward(x.clone(), next_w());
                Some(match img {
                    Some(img) => img + y,
                    None => y,
                })
            }
            None => img,
        };
        (x, img)
    }
}
