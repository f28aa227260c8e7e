//! Multi-head self-attention with a fused input projection, as `torch.nn.MultiheadAttention` stores it.

use burn::module::{Module, Param};
use burn::nn::{Initializer, Linear, LinearConfig};
use burn::tensor::activation::softmax;
use burn::tensor::{Device, Tensor};

/// Self-attention over the token sequence, field for field `torch.nn.MultiheadAttention`
/// (`batch_first`, no masks, no dropout): the checkpoint keys `in_proj_weight`, `in_proj_bias` and
/// `out_proj.{weight,bias}` load without renaming.
#[derive(Module, Debug)]
pub struct MultiheadAttention {
    /// Fused query, key and value projections, PyTorch layout `[3·width, width]` (rows: q, then k, then v).
    pub in_proj_weight: Param<Tensor<2>>,
    /// Fused query, key and value biases, `[3·width]`.
    pub in_proj_bias: Param<Tensor<1>>,
    /// Output projection `width → width` (Burn layout: weight `[in, out]`).
    pub out_proj: Linear,
    /// Number of heads; `width` must be divisible by it.
    pub num_heads: usize,
}

impl MultiheadAttention {
    /// An attention layer of the given width and head count (weights uninitialised until loaded).
    pub fn new(width: usize, num_heads: usize, device: &Device) -> Self {
        assert!(
            num_heads > 0 && width.is_multiple_of(num_heads),
            "attention width {width} is not divisible by {num_heads} heads"
        );
        Self {
            in_proj_weight: Initializer::Zeros.init([3 * width, width], device),
            in_proj_bias: Initializer::Zeros.init([3 * width], device),
            out_proj: LinearConfig::new(width, width).init(device),
            num_heads,
        }
    }

    /// `[batch, tokens, width] → [batch, tokens, width]`.
    ///
    /// Scaled dot-product attention `softmax(q kᵀ / √head_dim) v` per head, as
    /// `torch.nn.functional.multi_head_attention_forward` (torch 2.x) computes it for self-attention.
    pub fn forward(&self, x: Tensor<3>) -> Tensor<3> {
        let [batch, tokens, width] = x.dims();
        let heads = self.num_heads;
        let head_dim = width / heads;
        let qkv = x.matmul(self.in_proj_weight.val().transpose().unsqueeze::<3>())
            + self.in_proj_bias.val().unsqueeze::<3>();
        // [batch, tokens, 3, heads, head_dim] → [3, batch, heads, tokens, head_dim]
        let qkv = qkv
            .reshape([batch, tokens, 3, heads, head_dim])
            .permute([2, 0, 3, 1, 4]);
        let part = |i: usize| -> Tensor<4> {
            qkv.clone()
                .narrow(0, i, 1)
                .reshape([batch, heads, tokens, head_dim])
        };
        let (q, k, v) = (part(0), part(1), part(2));
        let q = q * (1.0 / (head_dim as f64).sqrt());
        let attn = softmax(q.matmul(k.swap_dims(2, 3)), 3);
        let out = attn
            .matmul(v)
            .swap_dims(1, 2)
            .reshape([batch, tokens, width]);
        self.out_proj.forward(out)
    }
}
