//! `SynthesisNetwork` (`training/networks.py` at `d72cc7d`): ws → image through blocks at
//! resolutions 4, 8, …, `img_resolution`.

use burn::module::Module;
use burn::tensor::Tensor;

use super::block::{BlockSpec, SynthesisBlock};
use super::config::GeneratorConfig;
use super::ops::Fir;
use super::params::ParamSource;
use super::synthesis_layer::{LayerSettings, NoiseMode};
use super::weights::LoadError;

/// The synthesis network. `blocks[i]` is checkpoint `synthesis.b{4·2^i}`.
#[derive(Module, Debug)]
pub struct SynthesisNetwork {
    /// Blocks from 4×4 up to the output resolution.
    pub blocks: Vec<SynthesisBlock>,
    /// w dimensionality.
    pub w_dim: usize,
}

impl SynthesisNetwork {
    /// Builds the synthesis network of `config` from `source`.
    pub fn build(
        config: &GeneratorConfig,
        source: &mut impl ParamSource,
    ) -> Result<Self, LoadError> {
        let s = &config.synthesis;
        let settings = LayerSettings {
            w_dim: config.w_dim,
            kernel_size: s.kernel_size,
            use_noise: s.use_noise,
            activation: s.activation,
            conv_clamp: s.conv_clamp,
            filter: Fir::new(&s.resample_filter),
        };
        let blocks = config
            .block_resolutions()
            .map(|res| {
                let spec = BlockSpec {
                    in_channels: if res > 4 { config.channels(res / 2) } else { 0 },
                    out_channels: config.channels(res),
                    resolution: res,
                    img_channels: config.img_channels,
                    is_last: res == config.img_resolution,
                    architecture: s.architecture,
                };
                SynthesisBlock::build(source, &spec, &settings)
            })
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Self {
            blocks,
            w_dim: config.w_dim,
        })
    }

    /// Number of ws the network reads.
    pub fn num_ws(&self) -> usize {
        let convs: usize = self.blocks.iter().map(SynthesisBlock::num_conv).sum();
        convs + self.blocks.last().map_or(0, |b| b.num_ws() - b.num_conv())
    }

    /// ws `[batch, num_ws, w_dim]` → image `[batch, img_channels, res, res]`, roughly in [−1, 1].
    ///
    /// Block `i` reads ws `[k, k + num_conv + num_torgb)` where `k` counts the convolutions of
    /// the blocks before it, so each ToRGB shares its w with the next block's first layer.
    pub fn forward(&self, ws: Tensor<3>, noise_mode: NoiseMode) -> Tensor<4> {
        let mut w_idx = 0;
        let (mut x, mut img) = (None, None);
        for block in &self.blocks {
            let block_ws = ws.clone().narrow(1, w_idx, block.num_ws());
            w_idx += block.num_conv();
            let (next_x, next_img) = block.forward(x, img, block_ws, noise_mode);
            x = Some(next_x);
            img = next_img;
        }
        img.expect("the last block has a ToRGB layer")
    }
}
