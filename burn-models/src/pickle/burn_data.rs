//! Conversion of pickled tensors to Burn's [`TensorData`].

use std::collections::BTreeMap;

use burn::tensor::{TensorData, bf16, f16};

use super::dtype::Dtype;
use super::error::{PickleError, Result};
use super::load::Checkpoint;
use super::tensor::TensorView;
use super::tree::ModuleNode;

/// How tensors are converted.
#[derive(Debug, Clone)]
pub struct DataOptions {
    /// Convert f16 and bf16 tensors to f32 (exactly: every f16/bf16 value is an f32 value).
    pub half_to_f32: bool,
    /// Largest tensor that reads its storage more than once (zero or overlapping strides), in bytes.
    pub max_expanded_bytes: u64,
}

impl Default for DataOptions {
    fn default() -> Self {
        Self {
            half_to_f32: false,
            max_expanded_bytes: 256 << 20,
        }
    }
}

fn chunks<const N: usize, T>(bytes: &[u8], f: impl Fn([u8; N]) -> T) -> Vec<T> {
    bytes
        .chunks_exact(N)
        .map(|c| {
            let mut a = [0u8; N];
            a.copy_from_slice(c);
            f(a)
        })
        .collect()
}

impl TensorView {
    /// The tensor as [`TensorData`] (row-major, native element types).
    pub fn to_tensor_data(&self, name: &str, opts: &DataOptions) -> Result<TensorData> {
        let bytes = self.contiguous_bytes(name, opts.max_expanded_bytes)?;
        let shape = self.shape.clone();
        Ok(match (self.dtype, opts.half_to_f32) {
            (Dtype::F16, false) => TensorData::new(
                chunks(&bytes, |a| f16::from_bits(u16::from_le_bytes(a))),
                shape,
            ),
            (Dtype::F16, true) => TensorData::new(
                chunks(&bytes, |a| f16::from_bits(u16::from_le_bytes(a)).to_f32()),
                shape,
            ),
            (Dtype::BF16, false) => TensorData::new(
                chunks(&bytes, |a| bf16::from_bits(u16::from_le_bytes(a))),
                shape,
            ),
            (Dtype::BF16, true) => TensorData::new(
                chunks(&bytes, |a| bf16::from_bits(u16::from_le_bytes(a)).to_f32()),
                shape,
            ),
            (Dtype::F32, _) => TensorData::new(chunks(&bytes, f32::from_le_bytes), shape),
            (Dtype::F64, _) => TensorData::new(chunks(&bytes, f64::from_le_bytes), shape),
            (Dtype::I64, _) => TensorData::new(chunks(&bytes, i64::from_le_bytes), shape),
            (Dtype::I32, _) => TensorData::new(chunks(&bytes, i32::from_le_bytes), shape),
            (Dtype::I16, _) => TensorData::new(chunks(&bytes, i16::from_le_bytes), shape),
            (Dtype::I8, _) => TensorData::new(chunks(&bytes, |[b]: [u8; 1]| b as i8), shape),
            (Dtype::U8, _) => TensorData::new(bytes, shape),
            (Dtype::Bool, _) => {
                if let Some(b) = bytes.iter().find(|&&b| b > 1) {
                    return Err(PickleError::Tensor {
                        name: name.to_owned(),
                        msg: format!("bool byte {b}"),
                    });
                }
                TensorData::new(
                    bytes.into_iter().map(|b| b == 1).collect::<Vec<bool>>(),
                    shape,
                )
            }
        })
    }
}

impl ModuleNode {
    /// Every tensor below this node as [`TensorData`], by dotted name relative to it.
    pub fn tensor_data(&self, opts: &DataOptions) -> Result<BTreeMap<String, TensorData>> {
        self.flat_tensors()
            .into_iter()
            .map(|(name, t)| Ok((name.clone(), t.to_tensor_data(&name, opts)?)))
            .collect()
    }
}

/// One network of a file, ready for a model loader: tensors by name relative to the network, and its plain
/// attributes (`init_kwargs`, `z_dim`, …).
#[derive(Debug, Clone)]
pub struct NetworkWeights {
    /// Dotted path of the network in the file (`G_ema`; empty for the whole file).
    pub key: String,
    /// Class name of the network.
    pub class_name: String,
    /// Tensors by dotted name relative to the network.
    pub tensors: BTreeMap<String, TensorData>,
    /// Plain attributes of the network itself.
    pub attributes: BTreeMap<String, serde_json::Value>,
}

impl Checkpoint {
    /// The network at `key` (default: `G_ema` when present, else the whole file) as [`NetworkWeights`].
    pub fn network_weights(&self, key: Option<&str>, opts: &DataOptions) -> Result<NetworkWeights> {
        let (key, node) = self.network(key)?;
        Ok(NetworkWeights {
            key,
            class_name: node.class_name.clone(),
            tensors: node.tensor_data(opts)?,
            attributes: node.attributes.iter().cloned().collect(),
        })
    }
}
