//! Inception-v3 as converted from TF `inception-2015-12-05`: the FID network.
//!
//! The architecture is pytorch-fid 0.3.0's `fid_inception_v3()` (torchvision `Inception3` patched with
//! `FIDInceptionA/C/E_1/E_2`) and torch-fidelity 0.4.0's `FeatureExtractorInceptionV3`, with every quirk of the TF
//! graph: no conv bias, batch-norm ε = 1e-3, 3×3 average pools that exclude the padding in blocks A, C and E_1, a
//! max-pool branch in the last block (E_2 = `Mixed_7c` = TF `mixed_10`), global average pooling to 2048 (pool3) and
//! a 2048 → 1008 classifier.
//!
//! ```no_run
//! use burn::tensor::Device;
//! use burn_models::inception::{Inception, InceptionWeights, Preprocess};
//!
//! let device = Device::flex();
//! let net = Inception::load(InceptionWeights::DEFAULT, &device)?; // or a path: `Inception::load(path, &device)`
//! let bytes = vec![128u8; 2 * 3 * 256 * 256]; // two RGB images, NCHW, 0..=255
//! let out = net.forward_u8(&bytes, [2, 3, 256, 256], Preprocess::Tf)?;
//! let (pool3, logits) = (out.pool3, out.logits); // [2, 2048], [2, 1008]
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! For gradients with respect to the last 8×8 activation (FID sensitivity heatmaps), split the forward:
//! `let a = net.mixed_10(images, p).detach().require_grad(); let out = net.head(a.clone());`.
#![allow(non_snake_case)] // Field names are the checkpoint's keys (`Conv2d_1a_3x3`, `Mixed_7c`).

pub mod blocks;
pub mod preprocess;
pub mod weights;

use std::path::Path;

use burn::config::Config;
use burn::module::Module;
use burn::tensor::{Device, Tensor, TensorData};

pub use blocks::{
    BasicConv2d, Classifier, InceptionA, InceptionB, InceptionC, InceptionD, InceptionE,
};
pub use preprocess::{INPUT_SIZE, InputError, Preprocess, images_from_data, images_from_u8};
pub use weights::{
    InceptionWeights, KeyMismatch, PARITY_SEED, StateDict, WeightsError, WeightsProvenance,
    WeightsSource, seeded_state_dict,
};

use blocks::ConvSpec;

/// Size of the pool3 features.
pub const FEATURE_DIM: usize = 2048;
/// Number of logits (1000 ImageNet classes in TF-2015 order, plus index 0 and 1001..1007 unused).
pub const LOGITS_DIM: usize = 1008;

/// Configuration of the Inception network. [`InceptionConfig::fid_tf_2015`] is the FID network; the switches
/// exist to build the variants ports get wrong (and to prove that the parity tests catch them).
#[derive(Config, Debug)]
pub struct InceptionConfig {
    /// Classifier outputs (1008 in the TF-2015 graph).
    #[config(default = 1008)]
    pub num_classes: usize,
    /// Batch-norm ε (1e-3 in TF; torchvision's default 1e-5 is wrong here).
    #[config(default = 1e-3)]
    pub bn_epsilon: f64,
    /// Whether the 3×3 average pools of blocks A, C and E_1 count the zero padding (false in TF; true in
    /// torchvision).
    #[config(default = false)]
    pub avg_pool_count_include_pad: bool,
    /// Whether the last block (`Mixed_7c`) pools with a max (true in TF) or an average (torchvision).
    #[config(default = true)]
    pub last_block_max_pool: bool,
}

impl InceptionConfig {
    /// The TF `inception-2015-12-05` network used by FID (pytorch-fid `fid_inception_v3()`, torch-fidelity
    /// `FeatureExtractorInceptionV3`, NVIDIA's `inception-2015-12-05.pt`).
    pub fn fid_tf_2015() -> Self {
        Self::new()
    }

    /// A network with this configuration. Its weights are placeholders (lazily initialised): use
    /// [`Inception::load`] or [`Inception::from_state_dict`] for real ones.
    pub fn init(&self, device: &Device) -> Inception {
        let eps = self.bn_epsilon;
        let pad = self.avg_pool_count_include_pad;
        let c = |i, o, s| BasicConv2d::new(i, o, s, eps, device);
        Inception {
            Conv2d_1a_3x3: c(3, 32, ConvSpec::down(3)),
            Conv2d_2a_3x3: c(32, 32, ConvSpec::k(3)),
            Conv2d_2b_3x3: c(32, 64, ConvSpec::same(3, 3)),
            Conv2d_3b_1x1: c(64, 80, ConvSpec::k(1)),
            Conv2d_4a_3x3: c(80, 192, ConvSpec::k(3)),
            Mixed_5b: InceptionA::new(192, 32, eps, pad, device),
            Mixed_5c: InceptionA::new(256, 64, eps, pad, device),
            Mixed_5d: InceptionA::new(288, 64, eps, pad, device),
            Mixed_6a: InceptionB::new(288, eps, device),
            Mixed_6b: InceptionC::new(768, 128, eps, pad, device),
            Mixed_6c: InceptionC::new(768, 160, eps, pad, device),
            Mixed_6d: InceptionC::new(768, 160, eps, pad, device),
            Mixed_6e: InceptionC::new(768, 192, eps, pad, device),
            Mixed_7a: InceptionD::new(768, eps, device),
            Mixed_7b: InceptionE::new(1280, false, eps, pad, device),
            Mixed_7c: InceptionE::new(2048, self.last_block_max_pool, eps, pad, device),
            fc: Classifier::new(FEATURE_DIM, self.num_classes, device),
            provenance: None,
        }
    }
}

/// pool3 features and logits of a batch.
#[derive(Debug, Clone)]
pub struct InceptionOutput {
    /// `[B, 2048]` pool3 ("pre-logits") features, the FID feature space.
    pub pool3: Tensor<2>,
    /// `[B, 1008]` logits (before softmax).
    pub logits: Tensor<2>,
}

/// The FID Inception-v3. Field names are the torchvision / pytorch-fid checkpoint keys.
#[derive(Module, Debug)]
pub struct Inception {
    /// 3×3 stride 2, 3 → 32 (TF `conv`).
    pub Conv2d_1a_3x3: BasicConv2d,
    /// 3×3, 32 → 32 (TF `conv_1`).
    pub Conv2d_2a_3x3: BasicConv2d,
    /// 3×3 padded, 32 → 64 (TF `conv_2`).
    pub Conv2d_2b_3x3: BasicConv2d,
    /// 1×1, 64 → 80 (TF `conv_3`).
    pub Conv2d_3b_1x1: BasicConv2d,
    /// 3×3, 80 → 192 (TF `conv_4`).
    pub Conv2d_4a_3x3: BasicConv2d,
    /// Block A, 192 → 256 (TF `mixed`).
    pub Mixed_5b: InceptionA,
    /// Block A, 256 → 288 (TF `mixed_1`).
    pub Mixed_5c: InceptionA,
    /// Block A, 288 → 288 (TF `mixed_2`).
    pub Mixed_5d: InceptionA,
    /// Block B, 288 → 768, 35 → 17 (TF `mixed_3`).
    pub Mixed_6a: InceptionB,
    /// Block C, c7 = 128 (TF `mixed_4`).
    pub Mixed_6b: InceptionC,
    /// Block C, c7 = 160 (TF `mixed_5`).
    pub Mixed_6c: InceptionC,
    /// Block C, c7 = 160 (TF `mixed_6`).
    pub Mixed_6d: InceptionC,
    /// Block C, c7 = 192 (TF `mixed_7`).
    pub Mixed_6e: InceptionC,
    /// Block D, 768 → 1280, 17 → 8 (TF `mixed_8`).
    pub Mixed_7a: InceptionD,
    /// Block E with average pool, 1280 → 2048 (TF `mixed_9`).
    pub Mixed_7b: InceptionE,
    /// Block E with max pool, 2048 → 2048 (TF `mixed_10`, the layer the paper's heatmaps differentiate).
    pub Mixed_7c: InceptionE,
    /// Classifier 2048 → 1008 (TF `output`).
    pub fc: Classifier,
    /// Where the weights came from (`None` for an [`InceptionConfig::init`] network).
    #[module(skip)]
    provenance: Option<WeightsProvenance>,
}

impl Inception {
    /// Loads the FID network from a catalogue entry (downloaded into the cache on first use, SHA-256 checked) or
    /// from a local file: a `.pth` / `.pt` state dict or `.safetensors` file with torchvision names, or NVIDIA's
    /// TorchScript `inception-2015-12-05.pt` / the paper's `.pkl` (read by [`crate::pickle`], renamed by
    /// [`weights::remap_nvidia`]; that route is checked on a stem-layer fixture, not yet on the real files).
    ///
    /// `Inception::load(InceptionWeights::DEFAULT, &device)`, `Inception::load(PathBuf::from("w.pth"), &device)`,
    /// or `Inception::load(Option<PathBuf>, &device)` (the CLI's `--inception-weights`, default when `None`).
    pub fn load(source: impl Into<WeightsSource>, device: &Device) -> Result<Self, WeightsError> {
        let (path, file_sha) = match source.into() {
            // `fetch` has checked the file's SHA-256 against the catalogue.
            WeightsSource::Catalogue(w) => (w.fetch()?, w.sha256().to_string()),
            WeightsSource::File(p) => {
                let sha = crate::weights::sha256_file(&p)?;
                (p, sha)
            }
        };
        Self::load_file(&path, Some(file_sha), device)
    }

    fn load_file(
        path: &Path,
        file_sha256: Option<String>,
        device: &Device,
    ) -> Result<Self, WeightsError> {
        let sd = weights::read_state_dict(path)?;
        let mut net = Self::from_state_dict(&sd, device)?;
        if let Some(p) = net.provenance.as_mut() {
            p.source = path.display().to_string();
            p.file_sha256 = file_sha256;
        }
        Ok(net)
    }

    /// Builds the FID network from tensors with torchvision names (`Mixed_6b.branch7x7dbl_3.conv.weight`, …,
    /// `fc.weight` as `[1008, 2048]`). Other layouts go through a remap first (e.g. [`weights::remap_nvidia`]).
    ///
    /// Fails, listing them all, if a tensor is missing, unexpected or misshaped; `*.num_batches_tracked` is ignored.
    pub fn from_state_dict(sd: &StateDict, device: &Device) -> Result<Self, WeightsError> {
        Self::from_state_dict_with(&InceptionConfig::fid_tf_2015(), sd, device)
    }

    /// [`Inception::from_state_dict`] for another configuration.
    pub fn from_state_dict_with(
        config: &InceptionConfig,
        sd: &StateDict,
        device: &Device,
    ) -> Result<Self, WeightsError> {
        let mut net = weights::apply_state_dict(sd, config, device)?;
        net.provenance = Some(WeightsProvenance {
            source: "state dict".to_string(),
            file_sha256: None,
            tensors_sha256: weights::state_dict_sha256(sd)?,
        });
        Ok(net)
    }

    /// Where the weights came from, with their SHA-256 (record it beside statistics).
    pub fn provenance(&self) -> Option<&WeightsProvenance> {
        self.provenance.as_ref()
    }

    /// pool3 features and logits of images of any size.
    ///
    /// `images`: `[B, 3, H, W]` float, values `0..=255` → pool3 `[B, 2048]`, logits `[B, 1008]`
    /// (torch-fidelity `FeatureExtractorInceptionV3.forward` for [`Preprocess::Tf`], pytorch-fid
    /// `InceptionV3.forward` + `fc` for [`Preprocess::PytorchFid`]).
    pub fn forward_features(&self, images: Tensor<4>, preprocess: Preprocess) -> InceptionOutput {
        self.head(self.mixed_10(images, preprocess))
    }

    /// [`Inception::forward_features`] for u8 bytes in NCHW order, `shape` = `[B, 3, H, W]`.
    pub fn forward_u8(
        &self,
        bytes: &[u8],
        shape: [usize; 4],
        preprocess: Preprocess,
    ) -> Result<InceptionOutput, InputError> {
        let images = images_from_u8(bytes, shape, &self.device())?;
        Ok(self.forward_features(images, preprocess))
    }

    /// [`Inception::forward_features`] for image data as datasets yield it: u8 (or float, values `0..=255`)
    /// [`TensorData`] `[B, 3, H, W]`.
    pub fn forward_data(
        &self,
        data: TensorData,
        preprocess: Preprocess,
    ) -> Result<InceptionOutput, InputError> {
        let images = images_from_data(data, &self.device())?;
        Ok(self.forward_features(images, preprocess))
    }

    /// The device the weights live on.
    pub fn device(&self) -> Device {
        self.fc.bias.val().device()
    }

    /// The activation of the last block (`Mixed_7c`, TF `mixed_10`).
    ///
    /// `images`: `[B, 3, H, W]` float, values `0..=255` → `[B, 2048, 8, 8]`.
    pub fn mixed_10(&self, images: Tensor<4>, preprocess: Preprocess) -> Tensor<4> {
        self.mixed_10_normalized(preprocess.apply(images))
    }

    /// The activation of the last block from an already preprocessed input.
    ///
    /// `x`: `[B, 3, 299, 299]` in `[-1, 1]` → `[B, 2048, 8, 8]` (other sizes work; 299 gives 8×8).
    pub fn mixed_10_normalized(&self, x: Tensor<4>) -> Tensor<4> {
        let x = self.Conv2d_1a_3x3.forward(x); // 149×149
        let x = self.Conv2d_2a_3x3.forward(x); // 147×147
        let x = self.Conv2d_2b_3x3.forward(x); // 147×147
        let x = blocks::max_pool_3x3(x, 2, 0); // 73×73
        let x = self.Conv2d_3b_1x1.forward(x); // 73×73
        let x = self.Conv2d_4a_3x3.forward(x); // 71×71
        let x = blocks::max_pool_3x3(x, 2, 0); // 35×35
        let x = self.Mixed_5b.forward(x);
        let x = self.Mixed_5c.forward(x);
        let x = self.Mixed_5d.forward(x);
        let x = self.Mixed_6a.forward(x); // 17×17
        let x = self.Mixed_6b.forward(x);
        let x = self.Mixed_6c.forward(x);
        let x = self.Mixed_6d.forward(x);
        let x = self.Mixed_6e.forward(x);
        let x = self.Mixed_7a.forward(x); // 8×8
        let x = self.Mixed_7b.forward(x);
        self.Mixed_7c.forward(x)
    }

    /// From the last block's activation to the outputs: global average pool, then the classifier.
    ///
    /// `mixed_10`: `[B, 2048, h, w]` → pool3 `[B, 2048]`, logits `[B, 1008]`. Differentiable: feed it
    /// `mixed_10(..).detach().require_grad()` to get gradients with respect to the activation.
    pub fn head(&self, mixed_10: Tensor<4>) -> InceptionOutput {
        let [b, c, _, _] = mixed_10.dims();
        let pool3 = mixed_10.mean_dims(&[2, 3]).reshape([b, c]);
        let logits = self.fc.forward(pool3.clone());
        InceptionOutput { pool3, logits }
    }
}
