//! Pillow's Lanczos resize of single-channel float images (mode `'F'`), reproduced exactly.
//!
//! The paper upsamples its 8×8 map with `PIL.Image.fromarray(float).resize((W, H), LANCZOS)`
//! followed by `.convert('L')`. For mode `'F'` Pillow does not use its fixed-point 8-bit path:
//! it computes normalised `f64` kernel weights per output pixel, then a horizontal pass and a
//! vertical pass, each accumulating in `f64` and storing `f32`
//! (`src/libImaging/Resample.c`: `precompute_coeffs`, `ImagingResample{Horizontal,Vertical}_32bpc`,
//! `ImagingResampleInner`; unchanged in this respect from Pillow 8.3.1 to 13.0). A pass whose size
//! does not change is skipped, and an unchanged size is a plain copy. `convert('L')` then clips to
//! `[0, 255]` and truncates (`f2l` in `Convert.c`).
//!
//! Parity with Pillow 13.0.0 is tested in `tests/pipeline_parity.rs`.

use image::{GrayImage, ImageBuffer, Luma};

/// A single-channel `f32` image (Pillow mode `'F'`).
pub type FloatImage = ImageBuffer<Luma<f32>, Vec<f32>>;

/// Lanczos support radius (`a = 3`).
const SUPPORT: f64 = 3.0;

fn sinc(x: f64) -> f64 {
    if x == 0.0 {
        return 1.0;
    }
    let x = x * std::f64::consts::PI;
    x.sin() / x
}

/// Pillow's `lanczos_filter`: `sinc(x)·sinc(x/3)` on `[-3, 3)`.
fn lanczos(x: f64) -> f64 {
    if (-SUPPORT..SUPPORT).contains(&x) {
        sinc(x) * sinc(x / 3.0)
    } else {
        0.0
    }
}

/// Per output pixel: first input index and normalised weights (Pillow's `precompute_coeffs` for a
/// box covering the whole input).
fn coefficients(in_size: usize, out_size: usize) -> Vec<(usize, Vec<f64>)> {
    let scale = in_size as f64 / out_size as f64;
    let filter_scale = scale.max(1.0);
    let support = SUPPORT * filter_scale;
    let inv = 1.0 / filter_scale;
    (0..out_size)
        .map(|xx| {
            let center = (xx as f64 + 0.5) * scale;
            // C casts truncate toward zero; clamp afterwards as Pillow does.
            let xmin = ((center - support + 0.5) as i64).max(0) as usize;
            let xmax = ((center + support + 0.5) as i64).min(in_size as i64) as usize;
            let mut w: Vec<f64> = (xmin..xmax)
                .map(|x| lanczos((x as f64 - center + 0.5) * inv))
                .collect();
            let total: f64 = w.iter().sum();
            if total != 0.0 {
                w.iter_mut().for_each(|k| *k /= total);
            }
            (xmin, w)
        })
        .collect()
}

/// Resizes like Pillow's `Image.resize((width, height), Image.LANCZOS)` on a mode-`'F'` image.
///
/// `[h_in, w_in] f32 → [height, width] f32`. Values may overshoot the input range (the kernel has
/// negative lobes); see [`to_luma8`] for Pillow's clip-and-truncate conversion.
///
/// # Panics
/// If `width` or `height` is zero (Pillow raises `ValueError` there too).
pub fn resize_lanczos(src: &FloatImage, width: u32, height: u32) -> FloatImage {
    assert!(width > 0 && height > 0, "resize target must be non-empty");
    let (w_in, h_in) = src.dimensions();
    if (w_in, h_in) == (width, height) {
        return src.clone();
    }
    let (wi, hi, wo, ho) = (
        w_in as usize,
        h_in as usize,
        width as usize,
        height as usize,
    );
    let data: &[f32] = src.as_raw();
    // Horizontal pass over every input row (Pillow restricts it to the rows the vertical
    // pass reads, which changes nothing numerically).
    let horizontal: Vec<f32> = if wi != wo {
        let coeffs = coefficients(wi, wo);
        let mut out = vec![0f32; wo * hi];
        for y in 0..hi {
            let row = &data[y * wi..(y + 1) * wi];
            for (xx, (xmin, k)) in coeffs.iter().enumerate() {
                let ss: f64 = k
                    .iter()
                    .zip(&row[*xmin..])
                    .fold(0.0, |acc, (&k, &v)| acc + f64::from(v) * k);
                out[y * wo + xx] = ss as f32;
            }
        }
        out
    } else {
        data.to_vec()
    };
    let result = if hi != ho {
        let coeffs = coefficients(hi, ho);
        let mut out = vec![0f32; wo * ho];
        for (yy, (ymin, k)) in coeffs.iter().enumerate() {
            for xx in 0..wo {
                let ss: f64 = k.iter().enumerate().fold(0.0, |acc, (j, &k)| {
                    acc + f64::from(horizontal[(ymin + j) * wo + xx]) * k
                });
                out[yy * wo + xx] = ss as f32;
            }
        }
        out
    } else {
        horizontal
    };
    FloatImage::from_raw(width, height, result).expect("buffer has width × height values")
}

/// Pillow's mode `'F'` → `'L'` conversion: `v ≤ 0 → 0`, `v ≥ 255 → 255`, otherwise truncation
/// toward zero (NaN gives 0).
pub fn f32_to_luma(v: f32) -> u8 {
    if v >= 255.0 {
        255
    } else if v > 0.0 {
        v as u8
    } else {
        0
    }
}

/// Converts a float image to 8-bit grey as Pillow's `convert('L')` does (see [`f32_to_luma`]).
pub fn to_luma8(src: &FloatImage) -> GrayImage {
    let (w, h) = src.dimensions();
    let data = src.as_raw().iter().map(|&v| f32_to_luma(v)).collect();
    GrayImage::from_raw(w, h, data).expect("same dimensions")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn constant(w: u32, h: u32, v: f32) -> FloatImage {
        FloatImage::from_pixel(w, h, Luma([v]))
    }

    #[test]
    fn constant_stays_constant() {
        let out = resize_lanczos(&constant(8, 8, 17.0), 61, 47);
        assert_eq!(out.dimensions(), (61, 47));
        assert!(out.as_raw().iter().all(|&v| (v - 17.0).abs() < 1e-4));
    }

    #[test]
    fn same_size_is_a_copy() {
        let img = FloatImage::from_fn(8, 8, |x, y| Luma([(x * 8 + y) as f32]));
        assert_eq!(resize_lanczos(&img, 8, 8), img);
    }

    #[test]
    fn weights_are_normalised_and_cover_the_input() {
        for (i, o) in [(8, 256), (8, 3), (299, 8)] {
            for (xmin, k) in coefficients(i, o) {
                assert!(xmin + k.len() <= i);
                assert!((k.iter().sum::<f64>() - 1.0).abs() < 1e-12);
            }
        }
    }

    #[test]
    fn luma_conversion_clips_and_truncates() {
        assert_eq!(f32_to_luma(-3.2), 0);
        assert_eq!(f32_to_luma(0.999), 0);
        assert_eq!(f32_to_luma(254.99), 254);
        assert_eq!(f32_to_luma(300.0), 255);
        assert_eq!(f32_to_luma(f32::NAN), 0);
    }
}
