//! `FullyConnectedLayer` (`training/networks.py` at `d72cc7d`): a dense layer with equalised
//! learning rate, i.e. run-time gains `lr_multiplier / √in` on the weight and `lr_multiplier` on
//! the bias, then `bias_act`.

use burn::module::{Module, Param};
use burn::tensor::Tensor;

use super::ops::{Activation, bias_act};
use super::params::{ParamSource, Role};
use super::weights::LoadError;

/// A fully connected layer. Keys: `<prefix>.weight` `[out, in]`, `<prefix>.bias` `[out]`.
#[derive(Module, Debug)]
pub struct FullyConnectedLayer {
    /// `[out_features, in_features]`, stored divided by `lr_multiplier`.
    pub weight: Param<Tensor<2>>,
    /// `[out_features]`.
    pub bias: Param<Tensor<1>>,
    /// `lr_multiplier / √in_features`.
    pub weight_gain: f64,
    /// `lr_multiplier`.
    pub bias_gain: f64,
    /// Activation, with its default gain.
    #[module(skip)]
    pub activation: Activation,
}

impl FullyConnectedLayer {
    /// Builds the layer from `source` (keys under `prefix`).
    pub fn build(
        source: &mut impl ParamSource,
        prefix: &str,
        [in_features, out_features]: [usize; 2],
        activation: Activation,
        lr_multiplier: f64,
        bias_init: f32,
    ) -> Result<Self, LoadError> {
        let weight = source.param(
            &format!("{prefix}.weight"),
            &[out_features, in_features],
            Role::Weight { lr_multiplier },
        )?;
        let bias = source.param(
            &format!("{prefix}.bias"),
            &[out_features],
            Role::Bias {
                init: bias_init,
                lr_multiplier,
            },
        )?;
        Ok(Self {
            weight,
            bias,
            weight_gain: lr_multiplier / (in_features as f64).sqrt(),
            bias_gain: lr_multiplier,
            activation,
        })
    }

    /// `[batch, in_features] → [batch, out_features]`.
    pub fn forward(&self, x: Tensor<2>) -> Tensor<2> {
        let w = self.weight.val().mul_scalar(self.weight_gain as f32);
        let mut b = self.bias.val();
        if self.bias_gain != 1.0 {
            b = b.mul_scalar(self.bias_gain as f32);
        }
        let x = x.matmul(w.transpose());
        bias_act(
            x,
            Some(b),
            self.activation,
            self.activation.default_gain(),
            None,
        )
    }
}
