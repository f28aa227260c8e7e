//! The tensor operations of StyleGAN2-ADA: `bias_act`, `upfirdn2d`, `conv2d_resample` and
//! `modulated_conv2d`, with the semantics of NVlabs' reference (non-CUDA) implementations in
//! `torch_utils/ops/{bias_act,upfirdn2d,conv2d_resample}.py` and `training/networks.py` at `d72cc7d`.

use burn::tensor::module::{conv_transpose2d, conv2d};
use burn::tensor::ops::{ConvOptions, ConvTransposeOptions};
use burn::tensor::{Tensor, TensorData, activation};
use serde::{Deserialize, Serialize};

/// Activation functions of `bias_act.activation_funcs` that the generator can use.
///
/// Each has the reference's default gain (`def_gain`), applied after the function:
/// √2 for `relu`, `lrelu` (slope 0.2) and `swish`, 1 otherwise.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Activation {
    /// Identity.
    Linear,
    /// `max(x, 0)`.
    Relu,
    /// Leaky ReLU with slope 0.2.
    Lrelu,
    /// Hyperbolic tangent.
    Tanh,
    /// Logistic sigmoid.
    Sigmoid,
    /// `sigmoid(x) · x`.
    Swish,
}

impl Activation {
    /// The name NVlabs uses (`"lrelu"`, …).
    pub fn name(self) -> &'static str {
        match self {
            Self::Linear => "linear",
            Self::Relu => "relu",
            Self::Lrelu => "lrelu",
            Self::Tanh => "tanh",
            Self::Sigmoid => "sigmoid",
            Self::Swish => "swish",
        }
    }

    /// `def_gain` of the reference.
    pub fn default_gain(self) -> f64 {
        match self {
            Self::Relu | Self::Lrelu | Self::Swish => std::f64::consts::SQRT_2,
            _ => 1.0,
        }
    }

    fn apply<const D: usize>(self, x: Tensor<D>) -> Tensor<D> {
        match self {
            Self::Linear => x,
            Self::Relu => activation::relu(x),
            Self::Lrelu => activation::leaky_relu(x, 0.2),
            Self::Tanh => x.tanh(),
            Self::Sigmoid => activation::sigmoid(x),
            Self::Swish => activation::silu(x),
        }
    }
}

/// `bias_act(x, b, dim=1, act, gain, clamp)`: `clamp(act(x + b) · gain, ±clamp)`.
///
/// `x`: `[batch, channels, ...]` (rank 2 or 4); `bias`: `[channels]`. The gain multiplies in f32,
/// as PyTorch does for a Python-float scalar; a gain of exactly 1 is skipped, as in the reference.
pub fn bias_act<const D: usize>(
    x: Tensor<D>,
    bias: Option<Tensor<1>>,
    act: Activation,
    gain: f64,
    clamp: Option<f64>,
) -> Tensor<D> {
    let mut x = x;
    if let Some(b) = bias {
        let mut shape = [1usize; D];
        shape[1] = b.dims()[0];
        x = x + b.reshape(shape);
    }
    x = act.apply(x);
    if gain != 1.0 {
        x = x.mul_scalar(gain as f32);
    }
    if let Some(c) = clamp {
        x = x.clamp(-(c as f32), c as f32);
    }
    x
}

/// `normalize_2nd_moment(x, dim=1)`: `x · rsqrt(mean(x², dim 1) + 1e-8)`. `[batch, n] → [batch, n]`.
pub fn normalize_2nd_moment(x: Tensor<2>) -> Tensor<2> {
    let scale = (x.clone().square().mean_dim(1) + 1e-8).sqrt().recip();
    x * scale
}

/// A 2-D FIR filter prepared like `upfirdn2d.setup_filter` (outer product of the taps, normalised
/// to sum 1, in f32) for filters of fewer than 8 taps, the only ones the generator uses.
#[derive(Debug, Clone, PartialEq)]
pub struct Fir {
    /// Row-major `[taps, taps]` values.
    pub values: Vec<f32>,
    /// Number of taps per dimension (the filter is square).
    pub taps: usize,
}

impl Fir {
    /// `setup_filter(taps)`: `f ⊗ f / sum(f ⊗ f)`, computed in f32 like the reference.
    pub fn new(taps: &[f64]) -> Self {
        let f: Vec<f32> = taps.iter().map(|&t| t as f32).collect();
        let outer: Vec<f32> = f
            .iter()
            .flat_map(|&a| f.iter().map(move |&b| a * b))
            .collect();
        let sum: f32 = outer.iter().sum();
        Self {
            values: outer.iter().map(|v| v / sum).collect(),
            taps: f.len(),
        }
    }

    /// The `resample_filter` buffer the reference stores for this filter (`[taps, taps]`).
    pub fn to_data(&self) -> TensorData {
        TensorData::new(self.values.clone(), [self.taps, self.taps])
    }
}

/// `upfirdn2d(x, f, up, down=1, padding=[x0, x1, y0, y1], flip_filter=False, gain)`.
///
/// Zero-insertion up-sampling by `up`, zero padding (negative values crop), then a true
/// convolution (the filter flipped) with `f · gain`, per channel.
/// `[batch, channels, h, w] → [batch, channels, h·up + y0 + y1 − taps + 1, w·up + x0 + x1 − taps + 1]`.
pub fn upfirdn2d(x: Tensor<4>, f: &Fir, up: usize, padding: [i64; 4], gain: f64) -> Tensor<4> {
    let [n, c, h, w] = x.dims();
    let device = x.device();
    let mut x = x;
    if up > 1 {
        let x6: Tensor<6> = x.reshape([n, c, h, 1, w, 1]);
        let zeros_x = Tensor::<6>::zeros([n, c, h, 1, w, up - 1], &device);
        let x6 = Tensor::cat(vec![x6, zeros_x], 5);
        let zeros_y = Tensor::<6>::zeros([n, c, h, up - 1, w, up], &device);
        x = Tensor::cat(vec![x6, zeros_y], 3).reshape([n, c, h * up, w * up]);
    }
    let [x0, x1, y0, y1] = padding;
    // Negative padding crops before filtering.
    let crop = |x: Tensor<4>, dim: usize, before: i64, after: i64| {
        let len = x.dims()[dim];
        let start = (-before).max(0) as usize;
        let end = len - (-after).max(0) as usize;
        if start == 0 && end == len {
            x
        } else {
            x.narrow(dim, start, end - start)
        }
    };
    x = crop(x, 2, y0, y1);
    x = crop(x, 3, x0, x1);
    let k = f.taps;
    // f · gain^(ndim/2) with ndim = 2, flipped for a true convolution.
    let scaled: Vec<f32> = f.values.iter().rev().map(|v| v * gain as f32).collect();
    let weight = Tensor::<1>::from_data(TensorData::new(scaled, [k * k]), &device)
        .reshape([1, 1, k, k])
        .repeat_dim(0, c);
    let pad = |p: i64| p.max(0) as usize;
    let options =
        ConvOptions::new_with_padding([1, 1], [(pad(y0), pad(y1)), (pad(x0), pad(x1))], [1, 1], c);
    conv2d(x, weight, None, options)
}

/// `upfirdn2d.upsample2d(x, f, up=2)`: up-sampling by 2 with the low-pass filter, gain 4.
/// `[batch, channels, h, w] → [batch, channels, 2h, 2w]`.
pub fn upsample2d(x: Tensor<4>, f: &Fir) -> Tensor<4> {
    let (up, fw) = (2i64, f.taps as i64);
    let p0 = (fw + up - 1) / 2;
    let p1 = (fw - up) / 2;
    upfirdn2d(x, f, 2, [p0, p1, p0, p1], (up * up) as f64)
}

/// `conv2d_resample(x, w, f, up, down=1, padding, groups=1, flip_weight)`.
///
/// `x`: `[batch, in, h, w]`, `weight`: `[out, in, k, k]` → `[batch, out, h·up, w·up]` (for the
/// "same" padding `k / 2` the generator uses). `flip_weight = false` makes it a true convolution.
pub fn conv2d_resample(
    x: Tensor<4>,
    weight: Tensor<4>,
    f: &Fir,
    up: usize,
    padding: usize,
    flip_weight: bool,
) -> Tensor<4> {
    let [_, _, kh, kw] = weight.dims();
    let (fw, upi) = (f.taps as i64, up as i64);
    let (mut p0, mut p1) = (padding as i64, padding as i64);
    if up > 1 {
        p0 += (fw + upi - 1) / 2;
        p1 += (fw - upi) / 2;
    }
    let conv = |x: Tensor<4>, w: Tensor<4>, pad: usize, flip: bool| {
        let w = if flip { w } else { w.flip([2, 3]) };
        conv2d(x, w, None, ConvOptions::new([1, 1], [pad, pad], [1, 1], 1))
    };
    if up == 1 {
        assert!(p0 >= 0, "conv2d_resample: negative padding");
        return conv(x, weight, p0 as usize, flip_weight);
    }
    assert_eq!(kh, kw, "conv2d_resample: square kernels only");
    let k = kw as i64;
    if k == 1 {
        // 1×1 kernel: convolve at the low resolution, then up-sample with the filter.
        let x = conv(x, weight, 0, flip_weight);
        return upfirdn2d(x, f, up, [p0, p1, p0, p1], (upi * upi) as f64);
    }
    // Transposed convolution (stride `up`), then the low-pass filter.
    p0 -= k - 1;
    p1 -= k - upi;
    let pt = (-p0).min(-p1).max(0);
    let w = weight.swap_dims(0, 1);
    // The wrapper flips when `not flip_weight` is false.
    let w = if flip_weight { w.flip([2, 3]) } else { w };
    let options = ConvTransposeOptions::new([up, up], [pt as usize; 2], [0, 0], [1, 1], 1);
    let x = conv_transpose2d(x, w, None, options);
    let pad = [p0 + pt, p1 + pt, p0 + pt, p1 + pt];
    upfirdn2d(x, f, 1, pad, (upi * upi) as f64)
}

/// `modulated_conv2d` with `fused_modconv=False`: scale the activations by the styles, convolve with
/// the shared weight, then scale by the demodulation coefficients and add the noise.
///
/// The reference fuses these into one grouped convolution for FP32 inference; the two are the
/// same function (differences at f32 rounding level) and the unfused form runs the whole batch
/// through one convolution.
///
/// `x`: `[batch, in, h, w]`, `weight`: `[out, in, k, k]`, `styles`: `[batch, in]`,
/// `noise`: broadcastable to the output → `[batch, out, h·up, w·up]`.
#[allow(clippy::too_many_arguments)]
pub fn modulated_conv2d(
    x: Tensor<4>,
    weight: Tensor<4>,
    styles: Tensor<2>,
    noise: Option<Tensor<4>>,
    up: usize,
    padding: usize,
    f: &Fir,
    demodulate: bool,
    flip_weight: bool,
) -> Tensor<4> {
    let [batch, in_channels] = styles.dims();
    let [out_channels, ..] = weight.dims();
    // dcoefs[n, o] = rsqrt(Σ_{i,k} (weight[o,i,k] · styles[n,i])² + 1e-8)
    //             = rsqrt(styles² @ Σ_k weight[o,i,k]²ᵀ + 1e-8).
    let dcoefs = demodulate.then(|| {
        let w2 = weight
            .clone()
            .square()
            .sum_dim(3)
            .sum_dim(2)
            .reshape([out_channels, in_channels]);
        (styles.clone().square().matmul(w2.transpose()) + 1e-8)
            .sqrt()
            .recip()
    });
    let x = x * styles.reshape([batch, in_channels, 1, 1]);
    let mut x = conv2d_resample(x, weight, f, up, padding, flip_weight);
    if let Some(d) = dcoefs {
        x = x * d.reshape([batch, out_channels, 1, 1]);
    }
    match noise {
        Some(noise) => x + noise,
        None => x,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::device::test_device;

    #[test]
    fn setup_filter_matches_reference() {
        let f = Fir::new(&[1.0, 3.0, 3.0, 1.0]);
        assert_eq!(f.taps, 4);
        assert_eq!(f.values[0], 1.0 / 64.0);
        assert_eq!(f.values[5], 9.0 / 64.0);
        assert_eq!(f.values.iter().sum::<f32>(), 1.0);
    }

    /// Up-sampling a constant image keeps the constant away from the borders (gain 4 undoes the
    /// zero insertion).
    #[test]
    fn upsample2d_preserves_constants_inside() {
        let device = test_device();
        let x = Tensor::<4>::ones([1, 2, 4, 4], &device);
        let y = upsample2d(x, &Fir::new(&[1.0, 3.0, 3.0, 1.0]));
        assert_eq!(y.dims(), [1, 2, 8, 8]);
        let v: Vec<f32> = y.into_data().try_into_vec_as().unwrap();
        let inner = v[8 * 3 + 3];
        assert!((inner - 1.0).abs() < 1e-6, "{inner}");
        // Corner: taps 3/4 of the row and column sums survive the zero padding.
        assert!((v[0] - 0.5625).abs() < 1e-6, "{}", v[0]);
    }

    /// The transposed-convolution path gives the same result as zero insertion + padding + a
    /// plain convolution with the flipped kernel (the definition of `up` in conv2d_resample).
    #[test]
    fn conv_up_matches_definition() {
        let device = test_device();
        let vals = |n: usize, s: u64| crate::seeded::unit_values("t", s, n);
        let x = Tensor::<1>::from_data(TensorData::new(vals(2 * 3 * 5 * 5, 1), [150]), &device)
            .reshape([2, 3, 5, 5]);
        let w = Tensor::<1>::from_data(TensorData::new(vals(4 * 3 * 9, 2), [108]), &device)
            .reshape([4, 3, 3, 3]);
        let f = Fir::new(&[1.0, 3.0, 3.0, 1.0]);
        let fast = conv2d_resample(x.clone(), w.clone(), &f, 2, 1, false);
        // Definition: upfirdn2d(x, f, up=2, pad) then a true convolution (flip_weight=False).
        let (p0, p1) = (1 + 2, 1 + 1);
        let up = upfirdn2d(x, &f, 2, [p0, p1, p0, p1], 4.0);
        let slow = conv2d(
            up,
            w.flip([2, 3]),
            None,
            ConvOptions::new([1, 1], [0, 0], [1, 1], 1),
        );
        assert_eq!(fast.dims(), [2, 4, 10, 10]);
        assert_eq!(slow.dims(), [2, 4, 10, 10]);
        let diff = (fast - slow).abs().max().into_scalar::<f32>();
        assert!(diff < 1e-5, "{diff}");
    }
}
