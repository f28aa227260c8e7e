//! OpenAI's CLIP image encoder (ViT-B/32 and other ViT sizes by configuration), the feature network of
//! CLIP-FID.
//!
//! ```no_run
//! use burn_models::clip::{ClipPreprocess, ClipVision};
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let device = burn::tensor::Device::flex();
//! let (clip, sha256) = ClipVision::load(None, &device)?; // cached OpenAI ViT-B/32
//! let images = burn::tensor::Tensor::<4>::zeros([2, 3, 256, 256], &device); // 0..=255
//! let features = clip.forward_u8(images, ClipPreprocess::Seed); // [2, 512]
//! # Ok(()) }
//! ```
//!
//! Blocks: [`vision`] (patch embedding, class token, `ln_pre`, `ln_post`, `proj`), [`block`] (residual
//! attention blocks, QuickGELU MLP), [`attention`], [`preprocess`], [`weights`] (file formats and the
//! catalogue), [`seeded`] (weights for parity tests).

pub mod attention;
pub mod block;
pub mod preprocess;
pub mod seeded;
pub mod vision;
pub mod weights;

pub use preprocess::{CLIP_MEAN, CLIP_STD, ClipPreprocess};
pub use vision::{ClipVision, ClipVisionConfig, l2_normalize};
pub use weights::{CLIP_WEIGHTS_FLAG, ClipWeights, ClipWeightsError};
