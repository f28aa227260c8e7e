//! Throughput of the CLIP ViT-B/32 image encoder on seeded weights (driven by `scripts/clip_bench.py`, which
//! measures onnxruntime on the same network in the same run and prints the ratio).
//!
//! `cargo run --release -p burn-models --example clip_bench -- --batch 16 --iters 10 [--check]`
//! prints one JSON line: median seconds per batch for `forward` (normalised 224² input) and `forward_u8`
//! (256² input in 0..=255, `seed` preprocessing), and a per-operation profile of one block in milliseconds.

use std::time::Instant;

use burn::tensor::activation::softmax;
use burn::tensor::{Device, Tensor, TensorData};
use burn_models::clip::block::quick_gelu;
use burn_models::clip::seeded::seeded_state_dict;
use burn_models::clip::{ClipPreprocess, ClipVision, ClipVisionConfig};
use burn_models::seeded::seeded_values;

fn arg(name: &str, default: usize) -> usize {
    let args: Vec<String> = std::env::args().collect();
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1))
        .map(|v| v.parse().expect("a number"))
        .unwrap_or(default)
}

/// Waits for a tensor's value (reading one element back).
fn sync<const D: usize>(t: &Tensor<D>) {
    let _ = t.clone().flatten::<1>(0, D - 1).narrow(0, 0, 1).into_data();
}

fn median_s(warmup: usize, iters: usize, mut f: impl FnMut()) -> f64 {
    for _ in 0..warmup {
        f();
    }
    let mut times: Vec<f64> = (0..iters)
        .map(|_| {
            let t = Instant::now();
            f();
            t.elapsed().as_secs_f64()
        })
        .collect();
    times.sort_by(f64::total_cmp);
    times[times.len() / 2]
}

fn main() {
    let (batch, iters, warmup) = (arg("--batch", 16), arg("--iters", 10), arg("--warmup", 2));
    let device = Device::flex();
    let config = ClipVisionConfig::vit_b_32();
    let model = ClipVision::from_tensors(&config, seeded_state_dict(&config, 0), &device)
        .expect("seeded weights");
    let input = seeded_values("clip_bench.input", 0, batch * 3 * 224 * 224, 2.0);
    let x = Tensor::<4>::from_data(TensorData::new(input, [batch, 3, 224, 224]), &device);
    let u8_input: Vec<f32> = seeded_values("clip_bench.u8", 0, batch * 3 * 256 * 256, 1.0)
        .iter()
        .map(|v| ((v + 1.0) * 127.5).floor())
        .collect();
    let x_u8 = Tensor::<4>::from_data(TensorData::new(u8_input, [batch, 3, 256, 256]), &device);

    let mut first_row = vec![];
    let forward = median_s(warmup, iters, || {
        let y = model.forward(x.clone());
        first_row = y
            .clone()
            .narrow(0, 0, 1)
            .into_data()
            .convert::<f32>()
            .try_into_vec::<f32>()
            .unwrap();
    });
    let forward_u8 = median_s(1, iters.div_ceil(2), || {
        sync(&model.forward_u8(x_u8.clone(), ClipPreprocess::Seed))
    });

    // One block's operations on realistic activations, times the number of blocks.
    let block = &model.transformer.resblocks[0];
    let tokens = model.ln_pre.forward(model.tokens(x.clone()));
    let [b, n, w] = tokens.dims();
    let heads = config.heads;
    let hd = w / heads;
    let reps = iters.max(3);
    let layers = config.layers as f64;
    let ms = |s: f64| (s * 1e3 * 100.0).round() / 100.0;
    let h = block.ln_1.forward(tokens.clone());
    let qkv_w = block.attn.in_proj_weight.val().transpose().unsqueeze::<3>();
    let q = Tensor::<4>::ones([b, heads, n, hd], &device);
    let hidden = block.mlp.c_fc.forward(h.clone());
    let profile = serde_json::json!({
        "patch_embed": ms(median_s(1, reps, || sync(&model.tokens(x.clone())))),
        "layer_norm_x2": ms(2.0 * layers * median_s(1, reps, || sync(&block.ln_1.forward(tokens.clone())))),
        "qkv_matmul": ms(layers * median_s(1, reps, || sync(&h.clone().matmul(qkv_w.clone())))),
        "attention_core": ms(layers * median_s(1, reps, || {
            sync(&softmax(q.clone().matmul(q.clone().swap_dims(2, 3)), 3).matmul(q.clone()))
        })),
        "out_proj": ms(layers * median_s(1, reps, || sync(&block.attn.out_proj.forward(h.clone())))),
        "mlp_c_fc": ms(layers * median_s(1, reps, || sync(&block.mlp.c_fc.forward(h.clone())))),
        "quick_gelu": ms(layers * median_s(1, reps, || sync(&quick_gelu(hidden.clone())))),
        "mlp_c_proj": ms(layers * median_s(1, reps, || sync(&block.mlp.c_proj.forward(hidden.clone())))),
        "whole_forward": ms(forward),
    });
    eprintln!(
        "fidlab clip_bench: batch {batch}, forward {:.1} img/s, forward_u8 {:.1} img/s",
        batch as f64 / forward,
        batch as f64 / forward_u8
    );
    println!(
        "{}",
        serde_json::json!({
            "batch": batch,
            "median_s": forward,
            "median_u8_s": forward_u8,
            "first_row": first_row,
            "profile_ms": profile,
        })
    );
}
