//! Loading CLIP vision weights: OpenAI / open_clip state dicts (`visual.*`, `.pth` or safetensors),
//! Hugging Face `CLIPModel` safetensors (remapped), or any name → [`TensorData`] map (the entry point
//! for pickles read by other readers).

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use burn::module::Param;
use burn::tensor::{Device, Tensor, TensorData};

use super::vision::{ClipVision, ClipVisionConfig};
use crate::weights::{TensorMap, WeightsError, WeightsFile, read_tensor_file, sha256_file};

/// The command-line flag that takes a local CLIP weights file.
pub const CLIP_WEIGHTS_FLAG: &str = "--clip-weights";

/// Known CLIP weight files.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ClipWeights {
    /// OpenAI's ViT-B/32 release (a TorchScript archive holding the whole CLIP model in fp16; the URL's
    /// path segment is the file's SHA-256, as OpenAI's `clip/clip.py` `_download` checks).
    #[default]
    OpenAiVitB32,
}

impl ClipWeights {
    /// The catalogue entry.
    pub fn file(self) -> WeightsFile {
        match self {
            Self::OpenAiVitB32 => WeightsFile {
                file_name: "clip/ViT-B-32.pt",
                url: "https://openaipublic.azureedge.net/clip/models/\
                      40d365715913c9da98579312b702a82c18be219cc2a73407c4526f58eba950af/ViT-B-32.pt",
                sha256: "40d365715913c9da98579312b702a82c18be219cc2a73407c4526f58eba950af",
                size: 353_976_522,
                licence: "MIT (github.com/openai/CLIP LICENSE)",
                provenance: "OpenAI CLIP ViT-B/32, clip/clip.py _MODELS[\"ViT-B/32\"]",
            },
        }
    }

    /// The network this file holds.
    pub fn config(self) -> ClipVisionConfig {
        match self {
            Self::OpenAiVitB32 => ClipVisionConfig::vit_b_32(),
        }
    }
}

/// Why weights could not be loaded into a [`ClipVision`].
#[derive(Debug, thiserror::Error)]
pub enum ClipWeightsError {
    /// Reading or fetching the file failed.
    #[error(transparent)]
    File(#[from] WeightsError),
    /// No key looks like a CLIP vision tower.
    #[error(
        "no CLIP vision tower in these weights: no key ends in `conv1.weight` (OpenAI/open_clip) or \
         `vision_model.embeddings.patch_embedding.weight` (Hugging Face); {count} keys, first: {first:?}"
    )]
    NotClip {
        /// Number of keys.
        count: usize,
        /// The first few keys.
        first: Vec<String>,
    },
    /// Keys are missing, left over or of the wrong shape for the configuration.
    #[error("CLIP weights do not match the configuration:{}", mismatch_list(.missing, .unexpected, .misshaped))]
    Mismatch {
        /// Keys the network needs that the file lacks.
        missing: Vec<String>,
        /// Keys of the vision tower the network does not use.
        unexpected: Vec<String>,
        /// `(key, expected shape, shape in the file)`.
        misshaped: Vec<(String, Vec<usize>, Vec<usize>)>,
    },
    /// A tensor has an element type other than a float.
    #[error("tensor `{0}` is not floating-point ({1:?})")]
    NotFloat(String, burn::tensor::DType),
}

fn mismatch_list(
    missing: &[String],
    unexpected: &[String],
    misshaped: &[(String, Vec<usize>, Vec<usize>)],
) -> String {
    let mut s = String::new();
    if !missing.is_empty() {
        s += &format!("\n  missing ({}): {}", missing.len(), missing.join(", "));
    }
    if !unexpected.is_empty() {
        s += &format!(
            "\n  unexpected ({}): {}",
            unexpected.len(),
            unexpected.join(", ")
        );
    }
    for (k, want, got) in misshaped {
        s += &format!("\n  misshaped: {k} is {got:?}, expected {want:?}");
    }
    s
}

/// The OpenAI / open_clip key under which the vision tower's `conv1.weight` is found decides the prefix
/// (`visual.` for a whole CLIP state dict, empty for `model.visual.state_dict()`, anything else for wrappers).
const OPENAI_ANCHOR: &str = "conv1.weight";
/// The same for Hugging Face `CLIPModel` / `CLIPVisionModelWithProjection`.
const HF_ANCHOR: &str = "vision_model.embeddings.patch_embedding.weight";

/// Brings a checkpoint's keys to the OpenAI names below `visual.` (the field paths of [`ClipVision`]).
///
/// * OpenAI / open_clip: the prefix before `conv1.weight` is stripped and keys outside it (text tower,
///   `logit_scale`, …) are ignored.
/// * Hugging Face: remapped by [`hf_to_openai`]; the text tower is ignored.
pub fn canonical_visual_keys(tensors: TensorMap) -> Result<TensorMap, ClipWeightsError> {
    let find_prefix = |anchor: &str| {
        tensors
            .keys()
            .filter_map(|k| k.strip_suffix(anchor))
            .filter(|p| p.is_empty() || p.ends_with('.'))
            .min_by_key(|p| p.len())
            .map(str::to_string)
    };
    if let Some(prefix) = find_prefix(HF_ANCHOR) {
        return Ok(hf_to_openai(tensors, &prefix));
    }
    let Some(prefix) = find_prefix(OPENAI_ANCHOR) else {
        return Err(ClipWeightsError::NotClip {
            count: tensors.len(),
            first: tensors.keys().take(8).cloned().collect(),
        });
    };
    Ok(tensors
        .into_iter()
        .filter_map(|(k, v)| k.strip_prefix(prefix.as_str()).map(|k| (k.to_string(), v)))
        .collect())
}

/// Remaps a Hugging Face `CLIPModel` checkpoint (keys below `prefix`) to OpenAI names. Rules:
fn hf_to_openai(tensors: TensorMap, prefix: &str) -> TensorMap {
    let mut out = TensorMap::new();
    // q, k and v projections per layer, fused below into OpenAI's in_proj.
    let mut qkv: BTreeMap<(String, &'static str, &'static str), TensorData> = BTreeMap::new();
    for (key, value) in tensors {
        let Some(k) = key.strip_prefix(prefix) else {
            continue;
        };
        // The projection is a bias-free Linear [512, 768]; OpenAI's `proj` is its transpose.
        if k == "visual_projection.weight" {
            out.insert("proj".into(), transpose_2d(value));
            continue;
        }
        let Some(v) = k.strip_prefix("vision_model.") else {
            continue;
        }; // text tower, logit_scale
        let name = match v {
            // `position_ids` is an index buffer, not a weight.
            "embeddings.position_ids" => continue,
            // The class token.
            "embeddings.class_embedding" => "class_embedding".to_string(),
            // The patch convolution keeps its layout.
            "embeddings.patch_embedding.weight" => "conv1.weight".to_string(),
            // An Embedding table [tokens, width] is OpenAI's positional_embedding as is.
            "embeddings.position_embedding.weight" => "positional_embedding".to_string(),
            // Hugging Face spells it `pre_layrnorm`.
            _ if v.starts_with("pre_layrnorm.") => v.replacen("pre_layrnorm.", "ln_pre.", 1),
            _ if v.starts_with("post_layernorm.") => v.replacen("post_layernorm.", "ln_post.", 1),
            _ => {
                let Some(rest) = v.strip_prefix("encoder.layers.") else {
                    out.insert(format!("hf-unmapped:{k}"), value); // reported as unexpected
                    continue;
                };
                let (layer, inner) = rest.split_once('.').unwrap_or((rest, ""));
                let block = format!("transformer.resblocks.{layer}.");
                let mapped = match inner {
                    // Separate q/k/v projections are collected and concatenated into in_proj_{weight,bias}.
                    "self_attn.q_proj.weight"
                    | "self_attn.k_proj.weight"
                    | "self_attn.v_proj.weight"
                    | "self_attn.q_proj.bias"
                    | "self_attn.k_proj.bias"
                    | "self_attn.v_proj.bias" => {
                        let which = if inner.contains("q_proj") {
                            "q"
                        } else if inner.contains("k_proj") {
                            "k"
                        } else {
                            "v"
                        };
                        let kind = if inner.ends_with("weight") {
                            "weight"
                        } else {
                            "bias"
                        };
                        qkv.insert((block, which, kind), value);
                        continue;
                    }
                    // The output projection has the same role and layout.
                    _ if inner.starts_with("self_attn.out_proj.") => {
                        inner.replacen("self_attn.", "attn.", 1)
                    }
                    // layer_norm1/2 are ln_1/ln_2.
                    _ if inner.starts_with("layer_norm1.") => {
                        inner.replacen("layer_norm1.", "ln_1.", 1)
                    }
                    _ if inner.starts_with("layer_norm2.") => {
                        inner.replacen("layer_norm2.", "ln_2.", 1)
                    }
                    // fc1/fc2 are c_fc/c_proj.
                    _ if inner.starts_with("mlp.fc1.") => {
                        inner.replacen("mlp.fc1.", "mlp.c_fc.", 1)
                    }
                    _ if inner.starts_with("mlp.fc2.") => {
                        inner.replacen("mlp.fc2.", "mlp.c_proj.", 1)
                    }
                    _ => {
                        out.insert(format!("hf-unmapped:{k}"), value);
                        continue;
                    }
                };
                format!("{block}{mapped}")
            }
        };
        out.insert(name, value);
    }
    let blocks: BTreeSet<(String, &str)> =
        qkv.keys().map(|(b, _, kind)| (b.clone(), *kind)).collect();
    for (block, kind) in blocks {
        let parts: Vec<Option<TensorData>> = ["q", "k", "v"]
            .iter()
            .map(|w| qkv.remove(&(block.clone(), *w, kind)))
            .collect();
        if parts.iter().all(Option::is_some) {
            let parts: Vec<TensorData> = parts.into_iter().flatten().collect();
            out.insert(format!("{block}attn.in_proj_{kind}"), concat_rows(parts));
        } else {
            // An incomplete triple cannot be fused: leave `in_proj` missing and report the parts found.
            for (w, p) in ["q", "k", "v"].iter().zip(parts) {
                if let Some(p) = p {
                    out.insert(format!("hf-unmapped:{block}{w}_proj.{kind}"), p);
                }
            }
        }
    }
    out
}

fn to_f32(data: TensorData) -> Vec<f32> {
    data.convert::<f32>()
        .try_into_vec::<f32>()
        .unwrap_or_default()
}

fn transpose_2d(data: TensorData) -> TensorData {
    let shape = data.shape().to_vec();
    if shape.len() != 2 {
        return data; // reported as misshaped later
    }
    let (r, c) = (shape[0], shape[1]);
    let v = to_f32(data);
    let mut t = vec![0f32; v.len()];
    for i in 0..r {
        for j in 0..c {
            t[j * r + i] = v[i * c + j];
        }
    }
    TensorData::new(t, [c, r])
}

fn concat_rows(parts: Vec<TensorData>) -> TensorData {
    let mut shape = parts[0].shape().to_vec();
    shape[0] = parts
        .iter()
        .map(|p| p.shape().first().copied().unwrap_or(0))
        .sum();
    let values: Vec<f32> = parts.into_iter().flat_map(to_f32).collect();
    TensorData::new(values, shape)
}

/// Moves tensors out of a canonical map into module parameters, recording what is missing or misshaped.
struct Taker<'a> {
    map: TensorMap,
    device: &'a Device,
    missing: Vec<String>,
    misshaped: Vec<(String, Vec<usize>, Vec<usize>)>,
    not_float: Option<(String, burn::tensor::DType)>,
}

impl Taker<'_> {
    /// The tensor `key` of shape `shape` (PyTorch layout), or `None` (recorded) if absent or misshaped.
    fn take<const D: usize>(&mut self, key: &str, shape: [usize; D]) -> Option<Tensor<D>> {
        let Some(data) = self.map.remove(key) else {
            self.missing.push(key.to_string());
            return None;
        };
        if data.shape().to_vec() != shape.to_vec() {
            self.misshaped
                .push((key.to_string(), shape.to_vec(), data.shape().to_vec()));
            return None;
        }
        if !data.dtype().is_float() {
            self.not_float
                .get_or_insert((key.to_string(), data.dtype()));
            return None;
        }
        Some(Tensor::from_data(data.convert::<f32>(), self.device))
    }

    fn set<const D: usize>(&mut self, param: &mut Param<Tensor<D>>, key: &str, shape: [usize; D]) {
        if let Some(t) = self.take(key, shape) {
            *param = Param::from_tensor(t);
        }
    }

    /// A PyTorch `Linear` (`weight [out, in]`, `bias [out]`) into Burn's layout (`weight [in, out]`).
    fn linear(&mut self, linear: &mut burn::nn::Linear, prefix: &str) {
        let [d_in, d_out] = linear.weight.dims();
        if let Some(w) = self.take(&format!("{prefix}.weight"), [d_out, d_in]) {
            linear.weight = Param::from_tensor(w.transpose());
        }
        if let Some(bias) = linear.bias.as_mut() {
            self.set(bias, &format!("{prefix}.bias"), [d_out]);
        }
    }

    /// A PyTorch `LayerNorm` (`weight`, `bias`) into Burn's (`gamma`, `beta`).
    fn layer_norm(&mut self, ln: &mut burn::nn::LayerNorm, prefix: &str) {
        let [d] = ln.gamma.dims();
        self.set(&mut ln.gamma, &format!("{prefix}.weight"), [d]);
        if let Some(beta) = ln.beta.as_mut() {
            self.set(beta, &format!("{prefix}.bias"), [d]);
        }
    }
}

impl ClipVision {
    /// Builds the network for `config` from a name → tensor map in any of the supported key conventions
    /// (see [`canonical_visual_keys`]); floats of any width are converted to f32.
    ///
    /// This is the entry point for checkpoints read by other readers (e.g. a pickle reader giving
    /// OpenAI's `ViT-B-32.pt` or the paper's `clip-vit_b32.pkl` as a map).
    ///
    /// # Errors
    /// [`ClipWeightsError::Mismatch`] listing every missing, unexpected and misshaped key.
    pub fn from_tensors(
        config: &ClipVisionConfig,
        tensors: TensorMap,
        device: &Device,
    ) -> Result<Self, ClipWeightsError> {
        let map = canonical_visual_keys(tensors)?;
        let mut m = config.init(device);
        let mut t = Taker {
            map,
            device,
            missing: vec![],
            misshaped: vec![],
            not_float: None,
        };
        let (w, p, n) = (config.width, config.patch_size, config.num_tokens());
        t.set(&mut m.conv1.weight, "conv1.weight", [w, 3, p, p]);
        t.set(&mut m.class_embedding, "class_embedding", [w]);
        t.set(&mut m.positional_embedding, "positional_embedding", [n, w]);
        t.layer_norm(&mut m.ln_pre, "ln_pre");
        for (i, block) in m.transformer.resblocks.iter_mut().enumerate() {
            let b = format!("transformer.resblocks.{i}");
            t.layer_norm(&mut block.ln_1, &format!("{b}.ln_1"));
            t.set(
                &mut block.attn.in_proj_weight,
                &format!("{b}.attn.in_proj_weight"),
                [3 * w, w],
            );
            t.set(
                &mut block.attn.in_proj_bias,
                &format!("{b}.attn.in_proj_bias"),
                [3 * w],
            );
            t.linear(&mut block.attn.out_proj, &format!("{b}.attn.out_proj"));
            t.layer_norm(&mut block.ln_2, &format!("{b}.ln_2"));
            t.linear(&mut block.mlp.c_fc, &format!("{b}.mlp.c_fc"));
            t.linear(&mut block.mlp.c_proj, &format!("{b}.mlp.c_proj"));
        }
        t.layer_norm(&mut m.ln_post, "ln_post");
        t.set(&mut m.proj, "proj", [w, config.output_dim]);
        if let Some((k, d)) = t.not_float {
            return Err(ClipWeightsError::NotFloat(k, d));
        }
        let unexpected: Vec<String> = t.map.into_keys().collect();
        if !t.missing.is_empty() || !unexpected.is_empty() || !t.misshaped.is_empty() {
            return Err(ClipWeightsError::Mismatch {
                missing: t.missing,
                unexpected,
                misshaped: t.misshaped,
            });
        }
        Ok(m)
    }

    /// Loads a weights file: safetensors (by extension) or a `torch.save` state dict, in OpenAI /
    /// open_clip or Hugging Face naming. Returns the network and the file's SHA-256 (for provenance).
    pub fn load_file(
        config: &ClipVisionConfig,
        path: &Path,
        device: &Device,
    ) -> Result<(Self, String), ClipWeightsError> {
        let tensors = read_tensor_file(path)?;
        let model = Self::from_tensors(config, tensors, device)?;
        Ok((model, sha256_file(path)?))
    }

    /// Loads `file` if given, else the catalogue's default weights from the cache (checksum-verified;
    /// downloaded when the build has the `download` feature). Returns the network and the SHA-256 of
    /// the file used.
    pub fn load(file: Option<&Path>, device: &Device) -> Result<(Self, String), ClipWeightsError> {
        let config = ClipVisionConfig::vit_b_32();
        match file {
            Some(path) => Self::load_file(&config, path, device),
            None => {
                let entry = ClipWeights::default();
                let path = entry.file().fetch(CLIP_WEIGHTS_FLAG)?;
                let model = Self::from_tensors(&entry.config(), read_tensor_file(&path)?, device)?;
                Ok((model, entry.file().sha256.to_string()))
            }
        }
    }
}
