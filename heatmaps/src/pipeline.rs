//! One image in, everything the paper shows out: map, overlay, class probabilities.

use std::path::Path;

use burn::tensor::{Device, Tensor, TensorData};
use image::RgbImage;

use crate::error::HeatmapError;
use crate::overlay::render_overlay;
use crate::sensitivity::{
    GeneratedStatistics, Sensitivity, SplitNetwork, StatisticsObjective, sensitivity, softmax,
};
use burn_models::labels::ImagenetLabels;

/// Everything computed for one visualised image.
#[derive(Debug, Clone)]
pub struct Heatmap {
    /// Raw map, distance, features and logits.
    pub sensitivity: Sensitivity,
    /// The overlay at the image's size (`sensitivity_heatmap_*.png`).
    pub overlay: RgbImage,
    /// Softmax of the logits (`[K]`, `f32`).
    pub probabilities: Vec<f32>,
    /// Most probable class.
    pub top1: usize,
}

impl Heatmap {
    /// The top-1 class as the paper prints it (first synonym, capitalised), if `labels` has it.
    pub fn top1_label(&self, labels: &ImagenetLabels) -> Option<String> {
        labels.display(self.top1)
    }
}

/// Reads any image file the `image` crate decodes (PNG, JPEG) as 8-bit RGB.
///
/// Grey images are replicated to three channels, alpha is dropped, 16-bit samples are scaled to
/// 8 bits (the paper only sees 8-bit RGB generator output).
pub fn load_rgb(path: &Path) -> Result<RgbImage, HeatmapError> {
    image::open(path)
        .map(|img| img.to_rgb8())
        .map_err(|source| HeatmapError::ReadImage {
            path: path.to_path_buf(),
            source,
        })
}

/// `[H, W, 3] u8 → [1, 3, H, W]` float tensor with values `0..=255`.
pub fn image_tensor(image: &RgbImage, device: &Device) -> Tensor<4> {
    let (w, h) = (image.width() as usize, image.height() as usize);
    let mut chw = vec![0f32; 3 * h * w];
    for (i, px) in image.pixels().enumerate() {
        for c in 0..3 {
            chw[c * h * w + i] = f32::from(px.0[c]);
        }
    }
    Tensor::from_data(TensorData::new(chw, [1, 3, h, w]), device)
}

/// Computes the map of `image` and renders its overlay.
pub fn heatmap<N, O>(
    network: &N,
    objective: &O,
    generated: &GeneratedStatistics,
    image: &RgbImage,
    device: &Device,
) -> Result<Heatmap, HeatmapError>
where
    N: SplitNetwork + ?Sized,
    O: StatisticsObjective + ?Sized,
{
    let s = sensitivity(network, objective, generated, image_tensor(image, device))?;
    let overlay = render_overlay(&s.map, s.width, s.height, image)?;
    let probabilities = softmax(&s.logits);
    let top1 = crate::sensitivity::top_k(&probabilities, 1)
        .first()
        .copied()
        .unwrap_or(0);
    Ok(Heatmap {
        sensitivity: s,
        overlay,
        probabilities,
        top1,
    })
}
