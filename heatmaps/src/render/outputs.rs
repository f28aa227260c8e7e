//! File names and the files written for each visualised image (paper: SEED-SPEC §6).

use std::path::{Path, PathBuf};

use image::RgbImage;

use crate::error::HeatmapError;
use crate::pipeline::Heatmap;
use crate::render::chart::bar_chart;
use crate::render::files::{Overwrite, write_npy_f32, write_png};
use crate::sensitivity::top_k;
use burn_models::labels::ImagenetLabels;

/// Number of bars in the class chart (the paper's `top_n`).
pub const TOP_N: usize = 10;

/// What a visualised image is called in file names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ItemName {
    /// A generated image: the paper's names (`gen_image_seed107.png`, `gen_probs_107.npy`, …).
    Seed(u64),
    /// A user's image file, by its file stem (`image_cat.png`, `probs_cat.npy`, …).
    File(String),
}

impl ItemName {
    /// The name of an image file: its stem (lossy UTF-8).
    pub fn from_path(path: &Path) -> Self {
        let stem = path
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_else(|| "image".to_string());
        Self::File(stem)
    }

    fn tag(&self) -> String {
        match self {
            Self::Seed(s) => format!("seed{s}"),
            Self::File(stem) => stem.clone(),
        }
    }

    /// The visualised image as PNG.
    pub fn image_file(&self) -> String {
        match self {
            Self::Seed(s) => format!("gen_image_seed{s}.png"),
            Self::File(stem) => format!("image_{stem}.png"),
        }
    }

    /// The overlay.
    pub fn overlay_file(&self) -> String {
        format!("sensitivity_heatmap_{}.png", self.tag())
    }

    /// The raw `[8, 8]` map (`--save-maps`).
    pub fn map_file(&self) -> String {
        format!("sensitivity_map_{}.npy", self.tag())
    }

    /// Class probabilities and their chart, without extension (`.npy`, `.png`).
    pub fn probs_stem(&self) -> String {
        match self {
            Self::Seed(s) => format!("gen_probs_{s}"),
            Self::File(stem) => format!("probs_{stem}"),
        }
    }
}

impl std::fmt::Display for ItemName {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.tag())
    }
}

/// Which optional outputs to write.
#[derive(Debug, Clone, Copy, Default)]
pub struct SaveOptions {
    /// Write the image and its overlay (false in grid mode: only the grid is written).
    pub pictures: bool,
    /// Write the raw map as `.npy`.
    pub maps: bool,
    /// Write the class probabilities (`.npy`) and the top-10 chart (`.png`).
    pub classifications: bool,
    /// Replace existing files.
    pub overwrite: Overwrite,
}

/// Writes the outputs of one image into `dir`; returns the paths written.
pub fn save_heatmap(
    dir: &Path,
    name: &ItemName,
    image: &RgbImage,
    heatmap: &Heatmap,
    labels: &ImagenetLabels,
    options: SaveOptions,
) -> Result<Vec<PathBuf>, HeatmapError> {
    let mut written = Vec::new();
    let ow = options.overwrite;
    if options.pictures {
        let p = dir.join(name.image_file());
        write_png(&p, image, ow)?;
        written.push(p);
        let p = dir.join(name.overlay_file());
        write_png(&p, &heatmap.overlay, ow)?;
        written.push(p);
    }
    if options.maps {
        let s = &heatmap.sensitivity;
        let p = dir.join(name.map_file());
        write_npy_f32(&p, &[u64::from(s.height), u64::from(s.width)], &s.map, ow)?;
        written.push(p);
    }
    if options.classifications {
        let probs = &heatmap.probabilities;
        let p = dir.join(format!("{}.npy", name.probs_stem()));
        write_npy_f32(&p, &[probs.len() as u64], probs, ow)?;
        written.push(p);
        let top = top_k(probs, TOP_N);
        let values: Vec<f32> = top.iter().map(|&c| probs[c]).collect();
        let names: Vec<String> = top
            .iter()
            .map(|&c| labels.display(c).unwrap_or_else(|| format!("Class {c}")))
            .collect();
        let chart = bar_chart(&values, &names, "Probability")?;
        let p = dir.join(format!("{}.png", name.probs_stem()));
        write_png(&p, &chart, ow)?;
        written.push(p);
    }
    Ok(written)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_follow_the_paper_for_seeds() {
        let n = ItemName::Seed(107);
        assert_eq!(n.image_file(), "gen_image_seed107.png");
        assert_eq!(n.overlay_file(), "sensitivity_heatmap_seed107.png");
        assert_eq!(n.probs_stem(), "gen_probs_107");
        let f = ItemName::from_path(Path::new("/x/cat.jpg"));
        assert_eq!(f.overlay_file(), "sensitivity_heatmap_cat.png");
        assert_eq!(f.map_file(), "sensitivity_map_cat.npy");
    }
}
