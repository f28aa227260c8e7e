//! Input pipelines of the FID Inception: images of any size, values 0..255 → `[B, 3, 299, 299]` in `[-1, 1]`.
//!
//! The two pipelines differ by up to a few tenths in pool3 on the same weights, so every statistics file must say
//! which one it used:
//!
//! * [`Preprocess::Tf`] (default; NVIDIA / TF / torch-fidelity / the paper's network): TF1 `resize_bilinear`
//!   with `align_corners=False` and no half-pixel centres (output pixel `j` samples source coordinate
//!   `j·in/out`, clamped at the border, no antialiasing) on the 0..255 values, then `(x − 128) / 128`.
//!   Reproduces torch-fidelity 0.4.0 `interpolate_compat_tensorflow.py`
//!   (`interpolate_bilinear_2d_like_tensorflow1x`, `method="slow"`) and `feature_extractor_inceptionv3.py`.
//! * [`Preprocess::PytorchFid`]: `x / 255`, torch bilinear with half-pixel centres (`align_corners=False`,
//!   source coordinate `(j + ½)·in/out − ½`, clamped at 0), then `2x − 1`. Reproduces pytorch-fid 0.3.0
//!   `InceptionV3.forward` (`F.interpolate(..., mode='bilinear', align_corners=False)`).
//!
//! Both are gathers plus linear interpolation written with tensor ops, so they run on every backend.

use std::fmt;
use std::str::FromStr;

use burn::tensor::{Device, Int, Tensor, TensorData};

/// Side of the square input of the Inception network.
pub const INPUT_SIZE: usize = 299;

/// How images are resized and normalised before the network.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, Default, serde::Serialize, serde::Deserialize,
)]
pub enum Preprocess {
    /// TF1 bilinear resize (`j·in/out`, border clamp, no antialias), then `(x − 128) / 128`. NVIDIA, torch-fidelity
    /// and the paper's network use this one.
    #[default]
    #[serde(rename = "tf")]
    Tf,
    /// `x / 255`, torch bilinear with half-pixel centres, then `2x − 1`, as pytorch-fid.
    #[serde(rename = "pytorch-fid")]
    PytorchFid,
}

/// A preprocessing name that is neither `tf` nor `pytorch-fid`.
#[derive(Debug, thiserror::Error)]
#[error("unknown preprocessing `{0}`: expected `tf` or `pytorch-fid`")]
pub struct UnknownPreprocess(pub String);

impl Preprocess {
    /// Both pipelines, default first.
    pub const ALL: [Preprocess; 2] = [Preprocess::Tf, Preprocess::PytorchFid];

    /// The name used on the command line and in statistics files (`tf`, `pytorch-fid`).
    pub fn name(self) -> &'static str {
        match self {
            Preprocess::Tf => "tf",
            Preprocess::PytorchFid => "pytorch-fid",
        }
    }

    /// Resizes and normalises images.
    ///
    /// `images`: `[B, 3, H, W]`, float values in `0..=255` (any `H`, `W` ≥ 1) → `[B, 3, 299, 299]` in `[-1, 1]`.
    pub fn apply(self, images: Tensor<4>) -> Tensor<4> {
        let [_, channels, _, _] = images.dims();
        assert_eq!(
            channels, 3,
            "Inception expects RGB images [B, 3, H, W], got {channels} channels"
        );
        match self {
            Preprocess::Tf => resize_bilinear(images, INPUT_SIZE, INPUT_SIZE, Sampling::Tf1)
                .sub_scalar(128.0)
                .div_scalar(128.0),
            Preprocess::PytorchFid => resize_bilinear(
                images.div_scalar(255.0),
                INPUT_SIZE,
                INPUT_SIZE,
                Sampling::HalfPixel,
            )
            .mul_scalar(2.0)
            .sub_scalar(1.0),
        }
    }
}

impl fmt::Display for Preprocess {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Preprocess {
    type Err = UnknownPreprocess;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "tf" | "tf1" | "tensorflow" => Ok(Preprocess::Tf),
            "pytorch-fid" | "pytorch_fid" | "pytorch" => Ok(Preprocess::PytorchFid),
            _ => Err(UnknownPreprocess(s.to_string())),
        }
    }
}

/// Where output pixel `j` samples the input.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sampling {
    /// TF1 `resize_bilinear(align_corners=False, half_pixel_centers=False)`: `j·in/out`; linear interpolation as
    /// `a + (b − a)·t`.
    Tf1,
    /// torch `interpolate(mode='bilinear', align_corners=False)`: `(j + ½)·in/out − ½`, clamped at 0;
    /// interpolation as `a·(1 − t) + b·t`.
    HalfPixel,
}

/// For each output index along one axis: the two source indices and the weight of the second.
#[derive(Debug, Clone, PartialEq)]
pub struct Taps {
    /// Lower source index.
    pub lo: Vec<i64>,
    /// Upper source index (`lo + 1`, clamped to the last pixel).
    pub hi: Vec<i64>,
    /// Weight of `hi`, in `[0, 1)`.
    pub frac: Vec<f32>,
}

impl Taps {
    /// The taps from `input` to `output` samples, in f32 arithmetic as the references compute them.
    pub fn new(input: usize, output: usize, sampling: Sampling) -> Self {
        let last = input as i64 - 1;
        let (mut lo, mut hi, mut frac) = (Vec::new(), Vec::new(), Vec::new());
        for j in 0..output {
            let src = match sampling {
                // torch-fidelity: `arange(out, float32) * tensor(in / out, float32)` (the ratio computed in f64).
                Sampling::Tf1 => j as f32 * (input as f64 / output as f64) as f32,
                // ATen `area_pixel_compute_source_index`: `scale * (j + 0.5) - 0.5`, scale = `(float)in / out`.
                Sampling::HalfPixel => {
                    ((input as f32 / output as f32) * (j as f32 + 0.5) - 0.5).max(0.0)
                }
            };
            let l = (src.floor() as i64).min(last);
            lo.push(l);
            hi.push((l + 1).min(last));
            frac.push((src - l as f32).clamp(0.0, 1.0));
        }
        Self { lo, hi, frac }
    }
}

/// Bilinear resize `[B, C, H, W] → [B, C, out_h, out_w]` with the given sampling convention (no antialiasing).
pub fn resize_bilinear(x: Tensor<4>, out_h: usize, out_w: usize, sampling: Sampling) -> Tensor<4> {
    let [_, _, h, w] = x.dims();
    if h == out_h && w == out_w {
        // Both conventions sample exactly the input pixels here (TF1: j·1, half-pixel: (j+½)·1−½).
        return x;
    }
    let device = x.device();
    let ty = Taps::new(h, out_h, sampling);
    let tx = Taps::new(w, out_w, sampling);
    let index =
        |v: &[i64]| Tensor::<1, Int>::from_data(TensorData::new(v.to_vec(), [v.len()]), &device);
    let weight = |v: &[f32], shape: [usize; 4]| {
        Tensor::<1>::from_data(TensorData::new(v.to_vec(), [v.len()]), &device).reshape(shape)
    };

    // Rows first, then columns, as torch-fidelity's `resample_manually`.
    let rows_lo = x.clone().select(2, index(&ty.lo));
    let rows_hi = x.select(2, index(&ty.hi));
    let (x_lo, x_hi) = (index(&tx.lo), index(&tx.hi));
    let dx = weight(&tx.frac, [1, 1, 1, out_w]);
    let dy = weight(&ty.frac, [1, 1, out_h, 1]);
    let top = lerp(
        rows_lo.clone().select(3, x_lo.clone()),
        rows_lo.select(3, x_hi.clone()),
        dx.clone(),
        sampling,
    );
    let bottom = lerp(
        rows_hi.clone().select(3, x_lo),
        rows_hi.select(3, x_hi),
        dx,
        sampling,
    );
    lerp(top, bottom, dy, sampling)
}

fn lerp(a: Tensor<4>, b: Tensor<4>, t: Tensor<4>, sampling: Sampling) -> Tensor<4> {
    match sampling {
        Sampling::Tf1 => a.clone() + (b - a) * t,
        Sampling::HalfPixel => a * (t.clone().neg().add_scalar(1.0)) + b * t,
    }
}

/// A problem with image bytes handed to the network.
#[derive(Debug, thiserror::Error)]
pub enum InputError {
    /// The byte count does not match the shape.
    #[error("image buffer has {got} bytes, but shape {shape:?} needs {expected}")]
    Length {
        /// Shape given.
        shape: Vec<usize>,
        /// Bytes the shape needs.
        expected: usize,
        /// Bytes given.
        got: usize,
    },
    /// Not `[B, 3, H, W]` with non-zero sizes.
    #[error("images must be [batch, 3, height, width] with non-zero sizes, got {0:?}")]
    Shape(Vec<usize>),
    /// Neither u8 nor float data.
    #[error("images must be u8 or float values in 0..=255, got {0:?}")]
    DType(burn::tensor::DType),
}

/// Images as a float tensor `[B, 3, H, W]` (values 0..=255) from u8 bytes in NCHW order.
pub fn images_from_u8(
    bytes: &[u8],
    shape: [usize; 4],
    device: &Device,
) -> Result<Tensor<4>, InputError> {
    let expected = shape.iter().product::<usize>();
    if bytes.len() != expected {
        return Err(InputError::Length {
            shape: shape.to_vec(),
            expected,
            got: bytes.len(),
        });
    }
    images_from_data(TensorData::new(bytes.to_vec(), shape), device)
}

/// Images as a float tensor `[B, 3, H, W]` (values 0..=255) from u8 or float [`TensorData`] in NCHW order.
pub fn images_from_data(data: TensorData, device: &Device) -> Result<Tensor<4>, InputError> {
    let dims = data.shape().to_vec();
    if dims.len() != 4 || dims[1] != 3 || dims.contains(&0) {
        return Err(InputError::Shape(dims));
    }
    if !(data.dtype().is_float() || data.dtype() == burn::tensor::DType::U8) {
        return Err(InputError::DType(data.dtype()));
    }
    Ok(Tensor::<4>::from_data(data.convert::<f32>(), device))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for p in Preprocess::ALL {
            assert_eq!(p.name().parse::<Preprocess>().unwrap(), p);
        }
        assert!(
            "bicubic"
                .parse::<Preprocess>()
                .unwrap_err()
                .to_string()
                .contains("pytorch-fid")
        );
        assert_eq!(Preprocess::default(), Preprocess::Tf);
    }

    /// TF1 samples `j·in/out`: 4 → 3 takes 0, 4/3, 8/3.
    #[test]
    fn tf1_taps_follow_j_times_scale() {
        let t = Taps::new(4, 3, Sampling::Tf1);
        assert_eq!(t.lo, vec![0, 1, 2]);
        assert_eq!(t.hi, vec![1, 2, 3]);
        assert!((t.frac[1] - 1.0 / 3.0).abs() < 1e-6 && (t.frac[2] - 2.0 / 3.0).abs() < 1e-6);
        // Upsampling 2 → 4: 0, 0.5, 1, 1.5 → the last tap clamps to the border.
        let t = Taps::new(2, 4, Sampling::Tf1);
        assert_eq!(t.lo, vec![0, 0, 1, 1]);
        assert_eq!(t.hi, vec![1, 1, 1, 1]);
    }

    /// Half-pixel: 2 → 4 samples −0.25 (clamped to 0), 0.25, 0.75, 1.25.
    #[test]
    fn half_pixel_taps_clamp_at_zero() {
        let t = Taps::new(2, 4, Sampling::HalfPixel);
        assert_eq!(t.lo, vec![0, 0, 0, 1]);
        assert_eq!(t.hi, vec![1, 1, 1, 1]);
        assert_eq!(t.frac, vec![0.0, 0.25, 0.75, 0.25]);
    }

    #[test]
    fn bad_buffers_are_errors() {
        let device = Device::flex();
        assert!(matches!(
            images_from_u8(&[0; 5], [1, 3, 1, 2], &device),
            Err(InputError::Length { .. })
        ));
        assert!(matches!(
            images_from_u8(&[0; 4], [1, 1, 2, 2], &device),
            Err(InputError::Shape(_))
        ));
        let x = images_from_u8(&[0, 255, 7, 8, 9, 10], [1, 3, 1, 2], &device).unwrap();
        assert_eq!(
            x.into_data().try_to_vec::<f32>().unwrap(),
            vec![0.0, 255.0, 7.0, 8.0, 9.0, 10.0]
        );
    }
}
