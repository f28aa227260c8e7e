//! Seeded CLIP vision weights, bit-identical to `scripts/clip_reference.py` (`clip_seeded_rule`).
//!
//! Every `visual.*` tensor of an open_clip state dict is `offset + seeded_values(key, seed, n, scale)`
//! ([`crate::seeded`]) with scales that keep activations O(1) through the blocks, so parity tests compare
//! non-degenerate embeddings without committing weights.

use burn::tensor::TensorData;

use super::vision::ClipVisionConfig;
use crate::seeded::seeded_values;
use crate::weights::TensorMap;

/// The `visual.*` keys of an OpenAI / open_clip checkpoint for `config`, with their PyTorch shapes.
pub fn visual_keys(config: &ClipVisionConfig) -> Vec<(String, Vec<usize>)> {
    let (w, p, m) = (config.width, config.patch_size, config.mlp_width);
    let mut keys = vec![
        ("class_embedding".to_string(), vec![w]),
        (
            "positional_embedding".to_string(),
            vec![config.num_tokens(), w],
        ),
        ("proj".to_string(), vec![w, config.output_dim]),
        ("conv1.weight".to_string(), vec![w, 3, p, p]),
        ("ln_pre.weight".to_string(), vec![w]),
        ("ln_pre.bias".to_string(), vec![w]),
    ];
    for i in 0..config.layers {
        let b = format!("transformer.resblocks.{i}");
        for (k, s) in [
            ("ln_1.weight", vec![w]),
            ("ln_1.bias", vec![w]),
            ("attn.in_proj_weight", vec![3 * w, w]),
            ("attn.in_proj_bias", vec![3 * w]),
            ("attn.out_proj.weight", vec![w, w]),
            ("attn.out_proj.bias", vec![w]),
            ("ln_2.weight", vec![w]),
            ("ln_2.bias", vec![w]),
            ("mlp.c_fc.weight", vec![m, w]),
            ("mlp.c_fc.bias", vec![m]),
            ("mlp.c_proj.weight", vec![w, m]),
            ("mlp.c_proj.bias", vec![w]),
        ] {
            keys.push((format!("{b}.{k}"), s));
        }
    }
    keys.push(("ln_post.weight".to_string(), vec![w]));
    keys.push(("ln_post.bias".to_string(), vec![w]));
    keys
}

/// `(scale, offset)` for a key below `visual.` (the Python script's `clip_seeded_rule`).
fn rule(key: &str, shape: &[usize]) -> (f32, f32) {
    if key == "class_embedding" || key == "positional_embedding" {
        return (0.5, 0.0);
    }
    if key.contains(".ln_") || key.starts_with("ln_") {
        return if key.ends_with(".weight") {
            (0.1, 1.0)
        } else {
            (0.1, 0.0)
        };
    }
    if key.ends_with("bias") {
        return (0.05, 0.0);
    }
    let fan_in: usize = if key == "proj" {
        shape[0]
    } else {
        shape[1..].iter().product()
    };
    ((3.0f64 / fan_in as f64).sqrt() as f32, 0.0)
}

/// The seeded open_clip state dict of the vision tower, keys with the `visual.` prefix.
pub fn seeded_state_dict(config: &ClipVisionConfig, seed: u64) -> TensorMap {
    visual_keys(config)
        .into_iter()
        .map(|(key, shape)| {
            let full = format!("visual.{key}");
            let (scale, offset) = rule(&key, &shape);
            let n = shape.iter().product();
            let mut v = seeded_values(&full, seed, n, scale);
            if offset != 0.0 {
                v.iter_mut().for_each(|x| *x += offset);
            }
            (full, TensorData::new(v, shape))
        })
        .collect()
}
