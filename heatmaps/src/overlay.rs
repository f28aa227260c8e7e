//! From a raw 8×8 sensitivity map to the picture the paper shows.
//!
//! Steps (paper: `compute_sensitivity_heatmap` and `show_sensitivity_on_image` in
//! `fid_heatmaps/heatmap_utils.py`, kynkaat/role-of-imagenet-classes-in-fid@2d25375), all in the
//! paper's `f32` arithmetic so that the result is bit-identical given the same map:
//!
//! 1. [`quantise_map`]: min–max to `[0, 1]`, `× 255`, truncate to `u8`;
//! 2. [`upscale_map`]: Pillow mode-`'F'` Lanczos to the image size, then clip and truncate;
//! 3. [`overlay`]: `min–max(2 · parula(map) / 255 + min–max(image))`, `× 255`, truncate.

use image::{GrayImage, Luma, RgbImage};

use crate::parula::parula_lut;
use crate::resize::{FloatImage, resize_lanczos, to_luma8};

/// Weight of the colour map against the image in [`overlay`] (the paper's `heatmap_weight`).
pub const HEATMAP_WEIGHT: f32 = 2.0;

/// A map that cannot be drawn.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum MapError {
    /// NaN or ±∞ in the map (e.g. from a non-finite Fréchet gradient).
    #[error("the sensitivity map has a non-finite value at index {index}")]
    NonFinite {
        /// Row-major position of the first non-finite value.
        index: usize,
    },
    /// The map's buffer does not match its stated size.
    #[error("map of {len} values cannot be {width}×{height}")]
    Shape {
        /// Stated width.
        width: u32,
        /// Stated height.
        height: u32,
        /// Number of values given.
        len: usize,
    },
}

/// `[h, w] f32 → [h, w] u8`: global min–max scaling to `[0, 1]`, `× 255`, truncation.
///
/// An all-zero map stays zero, as in the paper. A constant non-zero map (the paper divides 0 by
/// 0 there and casts NaN to `u8`, which is undefined) also maps to zero.
pub fn quantise_map(map: &[f32], width: u32, height: u32) -> Result<GrayImage, MapError> {
    if map.len() != width as usize * height as usize {
        return Err(MapError::Shape {
            width,
            height,
            len: map.len(),
        });
    }
    if let Some(index) = map.iter().position(|v| !v.is_finite()) {
        return Err(MapError::NonFinite { index });
    }
    let scaled = unit_range(map);
    let data = scaled.iter().map(|&v| (v * 255.0) as u8).collect();
    Ok(GrayImage::from_raw(width, height, data).expect("size checked above"))
}

/// The quantised map upsampled to `width × height` exactly as the paper does it: Pillow's float
/// Lanczos (`a = 3`), then clip to `[0, 255]` and truncate.
pub fn upscale_map(map: &GrayImage, width: u32, height: u32) -> GrayImage {
    let float = FloatImage::from_fn(map.width(), map.height(), |x, y| {
        Luma([f32::from(map.get_pixel(x, y)[0])])
    });
    to_luma8(&resize_lanczos(&float, width, height))
}

/// Global min–max scaling in `f32` as the paper's `zero_one_scaling`: all zeros stay zeros; a
/// constant non-zero input (0/0 in the paper) becomes zeros.
fn unit_range(x: &[f32]) -> Vec<f32> {
    let (lo, hi) = x
        .iter()
        .fold((f32::INFINITY, f32::NEG_INFINITY), |(lo, hi), &v| {
            (lo.min(v), hi.max(v))
        });
    let range = hi - lo;
    if x.is_empty() || range == 0.0 || !range.is_finite() {
        return vec![0.0; x.len()];
    }
    x.iter().map(|&v| (v - lo) / range).collect()
}

/// Overlays a full-size `u8` map on an RGB image: `[H, W] u8` + `[H, W, 3] u8 → [H, W, 3] u8`.
///
/// # Panics
/// If the map and the image differ in size (a programmer error: use [`upscale_map`] first).
pub fn overlay(image: &RgbImage, map: &GrayImage) -> RgbImage {
    assert_eq!(
        image.dimensions(),
        map.dimensions(),
        "map and image must have the same size"
    );
    let lut = parula_lut();
    let pixels: Vec<f32> = image.as_raw().iter().map(|&v| f32::from(v)).collect();
    let scaled = unit_range(&pixels);
    let mixed: Vec<f32> = map
        .as_raw()
        .iter()
        .zip(scaled.chunks_exact(3))
        .flat_map(|(&m, rgb)| {
            let c = lut[usize::from(m)];
            [0, 1, 2].map(|i| HEATMAP_WEIGHT * (f32::from(c[i]) / 255.0) + rgb[i])
        })
        .collect();
    let data = unit_range(&mixed)
        .iter()
        .map(|&v| (v * 255.0).clamp(0.0, 255.0) as u8)
        .collect();
    RgbImage::from_raw(image.width(), image.height(), data).expect("same size as the image")
}

/// The whole picture step: raw `[h, w]` map and image → overlay of the image's size.
pub fn render_overlay(
    map: &[f32],
    map_width: u32,
    map_height: u32,
    image: &RgbImage,
) -> Result<RgbImage, MapError> {
    let q = quantise_map(map, map_width, map_height)?;
    let big = upscale_map(&q, image.width(), image.height());
    Ok(overlay(image, &big))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantise_spans_the_full_range() {
        let map: Vec<f32> = (0..64).map(|i| i as f32 * 0.5 + 3.0).collect();
        let q = quantise_map(&map, 8, 8).unwrap();
        assert_eq!(q.as_raw()[0], 0);
        assert_eq!(q.as_raw()[63], 255);
    }

    #[test]
    fn degenerate_maps() {
        assert!(
            quantise_map(&[0.0; 64], 8, 8)
                .unwrap()
                .as_raw()
                .iter()
                .all(|&v| v == 0)
        );
        assert!(
            quantise_map(&[2.5; 64], 8, 8)
                .unwrap()
                .as_raw()
                .iter()
                .all(|&v| v == 0)
        );
        let mut bad = [1.0f32; 64];
        bad[9] = f32::NAN;
        assert_eq!(
            quantise_map(&bad, 8, 8),
            Err(MapError::NonFinite { index: 9 })
        );
        assert!(matches!(
            quantise_map(&[1.0; 10], 8, 8),
            Err(MapError::Shape { len: 10, .. })
        ));
    }

    #[test]
    fn overlay_of_a_black_image_is_the_colour_map() {
        let image = RgbImage::new(4, 2);
        let map = GrayImage::from_fn(4, 2, |x, y| Luma([(x * 60 + y * 10) as u8]));
        let out = overlay(&image, &map);
        assert_eq!(out.dimensions(), (4, 2));
        // The brightest channel of the brightest colour reaches 255.
        assert_eq!(out.as_raw().iter().max(), Some(&255));
    }
}
