//! Reader for PyTorch network pickles, `torch.save` files and TorchScript archives — without running code.
//!
//! Reads, in pure Rust and without executing anything from the file:
//! * plain `pickle.dump` files (protocols 0–5) of NVIDIA `torch_utils.persistence` objects
//!   (`_reconstruct_persistent_obj(meta)`, `meta = {type, version, module_src, class_name, state}`), plain
//!   `torch.nn.Module` trees, `dnnlib.EasyDict` and `collections.OrderedDict`, whose tensors are
//!   `_rebuild_tensor_v2` / `_rebuild_parameter` views of storages pickled as
//!   `torch.storage._load_from_bytes(<legacy torch.save blob>)`;
//! * legacy (non-zip) `torch.save` files;
//! * zip `torch.save` files (state dicts) and TorchScript archives (`data.pkl`, `constants.pkl`).
//!
//! Every other global becomes an inert placeholder. The result is a [`ModuleNode`] tree with class names,
//! dotted tensor names, dtypes, shapes and plain attributes (`init_kwargs`, `z_dim`, …); tensors convert to
//! [`burn::tensor::TensorData`] (see [`DataOptions`]) and map onto our modules through a [`remap`] table.
//!
//! ```no_run
//! let ckpt = burn_models::pickle::load_file("network-snapshot.pkl")?;
//! // `G_ema` of a training snapshot: tensors by NVlabs name, plus `init_kwargs` and friends.
//! let g = ckpt.network_weights(None, &burn_models::pickle::DataOptions::default())?;
//! let z_dim = g.attributes["z_dim"].as_u64();
//! # Ok::<(), burn_models::pickle::PickleError>(())
//! ```
//!
//! Hostile input is an error, never a panic: lengths are checked against the remaining bytes before anything
//! is allocated, copies are bounded by [`Limits`], and the stack, memo, nesting and tree depth are limited.

mod archive;
mod blob;
mod burn_data;
mod context;
mod dtype;
mod error;
mod globals;
mod legacy;
mod limits;
mod load;
mod machine;
pub mod remap;
mod tensor;
mod tree;
mod value;

pub use blob::Blob;
pub use burn_data::{DataOptions, NetworkWeights};
pub use dtype::Dtype;
pub use error::{PickleError, Result};
pub use limits::Limits;
pub use load::{Checkpoint, DEFAULT_KEY, Format, load_bytes, load_bytes_with, load_file};
pub use tensor::TensorView;
pub use tree::{ModuleNode, NodeKind};
