//! `Generator` (`training/networks.py` at `d72cc7d`): mapping + synthesis, and the conversion of
//! its output to 8-bit pixels used by StyleGAN2-ADA and the FID paper.

use burn::module::Module;
use burn::tensor::{Device, Tensor, TensorData};

use super::config::GeneratorConfig;
use super::mapping::MappingNetwork;
use super::params::{InitSource, ParamSource, SeededSource};
use super::synthesis::SynthesisNetwork;
use super::synthesis_layer::NoiseMode;
use super::weights::LoadError;

/// Sampling settings (`G(z, c, truncation_psi, truncation_cutoff, noise_mode)`).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SampleOptions {
    /// Truncation ψ; 1 disables truncation (the FID paper's setting).
    pub truncation_psi: f64,
    /// Truncate only the first `cutoff` ws (`None` = all).
    pub truncation_cutoff: Option<usize>,
    /// Noise inputs.
    pub noise_mode: NoiseMode,
}

impl Default for SampleOptions {
    /// ψ = 1, no cutoff, `const` noise: how the FID paper samples.
    fn default() -> Self {
        Self {
            truncation_psi: 1.0,
            truncation_cutoff: None,
            noise_mode: NoiseMode::Const,
        }
    }
}

/// A StyleGAN2(-ADA) generator. Parameters follow the NVlabs state dict (`mapping.*`,
/// `synthesis.b{res}.*`).
#[derive(Module, Debug)]
pub struct Generator {
    /// z (+ c) → ws.
    pub mapping: MappingNetwork,
    /// ws → image.
    pub synthesis: SynthesisNetwork,
    /// Latent dimensionality.
    pub z_dim: usize,
    /// Label dimensionality.
    pub c_dim: usize,
    /// Output resolution.
    pub img_resolution: usize,
    /// Output channels.
    pub img_channels: usize,
}

impl GeneratorConfig {
    /// A generator with NVlabs' initialisation (random weights, untrained).
    pub fn init(&self, device: &Device) -> Generator {
        Generator::build(self, &mut InitSource::new(device))
            .unwrap_or_else(|e| panic!("initialising a generator cannot fail: {e}"))
    }

    /// A generator with counter-based seeded weights, bit-identical to the ones
    /// `scripts/stylegan2_reference.py` gives the PyTorch reference (see [`super::params::Role`]).
    pub fn init_seeded(&self, seed: u64, device: &Device) -> Generator {
        Generator::build(self, &mut SeededSource::new(seed, device))
            .unwrap_or_else(|e| panic!("seeding a generator cannot fail: {e}"))
    }
}

impl Generator {
    /// Builds the generator of `config`, taking every tensor from `source`.
    pub fn build(
        config: &GeneratorConfig,
        source: &mut impl ParamSource,
    ) -> Result<Self, LoadError> {
        config.validate()?;
        let synthesis = SynthesisNetwork::build(config, source)?;
        let mapping = MappingNetwork::build(config, source)?;
        Ok(Self {
            mapping,
            synthesis,
            z_dim: config.z_dim,
            c_dim: config.c_dim,
            img_resolution: config.img_resolution,
            img_channels: config.img_channels,
        })
    }

    /// Number of ws the synthesis network takes.
    pub fn num_ws(&self) -> usize {
        self.synthesis.num_ws()
    }

    /// z `[batch, z_dim]`, c `[batch, c_dim]` (`None` for unconditional networks) →
    /// image `[batch, img_channels, res, res]` (float, roughly [−1, 1]).
    pub fn forward(
        &self,
        z: Tensor<2>,
        c: Option<Tensor<2>>,
        options: &SampleOptions,
    ) -> Tensor<4> {
        let ws = self
            .mapping
            .forward(z, c, options.truncation_psi, options.truncation_cutoff);
        self.synthesis.forward(ws, options.noise_mode)
    }

    /// Images for latents given as f64 rows (e.g. from [`crate::numpy_rng`]): z is cast to f32
    /// as the reference does (`z.to(torch.float32)`), labels are zeros when `c_dim > 0` (the FID
    /// paper's `torch.zeros([n, c_dim])`). `z`: `n · z_dim` values, row-major →
    /// `[n, img_channels, res, res]`.
    pub fn generate(&self, z: &[f64], options: &SampleOptions, device: &Device) -> Tensor<4> {
        assert_eq!(
            z.len() % self.z_dim.max(1),
            0,
            "latents are not a multiple of z_dim"
        );
        let n = z.len() / self.z_dim.max(1);
        let z32: Vec<f32> = z.iter().map(|&v| v as f32).collect();
        let z = Tensor::<2>::from_data(TensorData::new(z32, [n, self.z_dim]), device);
        let c = (self.c_dim > 0).then(|| Tensor::<2>::zeros([n, self.c_dim], device));
        self.forward(z, c, options)
    }
}

/// The 8-bit conversion of the seed and `generate.py`: `clamp(x · 127.5 + 128, 0, 255)` in f32,
/// then truncation toward zero (`.to(torch.uint8)`), not rounding.
///
/// `[batch, channels, h, w]` float → `[batch, channels, h, w]` u8 [`TensorData`].
pub fn to_uint8(img: Tensor<4>) -> TensorData {
    let shape = img.dims();
    let values: Vec<f32> = img
        .into_data()
        .try_into_vec_as::<f32>()
        .expect("generator output converts to f32");
    let bytes: Vec<u8> = values.iter().map(|&v| pixel(v)).collect();
    TensorData::new(bytes, shape)
}

/// One value of [`to_uint8`]. NaN maps to 0.
pub fn pixel(v: f32) -> u8 {
    // Two f32 roundings, as PyTorch computes `img * 127.5 + 128` (no fused multiply-add).
    let scaled = v * 127.5f32;
    (scaled + 128.0f32).clamp(0.0, 255.0) as u8
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pixel_truncates_after_offset_128() {
        assert_eq!(pixel(-1.0), 0);
        assert_eq!(pixel(1.0), 255);
        assert_eq!(pixel(0.0), 128);
        // 0.999 · 127.5 + 128 = 255.37… → clamped to 255.
        assert_eq!(pixel(0.999), 255);
        // -0.5 · 127.5 + 128 = 64.25 → 64 (truncation, not rounding).
        assert_eq!(pixel(-0.5), 64);
        assert_eq!(pixel(-0.997), 0);
        assert_eq!(pixel(f32::NAN), 0);
    }
}
