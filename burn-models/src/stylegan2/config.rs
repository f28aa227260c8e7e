//! The generator's configuration, read from a network's `init_kwargs`.
//!
//! NVlabs pickles record the keyword arguments of `Generator.__init__` as `G_ema.init_kwargs`
//! (`training/networks.py`, `Generator`, `MappingNetwork`, `SynthesisNetwork`, `SynthesisBlock`,
//! `SynthesisLayer` at `d72cc7d`). [`GeneratorConfig::from_init_kwargs`] takes that JSON object
//! unchanged, so a converted network is described by exactly what the pickle says.

use burn::config::Config;
use serde::Deserialize;

use super::ops::Activation;

/// A configuration that the generator cannot be built from.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The JSON is not a valid `init_kwargs` object (unknown key, wrong type, missing field).
    #[error("invalid StyleGAN2 init_kwargs: {0}")]
    Json(#[from] serde_json::Error),
    /// The values are inconsistent (e.g. a resolution that is not a power of two).
    #[error("invalid StyleGAN2 configuration: {0}")]
    Invalid(String),
}

/// How synthesis blocks turn features into an image (`SynthesisBlock.architecture`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Architecture {
    /// Only the last block has a ToRGB layer.
    Orig,
    /// Every block adds its ToRGB output to the up-sampled image of the previous blocks (StyleGAN2).
    Skip,
    /// `orig` plus a 1×1 up-sampling skip convolution around each block's two layers.
    Resnet,
}

/// The mapping network z (+ c) → w (`MappingNetwork.__init__`).
#[derive(Config, Debug, PartialEq)]
pub struct MappingConfig {
    /// Number of fully connected layers (`num_layers`; 8 in `paper256`, 2 in `cifar`).
    #[config(default = 8)]
    pub num_layers: usize,
    /// Label embedding width (`embed_features`; `None` = `w_dim`, ignored when `c_dim = 0`).
    #[config(default = "None")]
    pub embed_features: Option<usize>,
    /// Width of the hidden layers (`layer_features`; `None` = `w_dim`).
    #[config(default = "None")]
    pub layer_features: Option<usize>,
    /// Activation of every layer (`activation`).
    #[config(default = "Activation::Lrelu")]
    pub activation: Activation,
    /// Learning-rate multiplier, which scales the weight and bias gains (`lr_multiplier`).
    #[config(default = 0.01)]
    pub lr_multiplier: f64,
    /// Decay of the tracked mean of w (`w_avg_beta`); `None` means no `w_avg` buffer and no
    /// truncation. Only its presence matters at inference.
    #[config(default = "Some(0.995)")]
    pub w_avg_beta: Option<f64>,
}

/// The synthesis network w → image (`SynthesisNetwork` + `SynthesisBlock` + `SynthesisLayer`).
#[derive(Config, Debug, PartialEq)]
pub struct SynthesisConfig {
    /// Channels at resolution `r` are `min(channel_base / r, channel_max)` (`channel_base`).
    #[config(default = 32768)]
    pub channel_base: usize,
    /// Upper bound on the channel count (`channel_max`).
    #[config(default = 512)]
    pub channel_max: usize,
    /// Number of top resolutions the reference runs in FP16 on CUDA (`num_fp16_res`). Recorded
    /// only: this port computes every block in FP32 (see the module docs).
    #[config(default = 0)]
    pub num_fp16_res: usize,
    /// Clamp of convolution outputs to ±`conv_clamp` (`conv_clamp`; `paper256` uses 256).
    #[config(default = "None")]
    pub conv_clamp: Option<f64>,
    /// Block architecture (`architecture`).
    #[config(default = "Architecture::Skip")]
    pub architecture: Architecture,
    /// Up-sampling low-pass filter taps before normalisation (`resample_filter`).
    #[config(default = "vec![1.0, 3.0, 3.0, 1.0]")]
    pub resample_filter: Vec<f64>,
    /// Whether synthesis layers add noise (`use_noise`).
    #[config(default = true)]
    pub use_noise: bool,
    /// Activation of the synthesis layers (`activation`).
    #[config(default = "Activation::Lrelu")]
    pub activation: Activation,
    /// Kernel size of the synthesis convolutions (`kernel_size`, odd).
    #[config(default = 3)]
    pub kernel_size: usize,
}

/// The whole generator (`Generator.__init__`): build it with [`GeneratorConfig::init`],
/// [`GeneratorConfig::init_seeded`] or [`super::Generator::from_state_dict`].
#[derive(Config, Debug, PartialEq)]
pub struct GeneratorConfig {
    /// Latent (z) dimensionality (`z_dim`).
    pub z_dim: usize,
    /// Conditioning label dimensionality, 0 = unconditional (`c_dim`).
    pub c_dim: usize,
    /// Intermediate latent (w) dimensionality (`w_dim`).
    pub w_dim: usize,
    /// Output resolution, a power of two ≥ 4 (`img_resolution`).
    pub img_resolution: usize,
    /// Output colour channels (`img_channels`).
    pub img_channels: usize,
    /// Mapping network settings (`mapping_kwargs`).
    pub mapping: MappingConfig,
    /// Synthesis network settings (`synthesis_kwargs`).
    pub synthesis: SynthesisConfig,
}

/// `init_kwargs` as the pickles store them; every key NVlabs code accepts, nothing else.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawGenerator {
    z_dim: usize,
    c_dim: usize,
    w_dim: usize,
    img_resolution: usize,
    img_channels: usize,
    #[serde(default)]
    mapping_kwargs: RawMapping,
    #[serde(default)]
    synthesis_kwargs: RawSynthesis,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawMapping {
    num_layers: Option<usize>,
    embed_features: Option<usize>,
    layer_features: Option<usize>,
    activation: Option<Activation>,
    lr_multiplier: Option<f64>,
    // `null` is meaningful here (no w_avg), so keep "absent" and "null" apart.
    #[serde(default, deserialize_with = "present")]
    w_avg_beta: Option<Option<f64>>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawSynthesis {
    channel_base: Option<usize>,
    channel_max: Option<usize>,
    num_fp16_res: Option<usize>,
    conv_clamp: Option<f64>,
    architecture: Option<Architecture>,
    resample_filter: Option<Vec<f64>>,
    use_noise: Option<bool>,
    activation: Option<Activation>,
    kernel_size: Option<usize>,
    // Memory-format hint for FP16 blocks; irrelevant to the values.
    #[allow(dead_code)]
    fp16_channels_last: Option<bool>,
}

fn present<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<Option<f64>>, D::Error> {
    Option::<f64>::deserialize(d).map(Some)
}

impl GeneratorConfig {
    /// Reads `G.init_kwargs` (a JSON object, e.g. `{"z_dim": 512, "c_dim": 0, "w_dim": 512,
    /// "img_resolution": 256, "img_channels": 3, "mapping_kwargs": {"num_layers": 8},
    /// "synthesis_kwargs": {"channel_base": 16384, "channel_max": 512, "num_fp16_res": 4,
    /// "conv_clamp": 256}}`). Missing keys take NVlabs' defaults; unknown keys are an error, so a
    /// network of another family (e.g. StyleGAN3) is refused rather than built wrongly.
    pub fn from_init_kwargs(json: &serde_json::Value) -> Result<Self, ConfigError> {
        let raw = RawGenerator::deserialize(json)?;
        let m = raw.mapping_kwargs;
        let s = raw.synthesis_kwargs;
        let mut mapping = MappingConfig::new();
        mapping.num_layers = m.num_layers.unwrap_or(mapping.num_layers);
        mapping.embed_features = m.embed_features;
        mapping.layer_features = m.layer_features;
        mapping.activation = m.activation.unwrap_or(mapping.activation);
        mapping.lr_multiplier = m.lr_multiplier.unwrap_or(mapping.lr_multiplier);
        mapping.w_avg_beta = m.w_avg_beta.unwrap_or(mapping.w_avg_beta);
        let mut synthesis = SynthesisConfig::new();
        synthesis.channel_base = s.channel_base.unwrap_or(synthesis.channel_base);
        synthesis.channel_max = s.channel_max.unwrap_or(synthesis.channel_max);
        synthesis.num_fp16_res = s.num_fp16_res.unwrap_or(0);
        synthesis.conv_clamp = s.conv_clamp;
        synthesis.architecture = s.architecture.unwrap_or(synthesis.architecture);
        synthesis.resample_filter = s.resample_filter.unwrap_or(synthesis.resample_filter);
        synthesis.use_noise = s.use_noise.unwrap_or(true);
        synthesis.activation = s.activation.unwrap_or(synthesis.activation);
        synthesis.kernel_size = s.kernel_size.unwrap_or(3);
        let config = GeneratorConfig::new(
            raw.z_dim,
            raw.c_dim,
            raw.w_dim,
            raw.img_resolution,
            raw.img_channels,
            mapping,
            synthesis,
        );
        config.validate()?;
        Ok(config)
    }

    /// The inverse of [`from_init_kwargs`](Self::from_init_kwargs): the JSON object to store beside
    /// a safetensors file.
    pub fn to_init_kwargs(&self) -> serde_json::Value {
        let m = &self.mapping;
        let s = &self.synthesis;
        serde_json::json!({
            "z_dim": self.z_dim,
            "c_dim": self.c_dim,
            "w_dim": self.w_dim,
            "img_resolution": self.img_resolution,
            "img_channels": self.img_channels,
            "mapping_kwargs": {
                "num_layers": m.num_layers,
                "embed_features": m.embed_features,
                "layer_features": m.layer_features,
                "activation": m.activation.name(),
                "lr_multiplier": m.lr_multiplier,
                "w_avg_beta": m.w_avg_beta,
            },
            "synthesis_kwargs": {
                "channel_base": s.channel_base,
                "channel_max": s.channel_max,
                "num_fp16_res": s.num_fp16_res,
                "conv_clamp": s.conv_clamp,
                "architecture": match s.architecture {
                    Architecture::Orig => "orig",
                    Architecture::Skip => "skip",
                    Architecture::Resnet => "resnet",
                },
                "resample_filter": s.resample_filter,
                "use_noise": s.use_noise,
                "activation": s.activation.name(),
                "kernel_size": s.kernel_size,
            },
        })
    }

    /// The `paper256` configuration of `train.py --cfg=paper256` (FFHQ 256², the FID paper's
    /// generator): channel_base 16384, channel_max 512, 8 mapping layers, conv_clamp 256,
    /// 4 FP16 resolutions (run in FP32 here).
    pub fn paper256() -> Self {
        Self::new(
            512,
            0,
            512,
            256,
            3,
            MappingConfig::new(),
            SynthesisConfig::new()
                .with_channel_base(16384)
                .with_num_fp16_res(4)
                .with_conv_clamp(Some(256.0)),
        )
    }

    /// Checks the values the networks rely on.
    pub fn validate(&self) -> Result<(), ConfigError> {
        let bad = |m: String| Err(ConfigError::Invalid(m));
        let r = self.img_resolution;
        if r < 4 || !r.is_power_of_two() {
            return bad(format!("img_resolution {r} is not a power of two ≥ 4"));
        }
        if self.z_dim == 0 && self.c_dim == 0 {
            return bad("z_dim and c_dim are both 0".into());
        }
        if self.w_dim == 0 || self.img_channels == 0 || self.mapping.num_layers == 0 {
            return bad("w_dim, img_channels and mapping num_layers must be positive".into());
        }
        if self.synthesis.kernel_size.is_multiple_of(2) {
            return bad(format!(
                "kernel_size {} is even",
                self.synthesis.kernel_size
            ));
        }
        let f = &self.synthesis.resample_filter;
        if f.is_empty() || f.iter().sum::<f64>() == 0.0 {
            return bad("resample_filter is empty or sums to 0".into());
        }
        if f.len() >= 8 {
            // `setup_filter` keeps filters of 8+ taps separable, which changes the padding rules.
            return bad("resample filters of 8 or more taps are not supported".into());
        }
        if self.block_resolutions().any(|res| self.channels(res) == 0) {
            return bad("a block would have 0 channels (channel_base too small)".into());
        }
        Ok(())
    }

    /// Block resolutions 4, 8, …, `img_resolution`.
    pub fn block_resolutions(&self) -> impl Iterator<Item = usize> + use<> {
        let log2 = self.img_resolution.trailing_zeros();
        (2..=log2).map(|i| 1usize << i)
    }

    /// Channels of the block at resolution `res`: `min(channel_base // res, channel_max)`.
    pub fn channels(&self, res: usize) -> usize {
        (self.synthesis.channel_base / res).min(self.synthesis.channel_max)
    }

    /// Number of w vectors the synthesis network takes (`num_ws`): one per convolution plus the
    /// last block's ToRGB.
    pub fn num_ws(&self) -> usize {
        // b4 has one conv, every other block two; the last ToRGB adds one.
        2 * self.block_resolutions().count()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paper256_init_kwargs_round_trip() {
        let json = serde_json::json!({
            "z_dim": 512, "w_dim": 512, "c_dim": 0, "img_resolution": 256, "img_channels": 3,
            "mapping_kwargs": {"num_layers": 8},
            "synthesis_kwargs": {"channel_base": 16384, "channel_max": 512, "num_fp16_res": 4,
                                 "conv_clamp": 256}
        });
        let config = GeneratorConfig::from_init_kwargs(&json).unwrap();
        assert_eq!(config, GeneratorConfig::paper256());
        assert_eq!(config.num_ws(), 14);
        assert_eq!(config.channels(64), 256);
        let again = GeneratorConfig::from_init_kwargs(&config.to_init_kwargs()).unwrap();
        assert_eq!(again, config);
    }

    #[test]
    fn unknown_keys_and_bad_values_are_refused() {
        let mut json = GeneratorConfig::paper256().to_init_kwargs();
        json["synthesis_kwargs"]["magnitude_ema_beta"] = 0.999.into();
        let err = GeneratorConfig::from_init_kwargs(&json).unwrap_err();
        assert!(err.to_string().contains("magnitude_ema_beta"), "{err}");
        let mut json = GeneratorConfig::paper256().to_init_kwargs();
        json["img_resolution"] = 48.into();
        assert!(GeneratorConfig::from_init_kwargs(&json).is_err());
    }

    #[test]
    fn w_avg_beta_null_means_no_tracking() {
        let mut json = GeneratorConfig::paper256().to_init_kwargs();
        json["mapping_kwargs"]["w_avg_beta"] = serde_json::Value::Null;
        let config = GeneratorConfig::from_init_kwargs(&json).unwrap();
        assert_eq!(config.mapping.w_avg_beta, None);
    }
}
