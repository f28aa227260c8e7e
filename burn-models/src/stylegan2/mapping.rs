//! `MappingNetwork` (`training/networks.py` at `d72cc7d`): z (and the class label c) → w,
//! broadcast to `num_ws` copies, with optional truncation towards `w_avg`.

use burn::module::{Module, Param};
use burn::tensor::Tensor;

use super::config::GeneratorConfig;
use super::fully_connected::FullyConnectedLayer;
use super::ops::{Activation, normalize_2nd_moment};
use super::params::{ParamSource, Role};
use super::weights::LoadError;

/// The mapping network. Keys: `mapping.embed.*` (when `c_dim > 0`), `mapping.fc{i}.*`,
/// `mapping.w_avg` (when `w_avg_beta` is set).
#[derive(Module, Debug)]
pub struct MappingNetwork {
    /// Label embedding `c_dim → embed_features` (checkpoint `mapping.embed`).
    pub embed: Option<FullyConnectedLayer>,
    /// The layers; `fc[i]` is checkpoint `mapping.fc{i}`.
    pub fc: Vec<FullyConnectedLayer>,
    /// `[w_dim]`, the tracked mean of w used by truncation.
    pub w_avg: Option<Param<Tensor<1>>>,
    /// Number of w copies produced (`num_ws`).
    pub num_ws: usize,
    /// z dimensionality (0 = no latent).
    pub z_dim: usize,
}

impl MappingNetwork {
    /// Builds the mapping network of `config` from `source`.
    pub fn build(
        config: &GeneratorConfig,
        source: &mut impl ParamSource,
    ) -> Result<Self, LoadError> {
        let m = &config.mapping;
        let embed_features = match config.c_dim {
            0 => 0,
            _ => m.embed_features.unwrap_or(config.w_dim),
        };
        let layer_features = m.layer_features.unwrap_or(config.w_dim);
        let embed = if config.c_dim > 0 {
            let dims = [config.c_dim, embed_features];
            Some(FullyConnectedLayer::build(
                source,
                "mapping.embed",
                dims,
                Activation::Linear,
                1.0,
                0.0,
            )?)
        } else {
            None
        };
        let mut features = vec![config.z_dim + embed_features];
        features.extend(std::iter::repeat_n(layer_features, m.num_layers - 1));
        features.push(config.w_dim);
        let fc = (0..m.num_layers)
            .map(|i| {
                let dims = [features[i], features[i + 1]];
                FullyConnectedLayer::build(
                    source,
                    &format!("mapping.fc{i}"),
                    dims,
                    m.activation,
                    m.lr_multiplier,
                    0.0,
                )
            })
            .collect::<Result<Vec<_>, _>>()?;
        let w_avg = match m.w_avg_beta {
            Some(_) => Some(source.param("mapping.w_avg", &[config.w_dim], Role::WAvg)?),
            None => None,
        };
        Ok(Self {
            embed,
            fc,
            w_avg,
            num_ws: config.num_ws(),
            z_dim: config.z_dim,
        })
    }

    /// z `[batch, z_dim]` (ignored when `z_dim = 0`), c `[batch, c_dim]` (required when
    /// `c_dim > 0`) → ws `[batch, num_ws, w_dim]`.
    ///
    /// With `truncation_psi ≠ 1`, `w ← w_avg + ψ (w − w_avg)` for the first `truncation_cutoff`
    /// ws (all when `None`), computed like `torch.lerp`.
    ///
    /// # Panics
    /// If `c` is missing for a conditional network, or `ψ ≠ 1` without a `w_avg`.
    pub fn forward(
        &self,
        z: Tensor<2>,
        c: Option<Tensor<2>>,
        truncation_psi: f64,
        truncation_cutoff: Option<usize>,
    ) -> Tensor<3> {
        let mut x = (self.z_dim > 0).then(|| normalize_2nd_moment(z));
        if let Some(embed) = &self.embed {
            let c = c.expect("a conditional generator needs labels c");
            let y = normalize_2nd_moment(embed.forward(c));
            x = Some(match x {
                Some(x) => Tensor::cat(vec![x, y], 1),
                None => y,
            });
        }
        let mut x = x.expect("z_dim or c_dim is positive");
        for layer in &self.fc {
            x = layer.forward(x);
        }
        let [batch, w_dim] = x.dims();
        let ws = x.reshape([batch, 1, w_dim]).repeat_dim(1, self.num_ws);
        if truncation_psi == 1.0 {
            return ws;
        }
        let w_avg = self
            .w_avg
            .as_ref()
            .expect("truncation needs w_avg (w_avg_beta is None)")
            .val()
            .reshape([1, 1, w_dim]);
        let cutoff = truncation_cutoff.unwrap_or(self.num_ws).min(self.num_ws);
        let head = lerp(
            w_avg,
            ws.clone().narrow(1, 0, cutoff),
            truncation_psi as f32,
        );
        if cutoff == self.num_ws {
            head
        } else {
            let tail = ws.narrow(1, cutoff, self.num_ws - cutoff);
            Tensor::cat(vec![head, tail], 1)
        }
    }
}

/// `torch.lerp(start, end, weight)` with a scalar weight, in f32 as PyTorch's CPU kernel computes it.
fn lerp(start: Tensor<3>, end: Tensor<3>, weight: f32) -> Tensor<3> {
    let diff = end.clone() - start.clone();
    if weight.abs() < 0.5 {
        start + diff.mul_scalar(weight)
    } else {
        end - diff.mul_scalar(1.0 - weight)
    }
}
