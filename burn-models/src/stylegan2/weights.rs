//! Loading a generator: a state dict (`BTreeMap<String, TensorData>`, NVlabs keys) plus the
//! network's `init_kwargs` JSON, from memory or from a `G.safetensors` + `G.json` pair.
//!
//! NVlabs `.pkl` snapshots go through a pickle reader (`burn_models::pickle`) that produces exactly
//! this pair of inputs: [`Generator::from_state_dict`] is the entry point for them.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use burn::tensor::{Device, TensorData};
use burn_store::ModuleStore;

use super::config::{ConfigError, GeneratorConfig};
use super::generator::Generator;
use super::ops::Fir;
use super::params::StateDictSource;

/// Why a generator could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    /// The configuration is invalid.
    #[error(transparent)]
    Config(#[from] ConfigError),
    /// The network needs a tensor the checkpoint lacks.
    #[error("checkpoint has no tensor `{0}`")]
    Missing(String),
    /// A tensor has the wrong shape for the configuration.
    #[error("tensor `{key}` has shape {found:?}, the configuration needs {expected:?}")]
    Shape {
        /// Checkpoint key.
        key: String,
        /// Shape the configuration implies.
        expected: Vec<usize>,
        /// Shape in the checkpoint.
        found: Vec<usize>,
    },
    /// A tensor's data cannot be read as f32.
    #[error("tensor `{key}` cannot be read: {reason}")]
    Data {
        /// Checkpoint key.
        key: String,
        /// What went wrong.
        reason: String,
    },
    /// The checkpoint has tensors this configuration does not use (a different network).
    #[error("checkpoint tensors not used by this configuration: {0:?}")]
    Unused(Vec<String>),
    /// A stored `resample_filter` differs from the configuration's filter.
    #[error("`{0}` differs from the resample_filter of init_kwargs")]
    Filter(String),
    /// A file could not be read.
    #[error("cannot read {}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
    /// The `init_kwargs` file is not JSON.
    #[error("{} is not valid JSON", path.display())]
    Json {
        /// The file.
        path: PathBuf,
        /// The cause.
        #[source]
        source: serde_json::Error,
    },
    /// The safetensors file could not be read.
    #[error("cannot read safetensors {}: {message}", path.display())]
    Safetensors {
        /// The file.
        path: PathBuf,
        /// The reader's message.
        message: String,
    },
    /// The network file is of a kind this build cannot read (e.g. a pickle).
    #[error("{}: {reason}", path.display())]
    Unsupported {
        /// The file.
        path: PathBuf,
        /// Why, and what to do instead.
        reason: String,
    },
}

impl Generator {
    /// Builds a generator from a state dict with NVlabs keys and `G.init_kwargs` (JSON).
    ///
    /// Every tensor the configuration needs must be present with the right shape; every tensor
    /// in `state_dict` must be used, except the `resample_filter` buffers, which must equal the
    /// filter that `init_kwargs` implies. Tensors of any float dtype are converted to f32.
    pub fn from_state_dict(
        state_dict: BTreeMap<String, TensorData>,
        init_kwargs: &serde_json::Value,
        device: &Device,
    ) -> Result<Self, LoadError> {
        let config = GeneratorConfig::from_init_kwargs(init_kwargs)?;
        Self::from_config_and_state_dict(&config, state_dict, device)
    }

    /// As [`from_state_dict`](Self::from_state_dict) with an already parsed configuration.
    pub fn from_config_and_state_dict(
        config: &GeneratorConfig,
        state_dict: BTreeMap<String, TensorData>,
        device: &Device,
    ) -> Result<Self, LoadError> {
        let mut source = StateDictSource::new(state_dict, device);
        let generator = Generator::build(config, &mut source)?;
        let filter = Fir::new(&config.synthesis.resample_filter);
        let mut unused = Vec::new();
        for (key, data) in source.into_remaining() {
            // Derived buffers: NVlabs stores the prepared filter in every layer and block.
            if key.ends_with(".resample_filter") {
                let values = data.try_into_vec_as::<f32>().ok();
                if values.as_deref() != Some(&filter.values[..]) {
                    return Err(LoadError::Filter(key));
                }
            } else {
                unused.push(key);
            }
        }
        if !unused.is_empty() {
            return Err(LoadError::Unused(unused));
        }
        Ok(generator)
    }

    /// Loads `G.safetensors` with its `init_kwargs` in `G.json` beside it. `path` may name either
    /// file or their common stem.
    ///
    /// A `.pkl` is refused with a pointer to the conversion route: NVlabs pickles are read by a
    /// pickle reader that yields a state dict and `init_kwargs` for
    /// [`from_state_dict`](Self::from_state_dict).
    pub fn load(path: &Path, device: &Device) -> Result<Self, LoadError> {
        let (tensors_path, json_path) = network_paths(path)?;
        let text = std::fs::read_to_string(&json_path).map_err(|source| LoadError::Io {
            path: json_path.clone(),
            source,
        })?;
        let init_kwargs: serde_json::Value =
            serde_json::from_str(&text).map_err(|source| LoadError::Json {
                path: json_path.clone(),
                source,
            })?;
        let state_dict = read_safetensors(&tensors_path)?;
        Self::from_state_dict(state_dict, &init_kwargs, device)
    }
}

/// The `(G.safetensors, G.json)` pair for a path naming either file or their stem.
pub fn network_paths(path: &Path) -> Result<(PathBuf, PathBuf), LoadError> {
    let ext = path.extension().and_then(|e| e.to_str()).unwrap_or("");
    match ext {
        "pkl" | "pickle" => Err(LoadError::Unsupported {
            path: path.to_path_buf(),
            reason: "NVlabs pickles are not read directly yet; convert the network to \
                     G.safetensors + G.json (init_kwargs), see scripts/stylegan2_reference.py \
                     (`convert`)"
                .into(),
        }),
        "safetensors" | "json" => Ok((
            path.with_extension("safetensors"),
            path.with_extension("json"),
        )),
        _ => {
            let mut s = path.as_os_str().to_owned();
            s.push(".safetensors");
            let mut j = path.as_os_str().to_owned();
            j.push(".json");
            Ok((PathBuf::from(s), PathBuf::from(j)))
        }
    }
}

/// All tensors of a safetensors file, by name.
pub fn read_safetensors(path: &Path) -> Result<BTreeMap<String, TensorData>, LoadError> {
    if !path.is_file() {
        return Err(LoadError::Io {
            path: path.to_path_buf(),
            source: std::io::Error::new(std::io::ErrorKind::NotFound, "no such file"),
        });
    }
    let err = |message: String| LoadError::Safetensors {
        path: path.to_path_buf(),
        message,
    };
    let mut store = burn_store::SafetensorsStore::from_file(path);
    let tensors = store.get_all_tensors().map_err(|e| err(e.to_string()))?;
    tensors
        .iter()
        .map(|(name, t)| {
            let data = burn_store::bridge::to_data(t).map_err(|e| err(format!("`{name}`: {e}")))?;
            Ok((name.clone(), data))
        })
        .collect()
}
