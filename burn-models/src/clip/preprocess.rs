//! CLIP input preprocessing: resize the shorter side, centre-crop, normalise.
//!
//! Two conventions matter for CLIP-FID and give different numbers (about 1 % of the embedding):
//!
//! * [`ClipPreprocess::Seed`]: the paper's network, a torchvision `Resize(224, BICUBIC)` +
//!   `CenterCrop(224)` applied to a float tensor — `torch.nn.functional.interpolate(mode="bicubic",
//!   align_corners=False)`: Keys' cubic with `a = −0.75`, half-pixel centres, edge clamp, **no**
//!   antialiasing, no rounding between steps.
//! * [`ClipPreprocess::Clean`]: clean-fid's CLIP-FID (`cleanfid/clip_features.py`, `img_preprocess_clip`):
//!   the same torchvision transforms applied to a *PIL* image, i.e. Pillow's antialiased bicubic
//!   (`a = −0.5`, support widened by the downscale factor) in Pillow's 8-bit fixed-point arithmetic,
//!   rounded to `u8`, then `/255`.
//!
//! Both then subtract CLIP's mean and divide by its standard deviation.

use burn::tensor::{Device, Tensor, TensorData};

/// CLIP's per-channel RGB mean (OpenAI `clip/clip.py` `_transform`).
pub const CLIP_MEAN: [f32; 3] = [0.481_454_66, 0.457_827_5, 0.408_210_73];
/// CLIP's per-channel RGB standard deviation.
pub const CLIP_STD: [f32; 3] = [0.268_629_54, 0.261_302_6, 0.275_777_1];

/// How images are resized to the network's input size. See the [module docs](self).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Hash)]
pub enum ClipPreprocess {
    /// torch bicubic on floats, no antialias (the paper's `clip-vit_b32.pkl`, torchvision 0.9 on a GPU tensor).
    #[default]
    Seed,
    /// Pillow's antialiased bicubic on `u8` (clean-fid's CLIP-FID).
    Clean,
}

impl std::str::FromStr for ClipPreprocess {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.to_ascii_lowercase().as_str() {
            "seed" => Ok(Self::Seed),
            "clean" => Ok(Self::Clean),
            _ => Err(format!(
                "unknown CLIP preprocessing `{s}` (expected `seed` or `clean`)"
            )),
        }
    }
}

impl std::fmt::Display for ClipPreprocess {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::Seed => "seed",
            Self::Clean => "clean",
        })
    }
}

/// Where torchvision's `Resize(size)` + `CenterCrop(size)` take an `height × width` image.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ResizeCrop {
    /// Height after resizing (the shorter side becomes `size`).
    pub resized_height: usize,
    /// Width after resizing.
    pub resized_width: usize,
    /// First row of the crop in the resized image.
    pub top: usize,
    /// First column of the crop in the resized image.
    pub left: usize,
    /// Side of the square crop.
    pub size: usize,
}

impl ResizeCrop {
    /// torchvision's arithmetic: the longer side becomes `int(size · long / short)` (truncated), the
    /// crop offset `int(round((resized − size) / 2))` with Python's round-half-to-even.
    ///
    /// # Panics
    /// If a side is zero.
    pub fn new(height: usize, width: usize, size: usize) -> Self {
        assert!(
            height > 0 && width > 0 && size > 0,
            "empty image {height}×{width} or size {size}"
        );
        let (short, long) = if width <= height {
            (width, height)
        } else {
            (height, width)
        };
        let new_long = (size as f64 * long as f64 / short as f64) as usize;
        let (resized_width, resized_height) = if width <= height {
            (size, new_long)
        } else {
            (new_long, size)
        };
        let offset =
            |resized: usize| ((resized as f64 - size as f64) / 2.0).round_ties_even() as usize;
        Self {
            resized_height,
            resized_width,
            top: offset(resized_height),
            left: offset(resized_width),
            size,
        }
    }
}

/// Resizes, crops and normalises images for the network: `[batch, 3, H, W]` float values in `0..=255`
/// → `[batch, 3, size, size]` normalised with [`CLIP_MEAN`]/[`CLIP_STD`].
///
/// For [`ClipPreprocess::Clean`] the values are rounded to the nearest integer and clamped to `0..=255`
/// first (clean-fid works on `u8` images), and the resize runs on the host.
pub fn preprocess(images: Tensor<4>, mode: ClipPreprocess, size: usize) -> Tensor<4> {
    let device = images.device();
    let x01 = match mode {
        ClipPreprocess::Seed => {
            let [_, _, h, w] = images.dims();
            let plan = ResizeCrop::new(h, w, size);
            resize_crop_torch_bicubic(images.div_scalar(255.0), &plan)
        }
        ClipPreprocess::Clean => {
            let [batch, channels, h, w] = images.dims();
            let plan = ResizeCrop::new(h, w, size);
            let values = images
                .into_data()
                .convert::<f32>()
                .try_into_vec::<f32>()
                .unwrap_or_default();
            let u8s: Vec<u8> = values
                .iter()
                .map(|v| v.round().clamp(0.0, 255.0) as u8)
                .collect();
            let plane = h * w;
            let mut out = Vec::with_capacity(batch * channels * size * size);
            for img in u8s.chunks_exact(plane) {
                let resized =
                    resize_bicubic_pil_u8(img, h, w, plan.resized_height, plan.resized_width);
                for row in plan.top..plan.top + size {
                    let start = row * plan.resized_width + plan.left;
                    out.extend(resized[start..start + size].iter().map(|&v| v as f32));
                }
            }
            Tensor::<4>::from_data(TensorData::new(out, [batch, channels, size, size]), &device)
                .div_scalar(255.0)
        }
    };
    normalize(x01)
}

/// `(x − mean) / std` per RGB channel: `[batch, 3, H, W] → [batch, 3, H, W]`.
pub fn normalize(x01: Tensor<4>) -> Tensor<4> {
    let device = x01.device();
    let mean = Tensor::<1>::from_floats(CLIP_MEAN, &device).reshape([1, 3, 1, 1]);
    let std = Tensor::<1>::from_floats(CLIP_STD, &device).reshape([1, 3, 1, 1]);
    (x01 - mean) / std
}

/// torch's bicubic resize followed by the centre crop, as two matrix products:
/// `[batch, C, H, W] → [batch, C, size, size]`. Only the rows and columns that survive the crop are
/// computed.
pub fn resize_crop_torch_bicubic(x: Tensor<4>, plan: &ResizeCrop) -> Tensor<4> {
    let [_, _, h, w] = x.dims();
    let rows = torch_bicubic_matrix(h, plan.resized_height, plan.top, plan.size);
    let cols = torch_bicubic_matrix(w, plan.resized_width, plan.left, plan.size);
    apply_separable(x, rows, cols)
}

/// `torch.nn.functional.interpolate(x, size=(out_h, out_w), mode="bicubic", align_corners=False)`:
/// `[batch, C, H, W] → [batch, C, out_h, out_w]`.
pub fn resize_torch_bicubic(x: Tensor<4>, out_h: usize, out_w: usize) -> Tensor<4> {
    let [_, _, h, w] = x.dims();
    let rows = torch_bicubic_matrix(h, out_h, 0, out_h);
    let cols = torch_bicubic_matrix(w, out_w, 0, out_w);
    apply_separable(x, rows, cols)
}

/// A separable linear map given by `rows` (`[out_h, H]`) and `cols` (`[out_w, W]`), row-major on the host:
/// `out = rows · x · colsᵀ` for every image plane.
fn apply_separable(x: Tensor<4>, rows: HostMatrix, cols: HostMatrix) -> Tensor<4> {
    let [batch, channels, h, w] = x.dims();
    let device = x.device();
    let (out_h, out_w) = (rows.out, cols.out);
    let planes = batch * channels;
    let cols_t = cols.transposed_tensor(&device); // [W, out_w]
    let rows_t = rows.transposed_tensor(&device); // [H, out_h]
    let y = x.reshape([planes * h, w]).matmul(cols_t); // [planes·H, out_w]
    let y = y
        .reshape([planes, h, out_w])
        .swap_dims(1, 2)
        .reshape([planes * out_w, h]);
    let y = y.matmul(rows_t); // [planes·out_w, out_h]
    y.reshape([planes, out_w, out_h])
        .swap_dims(1, 2)
        .reshape([batch, channels, out_h, out_w])
}

/// A dense `[out, input]` interpolation matrix built on the host.
struct HostMatrix {
    out: usize,
    input: usize,
    values: Vec<f32>,
}

impl HostMatrix {
    fn transposed_tensor(&self, device: &Device) -> Tensor<2> {
        Tensor::<2>::from_data(
            TensorData::new(self.values.clone(), [self.out, self.input]),
            device,
        )
        .transpose()
    }
}

/// torch's cubic convolution coefficients for fractional offset `t`, `A = −0.75`
/// (`aten/src/ATen/native/UpSample.h`, `get_cubic_upsample_coefficients`), in f32 like torch's f32 kernel.
fn torch_cubic_coefficients(t: f32) -> [f32; 4] {
    const A: f32 = -0.75;
    let conv1 = |x: f32| ((A + 2.0) * x - (A + 3.0)) * x * x + 1.0;
    let conv2 = |x: f32| ((A * x - 5.0 * A) * x + 8.0 * A) * x - 4.0 * A;
    let x2 = 1.0 - t;
    [conv2(t + 1.0), conv1(t), conv1(x2), conv2(x2 + 1.0)]
}

/// Rows `first..first + count` of the `[out_size, in_size]` matrix of torch's bicubic resize along one axis:
/// source coordinate `(i + 0.5) · in/out − 0.5` (f32), taps `⌊·⌋ − 1 ..= ⌊·⌋ + 2` clamped to the edge.
fn torch_bicubic_matrix(in_size: usize, out_size: usize, first: usize, count: usize) -> HostMatrix {
    let scale = in_size as f32 / out_size as f32;
    let mut values = vec![0f32; count * in_size];
    for (r, i) in (first..first + count).enumerate() {
        let real = scale * (i as f32 + 0.5) - 0.5;
        let floor = real.floor();
        let coeffs = torch_cubic_coefficients(real - floor);
        for (k, c) in coeffs.iter().enumerate() {
            let idx = (floor as i64 - 1 + k as i64).clamp(0, in_size as i64 - 1) as usize;
            values[r * in_size + idx] += c;
        }
    }
    HostMatrix {
        out: count,
        input: in_size,
        values,
    }
}

/// Pillow's bicubic filter, `a = −0.5` (`src/libImaging/Resample.c`, `bicubic_filter`).
fn pil_bicubic(x: f64) -> f64 {
    const A: f64 = -0.5;
    let x = x.abs();
    if x < 1.0 {
        ((A + 2.0) * x - (A + 3.0)) * x * x + 1.0
    } else if x < 2.0 {
        (((x - 5.0) * x + 8.0) * x - 4.0) * A
    } else {
        0.0
    }
}

/// Fixed-point precision of Pillow's 8-bit resampling (`PRECISION_BITS = 32 − 8 − 2`).
const PIL_PRECISION_BITS: u32 = 22;

/// One axis of Pillow's resampling: for each output index, the first input index and the fixed-point
/// coefficients (`precompute_coeffs` + `normalize_coeffs_8bpc`).
fn pil_coefficients(in_size: usize, out_size: usize) -> Vec<(usize, Vec<i32>)> {
    let scale = in_size as f64 / out_size as f64;
    let filterscale = scale.max(1.0);
    let support = 2.0 * filterscale;
    let ss = 1.0 / filterscale;
    let one = f64::from(1u32 << PIL_PRECISION_BITS);
    (0..out_size)
        .map(|xx| {
            let center = (xx as f64 + 0.5) * scale;
            // C's `(int)` truncates toward zero; the results are then clamped to the image.
            let xmin = ((center - support + 0.5) as i64).max(0) as usize;
            let xmax = ((center + support + 0.5) as i64).min(in_size as i64) as usize;
            let weights: Vec<f64> = (xmin..xmax)
                .map(|x| pil_bicubic((x as f64 - center + 0.5) * ss))
                .collect();
            let total: f64 = weights.iter().sum();
            let fixed = weights
                .iter()
                .map(|&w| {
                    let k = if total != 0.0 { w / total } else { w };
                    if k < 0.0 {
                        (-0.5 + k * one) as i32
                    } else {
                        (0.5 + k * one) as i32
                    }
                })
                .collect();
            (xmin, fixed)
        })
        .collect()
}

/// Pillow's `clip8`: fixed-point sum → `u8`, saturating.
fn pil_clip8(acc: i32) -> u8 {
    (acc >> PIL_PRECISION_BITS).clamp(0, 255) as u8
}

/// `PIL.Image.resize((out_w, out_h), Image.BICUBIC)` of one 8-bit plane (`height × width`, row-major):
/// antialiased bicubic, horizontal pass then vertical pass, each rounded to `u8` as Pillow does
/// (`ImagingResampleInner`). Bit-exact with Pillow 13 for the aspect-preserving resizes of CLIP's
/// preprocessing (tests `clean_resize_matches_pillow_exactly`, `generic_resizes_match_torch_and_pillow`).
///
/// Known deviation: for some resizes Pillow 13 runs the vertical pass first (observed when one axis
/// shrinks and the other grows, e.g. 37×53 → 29×71, and for 1000×333 → 672×224; the test reproduces it
/// exactly with the passes swapped). Its rule is not in the Pillow sources we could read; where it applies,
/// the intermediate `u8` rounding and clipping differ and so do some output pixels.
///
/// # Panics
/// If `plane.len() != height · width` or a size is zero.
pub fn resize_bicubic_pil_u8(
    plane: &[u8],
    height: usize,
    width: usize,
    out_h: usize,
    out_w: usize,
) -> Vec<u8> {
    assert_eq!(plane.len(), height * width, "plane is not {height}×{width}");
    assert!(out_h > 0 && out_w > 0, "empty output size {out_h}×{out_w}");
    let half = 1i32 << (PIL_PRECISION_BITS - 1);
    let horizontal = if out_w != width {
        let coeffs = pil_coefficients(width, out_w);
        let mut out = vec![0u8; height * out_w];
        for y in 0..height {
            let row = &plane[y * width..(y + 1) * width];
            for (x, (xmin, k)) in coeffs.iter().enumerate() {
                let acc = k
                    .iter()
                    .zip(&row[*xmin..])
                    .fold(half, |acc, (&k, &p)| acc + i32::from(p) * k);
                out[y * out_w + x] = pil_clip8(acc);
            }
        }
        out
    } else {
        plane.to_vec()
    };
    if out_h == height {
        return horizontal;
    }
    let coeffs = pil_coefficients(height, out_h);
    let mut out = vec![0u8; out_h * out_w];
    for (y, (ymin, k)) in coeffs.iter().enumerate() {
        for x in 0..out_w {
            let acc = k.iter().enumerate().fold(half, |acc, (j, &k)| {
                acc + i32::from(horizontal[(ymin + j) * out_w + x]) * k
            });
            out[y * out_w + x] = pil_clip8(acc);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn torchvision_resize_crop_arithmetic() {
        // 256² → 224², crop at 0.
        assert_eq!(
            ResizeCrop::new(256, 256, 224),
            ResizeCrop {
                resized_height: 224,
                resized_width: 224,
                top: 0,
                left: 0,
                size: 224
            }
        );
        // 213 × 320: width = int(224·320/213) = 336, left = round(56.0) = 56.
        let p = ResizeCrop::new(213, 320, 224);
        assert_eq!(
            (p.resized_height, p.resized_width, p.top, p.left),
            (224, 336, 0, 56)
        );
        // Odd margins round half to even: 225 → offset round(0.5) = 0, 227 → round(1.5) = 2.
        assert_eq!(ResizeCrop::new(225, 224, 224).top, 0);
        assert_eq!(ResizeCrop::new(227, 224, 224).top, 2);
    }

    #[test]
    fn torch_matrix_rows_sum_to_one_and_identity_at_scale_one() {
        let m = torch_bicubic_matrix(37, 29, 0, 29);
        for r in m.values.chunks(37) {
            assert!((r.iter().sum::<f32>() - 1.0).abs() < 1e-6);
        }
        let id = torch_bicubic_matrix(5, 5, 0, 5);
        for i in 0..5 {
            for j in 0..5 {
                assert_eq!(id.values[i * 5 + j], if i == j { 1.0 } else { 0.0 });
            }
        }
    }

    #[test]
    fn pil_resize_keeps_constant_planes() {
        let plane = vec![77u8; 40 * 30];
        assert!(
            resize_bicubic_pil_u8(&plane, 30, 40, 7, 13)
                .iter()
                .all(|&v| v == 77)
        );
        assert!(
            resize_bicubic_pil_u8(&plane, 30, 40, 61, 90)
                .iter()
                .all(|&v| v == 77)
        );
    }
}
