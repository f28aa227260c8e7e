//! Where the generator's tensors come from: NVlabs-style initialisation, counter-based seeded
//! values (shared with `scripts/stylegan2_reference.py`), or a checkpoint's state dict.
//!
//! Every module is built by one function that asks a [`ParamSource`] for each tensor by its
//! checkpoint key (`synthesis.b8.conv0.affine.weight`, …) and its role ([`Role`]), so the three
//! construction paths can never disagree on structure.

use std::collections::BTreeMap;

use burn::module::Param;
use burn::tensor::{Device, Distribution, Tensor, TensorData};

use super::weights::LoadError;
use crate::seeded::seeded_values;

/// What a tensor is for; decides its initial value and its seeded recipe.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Role {
    /// A fully connected or convolution weight, stored divided by the learning-rate multiplier.
    Weight {
        /// `lr_multiplier` of the layer (1 except in the mapping network).
        lr_multiplier: f64,
    },
    /// An additive bias.
    Bias {
        /// `bias_init` (1 for the style affines, 0 otherwise).
        init: f32,
        /// `lr_multiplier` of the layer.
        lr_multiplier: f64,
    },
    /// The learned 4×4 input of the first block (`const`).
    Const,
    /// The fixed per-layer noise image (`noise_const`).
    NoiseConst,
    /// The per-layer noise strength (`noise_strength`, a scalar).
    NoiseStrength,
    /// The tracked mean of w (`w_avg`).
    WAvg,
}

impl Role {
    /// `(offset, scale)` of the seeded recipe: value = `f32(offset) + seeded_values(key, seed, n,
    /// scale)`. Mirrored by `SEEDED_RECIPE` in `scripts/stylegan2_reference.py`. Scales keep every
    /// activation in a realistic range (weights ≈ unit variance, biases small, affine biases ≈ 1).
    pub fn seeded_recipe(self) -> (f32, f32) {
        match self {
            Role::Weight { lr_multiplier } => (0.0, (1.5 / lr_multiplier) as f32),
            Role::Bias {
                init,
                lr_multiplier,
            } => (init, (0.2 / lr_multiplier) as f32),
            Role::Const | Role::NoiseConst => (0.0, 1.5),
            Role::NoiseStrength => (0.0, 0.5),
            Role::WAvg => (0.0, 1.0),
        }
    }
}

/// A supplier of the generator's tensors, asked once per checkpoint key.
pub trait ParamSource {
    /// The tensor stored under `key`, which must have the PyTorch shape `shape` (`[]` for
    /// scalars), as f32 data of that shape.
    fn tensor(&mut self, key: &str, shape: &[usize], role: Role) -> Result<TensorData, LoadError>;

    /// The device the module is built on.
    fn device(&self) -> &Device;

    /// `tensor` turned into a parameter of rank `D` (scalars become `[1]`).
    fn param<const D: usize>(
        &mut self,
        key: &str,
        shape: &[usize],
        role: Role,
    ) -> Result<Param<Tensor<D>>, LoadError>
    where
        Self: Sized,
    {
        let data = self.tensor(key, shape, role)?;
        let burn_shape: Vec<usize> = if shape.is_empty() {
            vec![1]
        } else {
            shape.to_vec()
        };
        let values = data.try_into_vec_as::<f32>().map_err(|e| LoadError::Data {
            key: key.to_string(),
            reason: format!("{e:?}"),
        })?;
        let tensor = Tensor::<1>::from_data(
            TensorData::new(values, [burn_shape.iter().product::<usize>()]),
            self.device(),
        );
        let dims: [usize; D] = burn_shape
            .try_into()
            .unwrap_or_else(|s| panic!("`{key}`: rank of {s:?} is not {D}"));
        Ok(Param::from_tensor(tensor.reshape(dims)))
    }
}

/// NVlabs' initialisation (`torch.randn` weights, zero or `bias_init` biases, zero noise strength
/// and `w_avg`), drawn from Burn's random generator.
#[derive(Debug)]
pub struct InitSource {
    device: Device,
}

impl InitSource {
    /// Initial values on `device`.
    pub fn new(device: &Device) -> Self {
        Self {
            device: device.clone(),
        }
    }
}

impl ParamSource for InitSource {
    fn tensor(&mut self, _key: &str, shape: &[usize], role: Role) -> Result<TensorData, LoadError> {
        let n: usize = shape.iter().product();
        let data = match role {
            Role::Weight { lr_multiplier } => {
                let t = Tensor::<1>::random([n], Distribution::Normal(0.0, 1.0), &self.device);
                t.div_scalar(lr_multiplier as f32).into_data()
            }
            Role::Const | Role::NoiseConst => {
                Tensor::<1>::random([n], Distribution::Normal(0.0, 1.0), &self.device).into_data()
            }
            Role::Bias { init, .. } => TensorData::new(vec![init; n], [n]),
            Role::NoiseStrength | Role::WAvg => TensorData::new(vec![0f32; n], [n]),
        };
        Ok(data)
    }

    fn device(&self) -> &Device {
        &self.device
    }
}

/// Counter-based seeded values ([`crate::seeded`]) following [`Role::seeded_recipe`]: the same
/// weights as `scripts/stylegan2_reference.py` builds for the PyTorch reference.
#[derive(Debug)]
pub struct SeededSource {
    seed: u64,
    device: Device,
}

impl SeededSource {
    /// Seeded values for `seed` on `device`.
    pub fn new(seed: u64, device: &Device) -> Self {
        Self {
            seed,
            device: device.clone(),
        }
    }
}

impl ParamSource for SeededSource {
    fn tensor(&mut self, key: &str, shape: &[usize], role: Role) -> Result<TensorData, LoadError> {
        let n: usize = shape.iter().product();
        let (offset, scale) = role.seeded_recipe();
        let mut v = seeded_values(key, self.seed, n, scale);
        if offset != 0.0 {
            v.iter_mut().for_each(|x| *x += offset);
        }
        Ok(TensorData::new(v, [n]))
    }

    fn device(&self) -> &Device {
        &self.device
    }
}

/// A checkpoint's state dict (NVlabs keys → tensors). Keys are removed as the modules take them,
/// so what remains afterwards is what the checkpoint had but the network did not use.
#[derive(Debug)]
pub struct StateDictSource {
    tensors: BTreeMap<String, TensorData>,
    device: Device,
}

impl StateDictSource {
    /// Wraps a state dict for building on `device`.
    pub fn new(tensors: BTreeMap<String, TensorData>, device: &Device) -> Self {
        Self {
            tensors,
            device: device.clone(),
        }
    }

    /// The keys not taken so far, with their tensors.
    pub fn into_remaining(self) -> BTreeMap<String, TensorData> {
        self.tensors
    }
}

impl ParamSource for StateDictSource {
    fn tensor(&mut self, key: &str, shape: &[usize], _role: Role) -> Result<TensorData, LoadError> {
        let data = self
            .tensors
            .remove(key)
            .ok_or_else(|| LoadError::Missing(key.to_string()))?;
        // A scalar may be stored as `[]` or `[1]`.
        let found = data.shape().to_vec();
        let same = found == shape || (shape.is_empty() && found == [1]);
        if !same {
            return Err(LoadError::Shape {
                key: key.to_string(),
                expected: shape.to_vec(),
                found,
            });
        }
        Ok(data)
    }

    fn device(&self) -> &Device {
        &self.device
    }
}
