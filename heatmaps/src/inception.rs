//! The FID Inception as a [`SplitNetwork`]: split after `mixed_10` (torchvision `Mixed_7c`), the
//! layer the paper's heatmaps differentiate, with the TF-2015 preprocessing the paper uses.

use burn::tensor::Tensor;
use burn_models::inception::{Inception, Preprocess};

use crate::sensitivity::SplitNetwork;

/// [`Inception`] split at `mixed_10`.
#[derive(Debug)]
pub struct InceptionSplit {
    net: Inception,
    preprocess: Preprocess,
}

impl InceptionSplit {
    /// The paper's setting: TF1-legacy bilinear resize to 299, `(x − 128) / 128`.
    pub fn new(net: Inception) -> Self {
        Self::with_preprocess(net, Preprocess::Tf)
    }

    /// Another input preprocessing (e.g. pytorch-fid's).
    pub fn with_preprocess(net: Inception, preprocess: Preprocess) -> Self {
        Self { net, preprocess }
    }

    /// The wrapped network.
    pub fn inception(&self) -> &Inception {
        &self.net
    }
}

impl SplitNetwork for InceptionSplit {
    /// `[B, 3, H, W]` in `[0, 255]` → `mixed_10` `[B, 2048, 8, 8]`.
    fn activation(&self, images: Tensor<4>) -> Tensor<4> {
        self.net.mixed_10(images, self.preprocess)
    }

    /// `[B, 2048, 8, 8]` → (pool3 `[B, 2048]`, logits `[B, 1008]`).
    fn head(&self, activation: Tensor<4>) -> (Tensor<2>, Tensor<2>) {
        let out = self.net.head(activation);
        (out.pool3, out.logits)
    }
}
