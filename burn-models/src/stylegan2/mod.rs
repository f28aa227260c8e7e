//! The StyleGAN2(-ADA) generator of NVlabs `stylegan2-ada-pytorch` (`training/networks.py` at
//! `d72cc7d`), as native Burn modules: the network behind the FID paper's generated images.
//!
//! * [`GeneratorConfig`] comes from a network's `init_kwargs` ([`GeneratorConfig::from_init_kwargs`])
//!   or a preset ([`GeneratorConfig::paper256`]).
//! * [`Generator::load`] reads `G.safetensors` + `G.json`; [`Generator::from_state_dict`] takes a
//!   state dict with NVlabs keys (`mapping.fc0.weight`, `synthesis.b4.const`,
//!   `synthesis.b8.conv0.affine.weight`, `…noise_const`) from any reader, e.g. a pickle reader.
//! * [`Generator::forward`] maps z (and c) to images in [−1, 1]; [`to_uint8`] converts them to
//!   pixels exactly as the seed does; [`ImageSource`] yields uint8 batches for latents drawn from
//!   numpy's `RandomState(seed).randn(N, z_dim)` stream, for computing FID statistics.
//!
//! # Precision
//! Everything runs in f32. The reference runs the `num_fp16_res` highest resolutions (4 for
//! `paper256`: 32² to 256²) in FP16 on CUDA (`SynthesisBlock.use_fp16`, with pre-normalised
//! weights and `conv_clamp` against overflow). An FP32 port computes the same function without
//! FP16 rounding, so its images differ from CUDA-made reference images by FP16-level amounts,
//! which flip a small fraction of the uint8 values by one after the truncating conversion. The
//! parity tests compare against the reference run in FP32 (`force_fp32=True`) on the CPU.
//!
//! # Modulated convolutions
//! The reference fuses modulation and demodulation into a grouped convolution per sample
//! (`fused_modconv=True` in FP32 inference); this port scales the activations instead
//! (`fused_modconv=False`, the reference's own FP16/training path), which is the same function
//! and runs the batch through one convolution.

mod block;
mod config;
mod conv2d_layer;
mod fully_connected;
mod generator;
mod mapping;
pub mod ops;
pub mod params;
mod source;
mod synthesis;
mod synthesis_layer;
mod to_rgb;
mod weights;

pub use block::{BlockSpec, SynthesisBlock};
pub use config::{Architecture, ConfigError, GeneratorConfig, MappingConfig, SynthesisConfig};
pub use conv2d_layer::Conv2dLayer;
pub use fully_connected::FullyConnectedLayer;
pub use generator::{Generator, SampleOptions, pixel, to_uint8};
pub use mapping::MappingNetwork;
pub use source::{ImageSource, LatentSource};
pub use synthesis::SynthesisNetwork;
pub use synthesis_layer::{LayerSettings, NoiseMode, SynthesisLayer};
pub use to_rgb::ToRgbLayer;
pub use weights::{LoadError, network_paths, read_safetensors};
