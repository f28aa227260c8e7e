//! The blocks of the FID Inception-v3, with torchvision's names (the keys of pytorch-fid's `.pth`).
//!
//! Each block reproduces pytorch-fid 0.3.0 `src/pytorch_fid/inception.py` (`FIDInceptionA/C/E_1/E_2`, and
//! torchvision's `InceptionB/D`), which in turn reproduces the TF `inception-2015-12-05` graph:
//! convolutions without bias, batch norm with eps 1e-3, 3×3 average pools that exclude the padding, and a max-pool
//! branch in the last block.

use burn::module::{Module, Param};
use burn::nn::conv::{Conv2d, Conv2dConfig};
use burn::nn::{Initializer, PaddingConfig2d};
use burn::tensor::activation::relu;
use burn::tensor::module::{avg_pool2d, conv2d, max_pool2d};
use burn::tensor::ops::{AvgPoolOptions, ConvOptions, MaxPoolOptions};
use burn::tensor::{Device, Tensor};

/// Batch norm with frozen running statistics, as in the TF graph (inference only, also under autodiff).
///
/// Field names are PyTorch's (`weight`, `bias`, `running_mean`, `running_var`), so checkpoints load unchanged.
#[derive(Module, Debug)]
pub struct FrozenBatchNorm {
    /// Scale γ `[C]` (all ones in the TF graph, which has no scale).
    pub weight: Param<Tensor<1>>,
    /// Shift β `[C]`.
    pub bias: Param<Tensor<1>>,
    /// Running mean `[C]`.
    pub running_mean: Param<Tensor<1>>,
    /// Running variance `[C]`.
    pub running_var: Param<Tensor<1>>,
    /// ε added to the variance (1e-3 in TF).
    pub epsilon: f64,
}

impl FrozenBatchNorm {
    /// Identity statistics for `channels` channels (lazily allocated; loading replaces them).
    pub fn new(channels: usize, epsilon: f64, device: &Device) -> Self {
        Self {
            weight: Initializer::Ones.init([channels], device),
            bias: Initializer::Zeros.init([channels], device),
            running_mean: Initializer::Zeros.init([channels], device),
            running_var: Initializer::Ones.init([channels], device),
            epsilon,
        }
    }

    /// The per-channel affine map `x ↦ x·scale + shift` this batch norm applies: both `[C]`.
    pub fn scale_shift(&self) -> (Tensor<1>, Tensor<1>) {
        let scale = self.weight.val() / self.running_var.val().add_scalar(self.epsilon).sqrt();
        let shift = self.bias.val() - self.running_mean.val() * scale.clone();
        (scale, shift)
    }
}

/// `conv (no bias) → batch norm → ReLU`, torchvision's `BasicConv2d`.
///
/// The forward folds the batch norm into the convolution (`W·scale`, bias `shift`), one convolution per layer.
#[derive(Module, Debug)]
pub struct BasicConv2d {
    /// Convolution, weight `[out, in, kh, kw]`, no bias.
    pub conv: Conv2d,
    /// Batch norm after the convolution.
    pub bn: FrozenBatchNorm,
}

/// Shape of one [`BasicConv2d`]: kernel, stride and padding as (height, width).
#[derive(Debug, Clone, Copy)]
pub struct ConvSpec {
    /// Kernel size `[kh, kw]`.
    pub kernel: [usize; 2],
    /// Stride `[sh, sw]`.
    pub stride: [usize; 2],
    /// Symmetric zero padding `[ph, pw]`.
    pub padding: [usize; 2],
}

impl ConvSpec {
    /// A square `k×k` kernel, stride 1, no padding.
    pub const fn k(k: usize) -> Self {
        Self {
            kernel: [k, k],
            stride: [1, 1],
            padding: [0, 0],
        }
    }

    /// A `kh×kw` kernel with "same" padding, stride 1.
    pub const fn same(kh: usize, kw: usize) -> Self {
        Self {
            kernel: [kh, kw],
            stride: [1, 1],
            padding: [kh / 2, kw / 2],
        }
    }

    /// A square `k×k` kernel, stride 2, no padding.
    pub const fn down(k: usize) -> Self {
        Self {
            kernel: [k, k],
            stride: [2, 2],
            padding: [0, 0],
        }
    }
}

impl BasicConv2d {
    /// A layer from `cin` to `cout` channels.
    pub fn new(cin: usize, cout: usize, spec: ConvSpec, bn_epsilon: f64, device: &Device) -> Self {
        let [ph, pw] = spec.padding;
        let conv = Conv2dConfig::new([cin, cout], spec.kernel)
            .with_stride(spec.stride)
            .with_padding(PaddingConfig2d::Explicit(ph, pw, ph, pw))
            .with_bias(false)
            .init(device);
        Self {
            conv,
            bn: FrozenBatchNorm::new(cout, bn_epsilon, device),
        }
    }

    /// `[B, in, H, W] → [B, out, H', W']`.
    pub fn forward(&self, x: Tensor<4>) -> Tensor<4> {
        let (scale, shift) = self.bn.scale_shift();
        let [cout, ..] = self.conv.weight.dims();
        let weight = self.conv.weight.val() * scale.reshape([cout, 1, 1, 1]);
        let padding = match self.conv.padding {
            PaddingConfig2d::Explicit(top, left, bottom, right) => [(top, bottom), (left, right)],
            PaddingConfig2d::Valid => [(0, 0), (0, 0)],
            PaddingConfig2d::Same => {
                let [kh, kw] = self.conv.kernel_size;
                [((kh - 1) / 2, kh / 2), ((kw - 1) / 2, kw / 2)]
            }
        };
        let options = ConvOptions::new_with_padding(
            self.conv.stride,
            padding,
            self.conv.dilation,
            self.conv.groups,
        );
        relu(conv2d(x, weight, Some(shift), options))
    }
}

/// TF's branch average pool: 3×3, stride 1, padding 1, the padding excluded from the count.
///
/// torchvision's blocks count the padding (`count_include_pad=True`), which is the bug pytorch-fid patches.
pub fn avg_pool_3x3(x: Tensor<4>, count_include_pad: bool) -> Tensor<4> {
    avg_pool2d(
        x,
        AvgPoolOptions::new([3, 3])
            .with_stride([1, 1])
            .with_padding([1, 1])
            .with_count_include_pad(count_include_pad),
    )
}

/// 3×3 max pool with the given stride and padding.
pub fn max_pool_3x3(x: Tensor<4>, stride: usize, padding: usize) -> Tensor<4> {
    max_pool2d(
        x,
        MaxPoolOptions::new([3, 3])
            .with_stride([stride, stride])
            .with_padding([padding, padding]),
    )
}

/// Block A (`Mixed_5b/5c/5d`, TF `mixed`, `mixed_1`, `mixed_2`): 35×35, `in → 224 + pool_features` channels.
#[derive(Module, Debug)]
pub struct InceptionA {
    /// 1×1 → 64.
    pub branch1x1: BasicConv2d,
    /// 1×1 → 48.
    pub branch5x5_1: BasicConv2d,
    /// 5×5 → 64.
    pub branch5x5_2: BasicConv2d,
    /// 1×1 → 64.
    pub branch3x3dbl_1: BasicConv2d,
    /// 3×3 → 96.
    pub branch3x3dbl_2: BasicConv2d,
    /// 3×3 → 96.
    pub branch3x3dbl_3: BasicConv2d,
    /// avg pool, 1×1 → `pool_features`.
    pub branch_pool: BasicConv2d,
    /// Whether the average pool counts the zero padding (false in the FID network).
    pub count_include_pad: bool,
}

impl InceptionA {
    /// Block A with `cin` input channels.
    pub fn new(
        cin: usize,
        pool_features: usize,
        eps: f64,
        count_include_pad: bool,
        device: &Device,
    ) -> Self {
        let c = |i, o, s| BasicConv2d::new(i, o, s, eps, device);
        Self {
            branch1x1: c(cin, 64, ConvSpec::k(1)),
            branch5x5_1: c(cin, 48, ConvSpec::k(1)),
            branch5x5_2: c(48, 64, ConvSpec::same(5, 5)),
            branch3x3dbl_1: c(cin, 64, ConvSpec::k(1)),
            branch3x3dbl_2: c(64, 96, ConvSpec::same(3, 3)),
            branch3x3dbl_3: c(96, 96, ConvSpec::same(3, 3)),
            branch_pool: c(cin, pool_features, ConvSpec::k(1)),
            count_include_pad,
        }
    }

    /// `[B, in, 35, 35] → [B, 224 + pool_features, 35, 35]`
    /// (pytorch-fid `FIDInceptionA.forward`).
    pub fn forward(&self, x: Tensor<4>) -> Tensor<4> {
        let b1 = self.branch1x1.forward(x.clone());
        let b5 = self
            .branch5x5_2
            .forward(self.branch5x5_1.forward(x.clone()));
        let b3 = self.branch3x3dbl_1.forward(x.clone());
        let b3 = self.branch3x3dbl_3.forward(self.branch3x3dbl_2.forward(b3));
        let bp = self
            .branch_pool
            .forward(avg_pool_3x3(x, self.count_include_pad));
        Tensor::cat(vec![b1, b5, b3, bp], 1)
    }
}

/// Block B (`Mixed_6a`, TF `mixed_3`): grid reduction 35 → 17, `in → 480 + in` channels.
#[derive(Module, Debug)]
pub struct InceptionB {
    /// 3×3 stride 2 → 384.
    pub branch3x3: BasicConv2d,
    /// 1×1 → 64.
    pub branch3x3dbl_1: BasicConv2d,
    /// 3×3 → 96.
    pub branch3x3dbl_2: BasicConv2d,
    /// 3×3 stride 2 → 96.
    pub branch3x3dbl_3: BasicConv2d,
}

impl InceptionB {
    /// Block B with `cin` input channels.
    pub fn new(cin: usize, eps: f64, device: &Device) -> Self {
        let c = |i, o, s| BasicConv2d::new(i, o, s, eps, device);
        Self {
            branch3x3: c(cin, 384, ConvSpec::down(3)),
            branch3x3dbl_1: c(cin, 64, ConvSpec::k(1)),
            branch3x3dbl_2: c(64, 96, ConvSpec::same(3, 3)),
            branch3x3dbl_3: c(96, 96, ConvSpec::down(3)),
        }
    }

    /// `[B, in, 35, 35] → [B, 480 + in, 17, 17]` (torchvision `InceptionB.forward`).
    pub fn forward(&self, x: Tensor<4>) -> Tensor<4> {
        let b3 = self.branch3x3.forward(x.clone());
        let bd = self.branch3x3dbl_1.forward(x.clone());
        let bd = self.branch3x3dbl_3.forward(self.branch3x3dbl_2.forward(bd));
        let bp = max_pool_3x3(x, 2, 0);
        Tensor::cat(vec![b3, bd, bp], 1)
    }
}

/// Block C (`Mixed_6b..6e`, TF `mixed_4..7`): 17×17 with factorised 7×7 convolutions, `in → 768` channels.
#[derive(Module, Debug)]
pub struct InceptionC {
    /// 1×1 → 192.
    pub branch1x1: BasicConv2d,
    /// 1×1 → c7.
    pub branch7x7_1: BasicConv2d,
    /// 1×7 → c7.
    pub branch7x7_2: BasicConv2d,
    /// 7×1 → 192.
    pub branch7x7_3: BasicConv2d,
    /// 1×1 → c7.
    pub branch7x7dbl_1: BasicConv2d,
    /// 7×1 → c7.
    pub branch7x7dbl_2: BasicConv2d,
    /// 1×7 → c7.
    pub branch7x7dbl_3: BasicConv2d,
    /// 7×1 → c7.
    pub branch7x7dbl_4: BasicConv2d,
    /// 1×7 → 192.
    pub branch7x7dbl_5: BasicConv2d,
    /// avg pool, 1×1 → 192.
    pub branch_pool: BasicConv2d,
    /// Whether the average pool counts the zero padding (false in the FID network).
    pub count_include_pad: bool,
}

impl InceptionC {
    /// Block C with `cin` input channels and `c7` channels inside the 7×7 towers.
    pub fn new(cin: usize, c7: usize, eps: f64, count_include_pad: bool, device: &Device) -> Self {
        let c = |i, o, s| BasicConv2d::new(i, o, s, eps, device);
        Self {
            branch1x1: c(cin, 192, ConvSpec::k(1)),
            branch7x7_1: c(cin, c7, ConvSpec::k(1)),
            branch7x7_2: c(c7, c7, ConvSpec::same(1, 7)),
            branch7x7_3: c(c7, 192, ConvSpec::same(7, 1)),
            branch7x7dbl_1: c(cin, c7, ConvSpec::k(1)),
            branch7x7dbl_2: c(c7, c7, ConvSpec::same(7, 1)),
            branch7x7dbl_3: c(c7, c7, ConvSpec::same(1, 7)),
            branch7x7dbl_4: c(c7, c7, ConvSpec::same(7, 1)),
            branch7x7dbl_5: c(c7, 192, ConvSpec::same(1, 7)),
            branch_pool: c(cin, 192, ConvSpec::k(1)),
            count_include_pad,
        }
    }

    /// `[B, 768, 17, 17] → [B, 768, 17, 17]` (pytorch-fid `FIDInceptionC.forward`).
    pub fn forward(&self, x: Tensor<4>) -> Tensor<4> {
        let b1 = self.branch1x1.forward(x.clone());
        let b7 = self.branch7x7_1.forward(x.clone());
        let b7 = self.branch7x7_3.forward(self.branch7x7_2.forward(b7));
        let bd = self.branch7x7dbl_1.forward(x.clone());
        let bd = self.branch7x7dbl_3.forward(self.branch7x7dbl_2.forward(bd));
        let bd = self.branch7x7dbl_5.forward(self.branch7x7dbl_4.forward(bd));
        let bp = self
            .branch_pool
            .forward(avg_pool_3x3(x, self.count_include_pad));
        Tensor::cat(vec![b1, b7, bd, bp], 1)
    }
}

/// Block D (`Mixed_7a`, TF `mixed_8`): grid reduction 17 → 8, `in → 512 + in` channels.
#[derive(Module, Debug)]
pub struct InceptionD {
    /// 1×1 → 192.
    pub branch3x3_1: BasicConv2d,
    /// 3×3 stride 2 → 320.
    pub branch3x3_2: BasicConv2d,
    /// 1×1 → 192.
    pub branch7x7x3_1: BasicConv2d,
    /// 1×7 → 192.
    pub branch7x7x3_2: BasicConv2d,
    /// 7×1 → 192.
    pub branch7x7x3_3: BasicConv2d,
    /// 3×3 stride 2 → 192.
    pub branch7x7x3_4: BasicConv2d,
}

impl InceptionD {
    /// Block D with `cin` input channels.
    pub fn new(cin: usize, eps: f64, device: &Device) -> Self {
        let c = |i, o, s| BasicConv2d::new(i, o, s, eps, device);
        Self {
            branch3x3_1: c(cin, 192, ConvSpec::k(1)),
            branch3x3_2: c(192, 320, ConvSpec::down(3)),
            branch7x7x3_1: c(cin, 192, ConvSpec::k(1)),
            branch7x7x3_2: c(192, 192, ConvSpec::same(1, 7)),
            branch7x7x3_3: c(192, 192, ConvSpec::same(7, 1)),
            branch7x7x3_4: c(192, 192, ConvSpec::down(3)),
        }
    }

    /// `[B, 768, 17, 17] → [B, 1280, 8, 8]` (torchvision `InceptionD.forward`).
    pub fn forward(&self, x: Tensor<4>) -> Tensor<4> {
        let b3 = self
            .branch3x3_2
            .forward(self.branch3x3_1.forward(x.clone()));
        let b7 = self.branch7x7x3_1.forward(x.clone());
        let b7 = self.branch7x7x3_3.forward(self.branch7x7x3_2.forward(b7));
        let b7 = self.branch7x7x3_4.forward(b7);
        let bp = max_pool_3x3(x, 2, 0);
        Tensor::cat(vec![b3, b7, bp], 1)
    }
}

/// Block E (`Mixed_7b` = TF `mixed_9`, `Mixed_7c` = TF `mixed_10`): 8×8 with expanded filter banks,
/// `in → 2048` channels.
///
/// The pool branch averages (padding excluded) in `Mixed_7b` and takes the **maximum** in `Mixed_7c`, as in the
/// TF graph (pytorch-fid `FIDInceptionE_1` / `FIDInceptionE_2`).
#[derive(Module, Debug)]
pub struct InceptionE {
    /// 1×1 → 320.
    pub branch1x1: BasicConv2d,
    /// 1×1 → 384.
    pub branch3x3_1: BasicConv2d,
    /// 1×3 → 384.
    pub branch3x3_2a: BasicConv2d,
    /// 3×1 → 384.
    pub branch3x3_2b: BasicConv2d,
    /// 1×1 → 448.
    pub branch3x3dbl_1: BasicConv2d,
    /// 3×3 → 384.
    pub branch3x3dbl_2: BasicConv2d,
    /// 1×3 → 384.
    pub branch3x3dbl_3a: BasicConv2d,
    /// 3×1 → 384.
    pub branch3x3dbl_3b: BasicConv2d,
    /// pool, 1×1 → 192.
    pub branch_pool: BasicConv2d,
    /// Pool branch: 3×3 max pool (true, `Mixed_7c`) or 3×3 average pool (false, `Mixed_7b`).
    pub max_pool: bool,
    /// Whether the average pool counts the zero padding (false in the FID network).
    pub count_include_pad: bool,
}

impl InceptionE {
    /// Block E with `cin` input channels and the given pool branch.
    pub fn new(
        cin: usize,
        max_pool: bool,
        eps: f64,
        count_include_pad: bool,
        device: &Device,
    ) -> Self {
        let c = |i, o, s| BasicConv2d::new(i, o, s, eps, device);
        Self {
            branch1x1: c(cin, 320, ConvSpec::k(1)),
            branch3x3_1: c(cin, 384, ConvSpec::k(1)),
            branch3x3_2a: c(384, 384, ConvSpec::same(1, 3)),
            branch3x3_2b: c(384, 384, ConvSpec::same(3, 1)),
            branch3x3dbl_1: c(cin, 448, ConvSpec::k(1)),
            branch3x3dbl_2: c(448, 384, ConvSpec::same(3, 3)),
            branch3x3dbl_3a: c(384, 384, ConvSpec::same(1, 3)),
            branch3x3dbl_3b: c(384, 384, ConvSpec::same(3, 1)),
            branch_pool: c(cin, 192, ConvSpec::k(1)),
            max_pool,
            count_include_pad,
        }
    }

    /// `[B, in, 8, 8] → [B, 2048, 8, 8]`; channels `0..320` 1×1, `320..1088` 3×3, `1088..1856` double 3×3,
    /// `1856..2048` pool branch (pytorch-fid `FIDInceptionE_1/E_2.forward`).
    pub fn forward(&self, x: Tensor<4>) -> Tensor<4> {
        let b1 = self.branch1x1.forward(x.clone());
        let b3 = self.branch3x3_1.forward(x.clone());
        let b3a = self.branch3x3_2a.forward(b3.clone());
        let b3b = self.branch3x3_2b.forward(b3);
        let bd = self.branch3x3dbl_1.forward(x.clone());
        let bd = self.branch3x3dbl_2.forward(bd);
        let bda = self.branch3x3dbl_3a.forward(bd.clone());
        let bdb = self.branch3x3dbl_3b.forward(bd);
        let pooled = if self.max_pool {
            max_pool_3x3(x, 1, 1)
        } else {
            avg_pool_3x3(x, self.count_include_pad)
        };
        let bp = self.branch_pool.forward(pooled);
        Tensor::cat(vec![b1, b3a, b3b, bda, bdb, bp], 1)
    }
}

/// The classifier `fc`: `Linear(2048 → 1008)` stored in PyTorch's layout.
#[derive(Module, Debug)]
pub struct Classifier {
    /// Weight `[classes, 2048]` (PyTorch layout, not transposed).
    pub weight: Param<Tensor<2>>,
    /// Bias `[classes]`.
    pub bias: Param<Tensor<1>>,
}

impl Classifier {
    /// A zero classifier from `features` to `classes` (loading replaces it).
    pub fn new(features: usize, classes: usize, device: &Device) -> Self {
        Self {
            weight: Initializer::Zeros.init([classes, features], device),
            bias: Initializer::Zeros.init([classes], device),
        }
    }

    /// `[B, features] → [B, classes]` logits (pre-softmax).
    pub fn forward(&self, x: Tensor<2>) -> Tensor<2> {
        let [classes] = self.bias.dims();
        x.matmul(self.weight.val().transpose()) + self.bias.val().reshape([1, classes])
    }
}
