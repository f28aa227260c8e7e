//! The CLIP vision transformer (`visual.*` of OpenAI's and open_clip's checkpoints).

use burn::config::Config;
use burn::module::{Module, Param};
use burn::nn::conv::{Conv2d, Conv2dConfig};
use burn::nn::{Initializer, LayerNorm, LayerNormConfig};
use burn::tensor::{Device, Tensor};

use super::block::{ResidualAttentionBlock, Transformer};
use super::preprocess::{ClipPreprocess, preprocess};

/// Hyper-parameters of a CLIP vision transformer. Presets name the published models.
#[derive(Config, Debug, PartialEq)]
pub struct ClipVisionConfig {
    /// Side of the square input the network sees (after resizing and cropping).
    pub image_size: usize,
    /// Side of the square patches (stride and kernel of `conv1`).
    pub patch_size: usize,
    /// Token width.
    pub width: usize,
    /// Number of residual attention blocks.
    pub layers: usize,
    /// Attention heads per block.
    pub heads: usize,
    /// Hidden width of each block's MLP.
    pub mlp_width: usize,
    /// Width of the image embedding (`proj` is `[width, output_dim]`).
    pub output_dim: usize,
    /// Layer-norm epsilon.
    #[config(default = 1e-5)]
    pub layer_norm_eps: f64,
}

impl ClipVisionConfig {
    /// OpenAI's ViT-B/32 image encoder: 224² input, 32² patches, width 768, 12 blocks of 12 heads,
    /// MLP 3072, QuickGELU, 512-d embedding
    /// (open_clip `model_configs/ViT-B-32-quickgelu.json`; OpenAI `clip/model.py` `build_model`).
    pub fn vit_b_32() -> Self {
        Self::new(224, 32, 768, 12, 12, 3072, 512)
    }

    /// OpenAI's ViT-B/16 image encoder (same as [`vit_b_32`](Self::vit_b_32) with 16² patches).
    pub fn vit_b_16() -> Self {
        Self::new(224, 16, 768, 12, 12, 3072, 512)
    }

    /// OpenAI's ViT-L/14 image encoder: width 1024, 24 blocks of 16 heads, MLP 4096, 768-d embedding.
    pub fn vit_l_14() -> Self {
        Self::new(224, 14, 1024, 24, 16, 4096, 768)
    }

    /// Patches per side (`image_size / patch_size`).
    pub fn grid_size(&self) -> usize {
        self.image_size / self.patch_size
    }

    /// Tokens per image: one per patch plus the class token.
    pub fn num_tokens(&self) -> usize {
        self.grid_size() * self.grid_size() + 1
    }

    /// Builds the network with uninitialised (lazily zero) weights; load real ones with
    /// [`ClipVision::load`](crate::clip::ClipVision::load) or the functions of [`crate::clip::weights`].
    ///
    /// # Panics
    /// If `image_size` is not a multiple of `patch_size` or `width` not a multiple of `heads`.
    pub fn init(&self, device: &Device) -> ClipVision {
        assert!(
            self.patch_size > 0 && self.image_size.is_multiple_of(self.patch_size),
            "image_size {} is not a multiple of patch_size {}",
            self.image_size,
            self.patch_size
        );
        let ln = || {
            LayerNormConfig::new(self.width)
                .with_epsilon(self.layer_norm_eps)
                .init(device)
        };
        ClipVision {
            conv1: Conv2dConfig::new([3, self.width], [self.patch_size; 2])
                .with_stride([self.patch_size; 2])
                .with_bias(false)
                .with_initializer(Initializer::Zeros)
                .init(device),
            class_embedding: Initializer::Zeros.init([self.width], device),
            positional_embedding: Initializer::Zeros.init([self.num_tokens(), self.width], device),
            ln_pre: ln(),
            transformer: Transformer {
                resblocks: (0..self.layers)
                    .map(|_| {
                        ResidualAttentionBlock::new(
                            self.width,
                            self.heads,
                            self.mlp_width,
                            self.layer_norm_eps,
                            device,
                        )
                    })
                    .collect(),
            },
            ln_post: ln(),
            proj: Initializer::Zeros.init([self.width, self.output_dim], device),
            patch_size: self.patch_size,
            image_size: self.image_size,
        }
    }
}

/// CLIP's image encoder. Field names are the checkpoint keys below `visual.`
/// (<https://github.com/openai/CLIP/blob/dcba3cb2e2827b402d2701e7e1c7d9fed8a20ef1/clip/model.py#L206-L243>).
#[derive(Module, Debug)]
pub struct ClipVision {
    /// Patchify convolution `3 → width`, kernel = stride = `patch_size`, no bias.
    pub conv1: Conv2d,
    /// The learned class token, `[width]`.
    pub class_embedding: Param<Tensor<1>>,
    /// Learned positional embedding, `[1 + grid², width]` (class token first).
    pub positional_embedding: Param<Tensor<2>>,
    /// Norm before the transformer.
    pub ln_pre: LayerNorm,
    /// The residual blocks.
    pub transformer: Transformer,
    /// Norm of the class token after the transformer.
    pub ln_post: LayerNorm,
    /// Projection to the embedding, `[width, output_dim]` (used as `x @ proj`).
    pub proj: Param<Tensor<2>>,
    /// Patch side.
    pub patch_size: usize,
    /// Input side.
    pub image_size: usize,
}

impl ClipVision {
    /// The embedding of normalised images: `[batch, 3, image_size, image_size]` (CLIP mean/std already
    /// applied) → `[batch, output_dim]`, unnormalised. This is `VisionTransformer.forward` /
    /// `encode_image` of OpenAI's and open_clip's code.
    ///
    /// # Panics
    /// If the input is not `[batch, 3, image_size, image_size]`.
    pub fn forward(&self, x: Tensor<4>) -> Tensor<2> {
        let tokens = self.tokens(x);
        let [batch, _, width] = tokens.dims();
        let tokens = self.transformer.forward(self.ln_pre.forward(tokens));
        let cls = tokens.slice([0..batch, 0..1]).reshape([batch, width]);
        self.ln_post.forward(cls).matmul(self.proj.val())
    }

    /// Preprocesses and embeds images: `[batch, 3, H, W]` float values in `0..=255` (any size) →
    /// `[batch, output_dim]`, unnormalised. See [`ClipPreprocess`] for the two resizing conventions.
    pub fn forward_u8(&self, images: Tensor<4>, mode: ClipPreprocess) -> Tensor<2> {
        self.forward(preprocess(images, mode, self.image_size))
    }

    /// [`forward_u8`](Self::forward_u8), then each row divided by its L2 norm.
    pub fn forward_u8_normalized(&self, images: Tensor<4>, mode: ClipPreprocess) -> Tensor<2> {
        l2_normalize(self.forward_u8(images, mode))
    }

    /// Patch tokens with the class token prepended and positions added: `[batch, 3, S, S]` →
    /// `[batch, 1 + (S / patch)², width]`.
    ///
    /// The stride-`patch` convolution without bias is computed as a matrix product over
    /// non-overlapping patches, which is the same sum in a different order.
    pub fn tokens(&self, x: Tensor<4>) -> Tensor<3> {
        let [batch, channels, height, width_px] = x.dims();
        let p = self.patch_size;
        assert!(
            channels == 3 && height == self.image_size && width_px == self.image_size,
            "CLIP expects [batch, 3, {s}, {s}], got {:?}",
            x.dims(),
            s = self.image_size
        );
        let g = height / p;
        let weight = self.conv1.weight.val();
        let [width, _, _, _] = weight.dims();
        // [B, 3, g, p, g, p] → [B, g, g, 3, p, p] → [B, g², 3·p²]
        let patches = x
            .reshape([batch, channels, g, p, g, p])
            .permute([0, 2, 4, 1, 3, 5])
            .reshape([batch, g * g, channels * p * p]);
        let w = weight
            .reshape([width, channels * p * p])
            .transpose()
            .unsqueeze::<3>();
        let patches = patches.matmul(w);
        let cls = self
            .class_embedding
            .val()
            .reshape([1, 1, width])
            .expand([batch, 1, width]);
        Tensor::cat(vec![cls, patches], 1) + self.positional_embedding.val().unsqueeze::<3>()
    }
}

/// Each row divided by its Euclidean norm: `[batch, dim] → [batch, dim]`.
pub fn l2_normalize(x: Tensor<2>) -> Tensor<2> {
    let norm = x.clone().powi_scalar(2).sum_dim(1).sqrt();
    x / norm
}
