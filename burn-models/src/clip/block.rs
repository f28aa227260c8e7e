//! One pre-norm residual attention block of the CLIP vision transformer.

use burn::module::Module;
use burn::nn::{LayerNorm, LayerNormConfig, Linear, LinearConfig};
use burn::tensor::activation::sigmoid;
use burn::tensor::{Device, Tensor};

use super::attention::MultiheadAttention;

/// `x · sigmoid(1.702 x)`, the GELU approximation OpenAI's CLIP was trained with.
pub fn quick_gelu<const D: usize>(x: Tensor<D>) -> Tensor<D> {
    x.clone() * sigmoid(x * 1.702)
}

/// The feed-forward part of a block: `c_proj(quick_gelu(c_fc(x)))`.
#[derive(Module, Debug)]
pub struct Mlp {
    /// `width → mlp_width`.
    pub c_fc: Linear,
    /// `mlp_width → width`.
    pub c_proj: Linear,
}

impl Mlp {
    /// `[batch, tokens, width] → [batch, tokens, width]`.
    pub fn forward(&self, x: Tensor<3>) -> Tensor<3> {
        self.c_proj.forward(quick_gelu(self.c_fc.forward(x)))
    }
}

/// `x + attn(ln_1(x))`, then `x + mlp(ln_2(x))`: OpenAI's `ResidualAttentionBlock`
/// (<https://github.com/openai/CLIP/blob/dcba3cb2e2827b402d2701e7e1c7d9fed8a20ef1/clip/model.py#L171-L193>).
#[derive(Module, Debug)]
pub struct ResidualAttentionBlock {
    /// Norm before attention.
    pub ln_1: LayerNorm,
    /// Multi-head self-attention.
    pub attn: MultiheadAttention,
    /// Norm before the MLP.
    pub ln_2: LayerNorm,
    /// Feed-forward network.
    pub mlp: Mlp,
}

impl ResidualAttentionBlock {
    /// A block of the given width, head count and MLP width (weights uninitialised until loaded).
    pub fn new(width: usize, heads: usize, mlp_width: usize, eps: f64, device: &Device) -> Self {
        let ln = || LayerNormConfig::new(width).with_epsilon(eps).init(device);
        Self {
            ln_1: ln(),
            attn: MultiheadAttention::new(width, heads, device),
            ln_2: ln(),
            mlp: Mlp {
                c_fc: LinearConfig::new(width, mlp_width).init(device),
                c_proj: LinearConfig::new(mlp_width, width).init(device),
            },
        }
    }

    /// `[batch, tokens, width] → [batch, tokens, width]`.
    pub fn forward(&self, x: Tensor<3>) -> Tensor<3> {
        let x = x.clone() + self.attn.forward(self.ln_1.forward(x));
        x.clone() + self.mlp.forward(self.ln_2.forward(x))
    }
}

/// The stack of residual blocks (`transformer.resblocks.{i}` in the checkpoint).
#[derive(Module, Debug)]
pub struct Transformer {
    /// The blocks, applied in order.
    pub resblocks: Vec<ResidualAttentionBlock>,
}

impl Transformer {
    /// `[batch, tokens, width] → [batch, tokens, width]`.
    pub fn forward(&self, x: Tensor<3>) -> Tensor<3> {
        self.resblocks.iter().fold(x, |x, block| block.forward(x))
    }
}
