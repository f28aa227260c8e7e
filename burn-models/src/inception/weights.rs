//! Inception weights: the catalogue of known files (fetched through [`crate::weights`]' verified cache), readers,
//! key checks and remaps.
//!
//! Every loader ends in one place, [`StateDict`] → [`Inception`](super::Inception): a map from torchvision /
//! pytorch-fid names (`Mixed_6b.branch7x7dbl_3.conv.weight`, `...bn.running_var`, `fc.weight`) to
//! [`TensorData`], checked against the network before anything is applied. Readers produce such maps from
//! PyTorch state dicts (`.pth`, through burn-store's `PytorchStore`) and safetensors files; other formats (the
//! NVIDIA TorchScript `inception-2015-12-05.pt`, the paper's `.pkl`) plug in by producing a map and, where the
//! names differ, passing it through [`remap_nvidia`].

use std::collections::BTreeMap;
use std::fmt;
use std::io;
use std::path::{Path, PathBuf};

use burn::module::{Module, ModuleVisitor, Param};
use burn::tensor::{DType, Tensor, TensorData};
use burn_store::{ModuleStore, PytorchStore, SafetensorsStore};
use sha2::{Digest, Sha256};

use super::{Inception, InceptionConfig};
use crate::weights::{WeightsFile, hex};

/// Tensors by checkpoint name (torchvision / pytorch-fid layout).
pub type StateDict = BTreeMap<String, TensorData>;

/// The command-line option that takes a local Inception weights file (named in errors).
pub const INCEPTION_WEIGHTS_FLAG: &str = "--inception-weights";

/// Known Inception weight files.
///
/// Both entries are the same 95,628,359-byte file (TF `inception-2015-12-05` converted to a torchvision state dict
/// with a 1008-way `fc`), published by pytorch-fid and mirrored by torch-fidelity; the `6726825d` in the names is
/// the start of its SHA-256.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum InceptionWeights {
    /// `pt_inception-2015-12-05-6726825d.pth` from the pytorch-fid release `fid_weights` (the default).
    PytorchFid,
    /// `weights-inception-2015-12-05-6726825d.pth` from the torch-fidelity release v0.2.0 (same bytes).
    TorchFidelity,
}

impl InceptionWeights {
    /// The file downloaded when no weights are given.
    pub const DEFAULT: InceptionWeights = InceptionWeights::PytorchFid;

    /// Every catalogue entry.
    pub const ALL: [InceptionWeights; 2] = [
        InceptionWeights::PytorchFid,
        InceptionWeights::TorchFidelity,
    ];

    /// The catalogue entry: cache path (`inception/NAME`), URL, SHA-256, size, licence and provenance.
    pub fn file(self) -> WeightsFile {
        const SHA256: &str = "6726825d0af5f729cebd5821db510b11b1cfad8faad88a03f1befd49fb9129b2";
        const SIZE: u64 = 95_628_359;
        const LICENCE: &str = "Apache-2.0 (TensorFlow models, inception-2015-12-05; converted by pytorch-fid, Apache-2.0)";
        const PROVENANCE: &str = "TF inception-2015-12-05 graph \
             (http://download.tensorflow.org/models/image/imagenet/inception-2015-12-05.tgz) \
             ported to a torchvision Inception3 state dict with a 1008-way fc";
        let (file_name, url) = match self {
            Self::PytorchFid => (
                "inception/pt_inception-2015-12-05-6726825d.pth",
                "https://github.com/mseitzer/pytorch-fid/releases/download/fid_weights/pt_inception-2015-12-05-6726825d.pth",
            ),
            Self::TorchFidelity => (
                "inception/weights-inception-2015-12-05-6726825d.pth",
                "https://github.com/toshas/torch-fidelity/releases/download/v0.2.0/weights-inception-2015-12-05-6726825d.pth",
            ),
        };
        WeightsFile {
            file_name,
            url,
            sha256: SHA256,
            size: SIZE,
            licence: LICENCE,
            provenance: PROVENANCE,
        }
    }

    /// Download URL.
    pub fn url(self) -> &'static str {
        self.file().url
    }

    /// File name (the last part of the URL; cached as `inception/NAME`).
    pub fn file_name(self) -> &'static str {
        self.url().rsplit('/').next().unwrap_or("inception.pth")
    }

    /// SHA-256 of the file (hex).
    pub fn sha256(self) -> &'static str {
        self.file().sha256
    }

    /// Size in bytes.
    pub fn size(self) -> u64 {
        self.file().size
    }

    /// Licence of the weights.
    pub fn licence(self) -> &'static str {
        self.file().licence
    }

    /// Where the weights come from.
    pub fn provenance(self) -> &'static str {
        self.file().provenance
    }

    /// Where this file is cached: `$FIDLAB_CACHE/inception/NAME`, else `<user cache dir>/fidlab/inception/NAME`.
    pub fn cache_path(self) -> Result<PathBuf, WeightsError> {
        Ok(self.file().cache_path()?)
    }

    /// The cached file, SHA-256 checked; downloaded into the cache first if it is not there (see
    /// [`WeightsFile::fetch`]: the download streams into a temporary file that is renamed into place only when its
    /// hash matches). Offline, the error names the URL, the cache path and `--inception-weights FILE`.
    pub fn fetch(self) -> Result<PathBuf, WeightsError> {
        Ok(self.file().fetch(INCEPTION_WEIGHTS_FLAG)?)
    }
}

impl fmt::Display for InceptionWeights {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.file_name())
    }
}

/// Where to get weights: a catalogue entry (downloaded on first use) or a local file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WeightsSource {
    /// A known file, from the cache or downloaded into it.
    Catalogue(InceptionWeights),
    /// A local `.pth` / `.pt` (PyTorch state dict) or `.safetensors` file.
    File(PathBuf),
}

impl From<InceptionWeights> for WeightsSource {
    fn from(w: InceptionWeights) -> Self {
        Self::Catalogue(w)
    }
}

impl From<PathBuf> for WeightsSource {
    fn from(p: PathBuf) -> Self {
        Self::File(p)
    }
}

impl From<&Path> for WeightsSource {
    fn from(p: &Path) -> Self {
        Self::File(p.to_path_buf())
    }
}

impl From<Option<PathBuf>> for WeightsSource {
    /// `--inception-weights FILE` if given, else the default catalogue entry.
    fn from(p: Option<PathBuf>) -> Self {
        p.map_or(Self::Catalogue(InceptionWeights::DEFAULT), Self::File)
    }
}

/// Where the loaded weights came from, for statistics files.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct WeightsProvenance {
    /// The file read, or a description for weights handed over as a map.
    pub source: String,
    /// SHA-256 of that file (hex), if the weights came from a file.
    pub file_sha256: Option<String>,
    /// SHA-256 of the tensors themselves (see [`state_dict_sha256`]); equal for the same weights in any format.
    pub tensors_sha256: String,
}

/// Any failure to find, download, read or apply weights.
#[derive(Debug, thiserror::Error)]
pub enum WeightsError {
    /// A file could not be opened, read or written.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: io::Error,
    },
    /// A PyTorch file could not be parsed.
    #[error("cannot read PyTorch weights {path}: {source}")]
    Pytorch {
        /// The file.
        path: PathBuf,
        /// burn-store's error.
        #[source]
        source: burn_store::PytorchStoreError,
    },
    /// A safetensors file could not be parsed.
    #[error("cannot read safetensors weights {path}: {source}")]
    Safetensors {
        /// The file.
        path: PathBuf,
        /// burn-store's error.
        #[source]
        source: burn_store::SafetensorsStoreError,
    },
    /// A network pickle or TorchScript archive could not be read.
    #[error("cannot read network pickle {path}: {source}")]
    Pickle {
        /// The file.
        path: PathBuf,
        /// The pickle reader's error.
        #[source]
        source: crate::pickle::PickleError,
    },
    /// A tensor's bytes did not match its shape.
    #[error("tensor `{name}` in {path}: {message}")]
    Tensor {
        /// The file.
        path: PathBuf,
        /// The tensor.
        name: String,
        /// What was wrong.
        message: String,
    },
    /// The file extension names no known format.
    #[error("{0}: unknown weights format (expected .pth, .pt, .bin, .ckpt, .safetensors or .pkl)")]
    UnknownFormat(PathBuf),
    /// Names or shapes differ from the network's.
    #[error("{0}")]
    Keys(KeyMismatch),
    /// A tensor is not floating point.
    #[error("tensor `{name}` has dtype {dtype:?}; Inception weights must be floating point")]
    DType {
        /// The tensor.
        name: String,
        /// Its dtype.
        dtype: DType,
    },
    /// Finding, downloading or verifying a catalogue file failed (cache, checksum, network).
    #[error(transparent)]
    File(#[from] crate::weights::WeightsError),
}

/// Missing, unexpected and misshaped tensors, as found when checking a [`StateDict`] against the network.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct KeyMismatch {
    /// Names the network needs that the weights lack.
    pub missing: Vec<String>,
    /// Names in the weights that the network does not have.
    pub unexpected: Vec<String>,
    /// `(name, expected shape, found shape)`.
    pub misshaped: Vec<(String, Vec<usize>, Vec<usize>)>,
}

impl KeyMismatch {
    /// True when names and shapes agree.
    pub fn is_empty(&self) -> bool {
        self.missing.is_empty() && self.unexpected.is_empty() && self.misshaped.is_empty()
    }
}

impl fmt::Display for KeyMismatch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        const SHOWN: usize = 12;
        writeln!(f, "weights do not match the Inception network:")?;
        let list = |f: &mut fmt::Formatter<'_>, what: &str, items: Vec<String>| -> fmt::Result {
            if items.is_empty() {
                return Ok(());
            }
            writeln!(f, "  {} {what}:", items.len())?;
            for item in items.iter().take(SHOWN) {
                writeln!(f, "    {item}")?;
            }
            if items.len() > SHOWN {
                writeln!(f, "    … and {} more", items.len() - SHOWN)?;
            }
            Ok(())
        };
        list(f, "missing", self.missing.clone())?;
        list(f, "unexpected", self.unexpected.clone())?;
        let misshaped = self
            .misshaped
            .iter()
            .map(|(n, e, g)| format!("{n}: expected {e:?}, found {g:?}"))
            .collect();
        list(f, "misshaped", misshaped)
    }
}

/// Reads weights into a [`StateDict`] with torchvision names, by extension: a PyTorch state dict (`.pth`, `.pt`,
/// `.bin`, `.ckpt`), a safetensors file, or a network pickle (`.pkl`, and `.pt` files that are not state dicts,
/// such as NVIDIA's TorchScript `inception-2015-12-05.pt`) read by [`crate::pickle`]. Tensors with NVIDIA's names
/// (`layers.…`, `output.…`) are renamed by [`remap_nvidia`].
pub fn read_state_dict(path: &Path) -> Result<StateDict, WeightsError> {
    let sd = read_raw(path)?;
    if sd.keys().any(|k| k.starts_with("layers.")) {
        return remap_nvidia(sd).map_err(WeightsError::Keys);
    }
    Ok(sd)
}

/// The tensors of a network pickle or TorchScript archive, by their names in the file.
pub fn read_pickle(path: &Path) -> Result<StateDict, WeightsError> {
    let err = |source| WeightsError::Pickle {
        path: path.to_path_buf(),
        source,
    };
    let ckpt = crate::pickle::load_file(path).map_err(err)?;
    let opts = crate::pickle::DataOptions {
        half_to_f32: true,
        ..Default::default()
    };
    Ok(ckpt.network_weights(None, &opts).map_err(err)?.tensors)
}

fn read_raw(path: &Path) -> Result<StateDict, WeightsError> {
    if !path.is_file() {
        return Err(WeightsError::Io {
            path: path.to_path_buf(),
            source: io::Error::new(io::ErrorKind::NotFound, "no such file"),
        });
    }
    let ext = path
        .extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase);
    let tensors = match ext.as_deref() {
        Some("pth" | "pt" | "bin" | "ckpt") => {
            let mut store = PytorchStore::from_file(path).map_indices_contiguous(false);
            let all = store.get_all_tensors();
            all.map_err(|source| WeightsError::Pytorch {
                path: path.to_path_buf(),
                source,
            })?
            .clone()
        }
        Some("safetensors") => {
            let mut store = SafetensorsStore::from_file(path);
            let all = store.get_all_tensors();
            all.map_err(|source| WeightsError::Safetensors {
                path: path.to_path_buf(),
                source,
            })?
            .clone()
        }
        _ => return Err(WeightsError::UnknownFormat(path.to_path_buf())),
    };
    tensors
        .into_iter()
        .map(|(name, t)| {
            let data = burn_store::bridge::into_data(t).map_err(|e| WeightsError::Tensor {
                path: path.to_path_buf(),
                name: name.clone(),
                message: e.to_string(),
            })?;
            Ok((name, data))
        })
        .collect()
}

/// Names and shapes of every tensor of a network built from `config`, in checkpoint layout.
pub fn expected_shapes(config: &InceptionConfig) -> BTreeMap<String, Vec<usize>> {
    // Every parameter is lazily initialised and only its shape is read, so nothing is allocated on the device.
    let device = burn::tensor::Device::default();
    let net = config.init(&device);
    let mut visitor = ShapeCollector::default();
    net.visit(&mut visitor);
    visitor.shapes
}

#[derive(Default)]
struct ShapeCollector {
    path: Vec<String>,
    shapes: BTreeMap<String, Vec<usize>>,
}

impl ModuleVisitor for ShapeCollector {
    fn enter_module(&mut self, name: &str, _container_type: &str) {
        self.path.push(name.to_string());
    }

    fn exit_module(&mut self, _name: &str, _container_type: &str) {
        self.path.pop();
    }

    fn visit_float<const D: usize>(&mut self, param: &Param<Tensor<D>>) {
        // `lazy_shape` reads the shape without allocating the (lazily initialised) tensor.
        let name = self
            .path
            .iter()
            .filter(|p| !p.is_empty())
            .cloned()
            .collect::<Vec<_>>()
            .join(".");
        self.shapes.insert(name, param.lazy_shape().to_vec());
    }
}

/// Compares a state dict with what a network built from `config` needs. `num_batches_tracked` counters
/// (PyTorch batch-norm bookkeeping, unused at inference) are ignored.
pub fn check_state_dict(sd: &StateDict, config: &InceptionConfig) -> KeyMismatch {
    let expected = expected_shapes(config);
    let mut m = KeyMismatch::default();
    for (name, shape) in &expected {
        match sd.get(name) {
            None => m.missing.push(name.clone()),
            Some(t) if t.shape().to_vec() != *shape => {
                m.misshaped
                    .push((name.clone(), shape.clone(), t.shape().to_vec()))
            }
            Some(_) => {}
        }
    }
    m.unexpected = sd
        .keys()
        .filter(|k| !expected.contains_key(*k) && !k.ends_with("num_batches_tracked"))
        .cloned()
        .collect();
    m
}

/// SHA-256 over the tensors a network uses, independent of the file format: for each name in sorted order,
/// `name`, a NUL byte, the shape as little-endian u64s, then the values as little-endian f32.
pub fn state_dict_sha256(sd: &StateDict) -> Result<String, WeightsError> {
    let mut hasher = Sha256::new();
    for (name, data) in sd
        .iter()
        .filter(|(k, _)| !k.ends_with("num_batches_tracked"))
    {
        hasher.update(name.as_bytes());
        hasher.update([0u8]);
        for d in data.shape().iter() {
            hasher.update((*d as u64).to_le_bytes());
        }
        let values = f32_values(name, data)?;
        for v in values {
            hasher.update(v.to_le_bytes());
        }
    }
    Ok(hex(&hasher.finalize()))
}

fn f32_values(name: &str, data: &TensorData) -> Result<Vec<f32>, WeightsError> {
    if !data.dtype().is_float() {
        return Err(WeightsError::DType {
            name: name.to_string(),
            dtype: data.dtype(),
        });
    }
    Ok(data.try_to_vec_as::<f32>().unwrap_or_default())
}

/// Builds the network from a state dict after checking every name, shape and dtype.
///
/// Errors list all missing, unexpected and misshaped tensors at once.
pub(super) fn apply_state_dict(
    sd: &StateDict,
    config: &InceptionConfig,
    device: &burn::tensor::Device,
) -> Result<Inception, WeightsError> {
    let mismatch = check_state_dict(sd, config);
    if !mismatch.is_empty() {
        return Err(WeightsError::Keys(mismatch));
    }
    let mut tensors = Vec::with_capacity(sd.len());
    for (name, data) in sd
        .iter()
        .filter(|(k, _)| !k.ends_with("num_batches_tracked"))
    {
        if !data.dtype().is_float() {
            return Err(WeightsError::DType {
                name: name.clone(),
                dtype: data.dtype(),
            });
        }
        tensors.push(burn_store::bridge::from_data(
            data.clone().convert::<f32>(),
            name.clone(),
            None,
        ));
    }
    let mut net = config.init(device);
    let result = burn_store::ModuleSnapshot::apply(&mut net, tensors, None, None, false);
    if !result.errors.is_empty() || !result.missing.is_empty() || !result.unused.is_empty() {
        // Unreachable after `check_state_dict`, unless burn-store and the visitor disagree on a name.
        return Err(WeightsError::Keys(KeyMismatch {
            missing: result.missing.iter().map(|(p, _)| p.clone()).collect(),
            unexpected: result.unused.clone(),
            misshaped: result
                .errors
                .iter()
                .map(|e| (e.to_string(), vec![], vec![]))
                .collect(),
        }));
    }
    Ok(net)
}

/// Renames the tensors of NVIDIA's TF-2015 Inception (`inception-2015-12-05.pt` TorchScript, and the paper's
/// `inception_v3-tf-2015-12-05.pkl`, whose modules are `layers.conv`, …, `layers.mixed_10`, `output`) to
/// torchvision names, and adds the batch-norm scales that graph lacks (all ones).
///
/// NVIDIA's layers store `weight` (conv), `beta`, `mean`, `var` (batch norm without scale). The table below is
/// [`nvidia_name`]; this layout is inferred from public conversions of that file and must be confirmed
/// against the real file (the `#[ignore]` test in `tests/inception_parity.rs` does that).
pub fn remap_nvidia(sd: StateDict) -> Result<StateDict, KeyMismatch> {
    let mut out = StateDict::new();
    let mut unexpected = Vec::new();
    for (name, data) in sd {
        match nvidia_name(&name) {
            Some(new) => {
                if let Some(prefix) = new.strip_suffix(".bn.bias") {
                    // The TF graph's batch norm has no scale: γ = 1.
                    let n = data.shape().num_elements();
                    out.insert(
                        format!("{prefix}.bn.weight"),
                        TensorData::new(vec![1.0f32; n], [n]),
                    );
                }
                out.insert(new, data);
            }
            None => unexpected.push(name),
        }
    }
    if unexpected.is_empty() {
        Ok(out)
    } else {
        Err(KeyMismatch {
            unexpected,
            ..Default::default()
        })
    }
}

/// The torchvision name of one NVIDIA TF-2015 Inception tensor, if it is one (see [`remap_nvidia`]).
pub fn nvidia_name(name: &str) -> Option<String> {
    if let Some(param) = name.strip_prefix("output.") {
        // The classifier: `output` = torchvision `fc`.
        return matches!(param, "weight" | "bias").then(|| format!("fc.{param}"));
    }
    let rest = name.strip_prefix("layers.")?;
    let (layer, param) = rest.rsplit_once('.')?;
    // NVIDIA parameter → torchvision parameter of `BasicConv2d`.
    let param = match param {
        "weight" => "conv.weight",
        "beta" => "bn.bias",
        "mean" => "bn.running_mean",
        "var" => "bn.running_var",
        _ => return None,
    };
    let (block, path) = layer.split_once('.').unwrap_or((layer, ""));
    let module = nvidia_module(block, path)?;
    Some(format!("{module}.{param}"))
}

/// NVIDIA `layers.<block>.<path>` → torchvision module path.
fn nvidia_module(block: &str, path: &str) -> Option<String> {
    // Stem convolutions: `layers.conv`, `conv_1`, … `conv_4`.
    let stem = match (block, path) {
        ("conv", "") => Some("Conv2d_1a_3x3"),
        ("conv_1", "") => Some("Conv2d_2a_3x3"),
        ("conv_2", "") => Some("Conv2d_2b_3x3"),
        ("conv_3", "") => Some("Conv2d_3b_1x1"),
        ("conv_4", "") => Some("Conv2d_4a_3x3"),
        _ => None,
    };
    if let Some(s) = stem {
        return Some(s.to_string());
    }
    // Mixed blocks: TF `mixed`, `mixed_1`, … `mixed_10` are torchvision `Mixed_5b` … `Mixed_7c`.
    const BLOCKS: [(&str, &str, char); 11] = [
        ("mixed", "Mixed_5b", 'A'),
        ("mixed_1", "Mixed_5c", 'A'),
        ("mixed_2", "Mixed_5d", 'A'),
        ("mixed_3", "Mixed_6a", 'B'),
        ("mixed_4", "Mixed_6b", 'C'),
        ("mixed_5", "Mixed_6c", 'C'),
        ("mixed_6", "Mixed_6d", 'C'),
        ("mixed_7", "Mixed_6e", 'C'),
        ("mixed_8", "Mixed_7a", 'D'),
        ("mixed_9", "Mixed_7b", 'E'),
        ("mixed_10", "Mixed_7c", 'E'),
    ];
    let (_, tv, kind) = BLOCKS.iter().find(|(tf, _, _)| *tf == block)?;
    // Branches: TF `conv` (the 1×1 branch, or B's 3×3), `tower`, `tower_1`, `tower_2` with convs `conv`, `conv_1`, …
    // and E's split convs `tower.mixed.conv` / `conv_1`.
    let branch = match (kind, path) {
        ('A', "conv") | ('C', "conv") | ('E', "conv") => "branch1x1",
        ('A', "tower.conv") => "branch5x5_1",
        ('A', "tower.conv_1") => "branch5x5_2",
        ('A', "tower_1.conv") => "branch3x3dbl_1",
        ('A', "tower_1.conv_1") => "branch3x3dbl_2",
        ('A', "tower_1.conv_2") => "branch3x3dbl_3",
        ('A', "tower_2.conv") | ('C', "tower_2.conv") | ('E', "tower_2.conv") => "branch_pool",
        ('B', "conv") => "branch3x3",
        ('B', "tower.conv") => "branch3x3dbl_1",
        ('B', "tower.conv_1") => "branch3x3dbl_2",
        ('B', "tower.conv_2") => "branch3x3dbl_3",
        ('C', "tower.conv") => "branch7x7_1",
        ('C', "tower.conv_1") => "branch7x7_2",
        ('C', "tower.conv_2") => "branch7x7_3",
        ('C', "tower_1.conv") => "branch7x7dbl_1",
        ('C', "tower_1.conv_1") => "branch7x7dbl_2",
        ('C', "tower_1.conv_2") => "branch7x7dbl_3",
        ('C', "tower_1.conv_3") => "branch7x7dbl_4",
        ('C', "tower_1.conv_4") => "branch7x7dbl_5",
        ('D', "tower.conv") => "branch3x3_1",
        ('D', "tower.conv_1") => "branch3x3_2",
        ('D', "tower_1.conv") => "branch7x7x3_1",
        ('D', "tower_1.conv_1") => "branch7x7x3_2",
        ('D', "tower_1.conv_2") => "branch7x7x3_3",
        ('D', "tower_1.conv_3") => "branch7x7x3_4",
        ('E', "tower.conv") => "branch3x3_1",
        ('E', "tower.mixed.conv") => "branch3x3_2a",
        ('E', "tower.mixed.conv_1") => "branch3x3_2b",
        ('E', "tower_1.conv") => "branch3x3dbl_1",
        ('E', "tower_1.conv_1") => "branch3x3dbl_2",
        ('E', "tower_1.mixed.conv") => "branch3x3dbl_3a",
        ('E', "tower_1.mixed.conv_1") => "branch3x3dbl_3b",
        _ => return None,
    };
    Some(format!("{tv}.{branch}"))
}

/// Seed of the parity weights shared with `scripts/inception_reference.py`.
pub const PARITY_SEED: u64 = 2015;

/// Seeded weights for every tensor of the FID network, bit-identical to `seeded_state_dict` in
/// `scripts/inception_reference.py` (see `seeded_inception_tensor` there for the scales).
pub fn seeded_state_dict(seed: u64) -> StateDict {
    expected_shapes(&InceptionConfig::fid_tf_2015())
        .into_iter()
        .map(|(name, shape)| {
            let data = TensorData::new(seeded_tensor(&name, &shape, seed), shape);
            (name, data)
        })
        .collect()
}

/// The values of one parity tensor (row-major), as `seeded_inception_tensor` in the reference script.
pub fn seeded_tensor(name: &str, shape: &[usize], seed: u64) -> Vec<f32> {
    use crate::seeded::seeded_values;
    let n = shape.iter().product();
    let plus_one = |v: Vec<f32>| v.into_iter().map(|x| 1.0f32 + x).collect();
    if name.ends_with("conv.weight") {
        let fan_in: usize = shape[1..].iter().product();
        seeded_values(name, seed, n, (6.0 / fan_in as f64).sqrt() as f32)
    } else if name.ends_with("bn.weight") {
        plus_one(seeded_values(name, seed, n, 0.25))
    } else if name.ends_with("bn.bias") || name.ends_with("bn.running_mean") || name == "fc.bias" {
        seeded_values(name, seed, n, 0.1)
    } else if name.ends_with("bn.running_var") {
        plus_one(seeded_values(name, seed, n, 0.5))
    } else if name == "fc.weight" {
        seeded_values(name, seed, n, (3.0 / shape[1] as f64).sqrt() as f32)
    } else {
        panic!("no seeding rule for `{name}`")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn catalogue_is_consistent() {
        for w in InceptionWeights::ALL {
            assert!(w.url().ends_with(w.file_name()));
            assert!(
                w.file_name().contains(&w.sha256()[..8]),
                "{w}: name carries the hash prefix"
            );
            assert_eq!(w.sha256().len(), 64);
            assert_eq!(w.file().file_name, format!("inception/{}", w.file_name()));
        }
    }

    #[test]
    fn offline_error_names_url_cache_path_and_flag() {
        let dir = tempfile::tempdir().unwrap();
        let w = InceptionWeights::DEFAULT;
        let err = WeightsError::from(
            w.file()
                .fetch_with(dir.path(), INCEPTION_WEIGHTS_FLAG, None)
                .unwrap_err(),
        )
        .to_string();
        let expected = dir.path().join("inception").join(w.file_name());
        for part in [
            w.url(),
            &expected.display().to_string(),
            "--inception-weights FILE",
        ] {
            assert!(err.contains(part), "{part:?} missing from: {err}");
        }
    }

    #[test]
    fn network_has_the_pytorch_fid_key_set() {
        let shapes = expected_shapes(&InceptionConfig::fid_tf_2015());
        // 94 conv layers × (conv weight + 4 batch-norm tensors) + fc weight and bias.
        assert_eq!(shapes.len(), 94 * 5 + 2);
        assert_eq!(shapes["Conv2d_1a_3x3.conv.weight"], vec![32, 3, 3, 3]);
        assert_eq!(
            shapes["Mixed_6b.branch7x7dbl_3.conv.weight"],
            vec![128, 128, 1, 7]
        );
        assert_eq!(shapes["Mixed_7c.branch_pool.bn.running_var"], vec![192]);
        assert_eq!(shapes["fc.weight"], vec![1008, 2048]);
    }

    #[test]
    fn nvidia_names_cover_the_network_once() {
        let shapes = expected_shapes(&InceptionConfig::fid_tf_2015());
        // Build NVIDIA-style names by inverting the table over all candidates.
        let blocks = ["conv", "conv_1", "conv_2", "conv_3", "conv_4"]
            .iter()
            .map(|s| s.to_string())
            .chain((0..=10).map(|i| {
                if i == 0 {
                    "mixed".to_string()
                } else {
                    format!("mixed_{i}")
                }
            }))
            .collect::<Vec<_>>();
        let paths = [
            "",
            "conv",
            "tower.conv",
            "tower.conv_1",
            "tower.conv_2",
            "tower_1.conv",
            "tower_1.conv_1",
            "tower_1.conv_2",
            "tower_1.conv_3",
            "tower_1.conv_4",
            "tower_2.conv",
            "tower.mixed.conv",
            "tower.mixed.conv_1",
            "tower_1.mixed.conv",
            "tower_1.mixed.conv_1",
        ];
        let mut hit = std::collections::BTreeSet::new();
        for b in &blocks {
            for p in paths {
                let layer = if p.is_empty() {
                    b.clone()
                } else {
                    format!("{b}.{p}")
                };
                for param in ["weight", "beta", "mean", "var"] {
                    if let Some(tv) = nvidia_name(&format!("layers.{layer}.{param}")) {
                        assert!(shapes.contains_key(&tv), "{tv}");
                        assert!(hit.insert(tv.clone()), "{tv} mapped twice");
                    }
                }
            }
        }
        // Everything but the batch-norm scales (absent in TF) and the classifier is covered.
        assert_eq!(hit.len(), 94 * 4);
        assert_eq!(nvidia_name("output.weight").as_deref(), Some("fc.weight"));
        assert_eq!(
            nvidia_name("layers.mixed_10.tower_2.conv.var").as_deref(),
            Some("Mixed_7c.branch_pool.bn.running_var")
        );
        assert_eq!(nvidia_name("layers.pool2.weight"), None);
    }

    #[test]
    fn remap_adds_unit_scales_and_reports_strangers() {
        let mut sd = StateDict::new();
        sd.insert(
            "layers.conv.beta".into(),
            TensorData::new(vec![0.5f32; 32], [32]),
        );
        let out = remap_nvidia(sd.clone()).unwrap();
        assert_eq!(
            out["Conv2d_1a_3x3.bn.weight"].try_to_vec::<f32>().unwrap(),
            vec![1.0; 32]
        );
        sd.insert(
            "layers.mystery.weight".into(),
            TensorData::new(vec![0.0f32], [1]),
        );
        assert_eq!(
            remap_nvidia(sd).unwrap_err().unexpected,
            vec!["layers.mystery.weight".to_string()]
        );
    }

    #[test]
    fn mismatch_lists_every_kind() {
        let mut sd = seeded_state_dict(1);
        sd.remove("Mixed_5b.branch1x1.conv.weight");
        sd.insert(
            "Mixed_5b.extra.weight".into(),
            TensorData::new(vec![0.0f32], [1]),
        );
        sd.insert(
            "fc.bias".into(),
            TensorData::new(vec![0.0f32; 1000], [1000]),
        );
        sd.insert(
            "Mixed_5b.branch1x1.bn.num_batches_tracked".into(),
            TensorData::new(vec![0i64], [1]),
        );
        let m = check_state_dict(&sd, &InceptionConfig::fid_tf_2015());
        assert_eq!(
            m.missing,
            vec!["Mixed_5b.branch1x1.conv.weight".to_string()]
        );
        assert_eq!(m.unexpected, vec!["Mixed_5b.extra.weight".to_string()]);
        assert_eq!(
            m.misshaped,
            vec![("fc.bias".to_string(), vec![1008], vec![1000])]
        );
        let text = m.to_string();
        assert!(
            text.contains("1 missing")
                && text.contains("1 unexpected")
                && text.contains("expected [1008], found [1000]"),
            "{text}"
        );
    }
}
