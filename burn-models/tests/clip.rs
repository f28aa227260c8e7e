//! Parity of the CLIP image encoder with open_clip (`ViT-B-32-quickgelu`) on seeded weights, and of its two
//! preprocessing paths with torch and Pillow.
//!
//! Fixtures: `tests/fixtures/clip/` (from the repository root), made by
//! `python scripts/clip_reference.py --skimage-data /tmp/skimg/skimage/data` (pip line in its header).
//! The weights are regenerated here from `burn_models::clip::seeded`, bit-identical to the script's.

use std::path::PathBuf;

use burn::tensor::{Device, Tensor, TensorData};
use burn_models::clip::preprocess::{
    ResizeCrop, resize_bicubic_pil_u8, resize_crop_torch_bicubic, resize_torch_bicubic,
};
use burn_models::clip::seeded::seeded_state_dict;
use burn_models::clip::{ClipPreprocess, ClipVision, ClipVisionConfig, ClipWeightsError};
use burn_models::device::test_device;
use serde_json::Value;
use sha2::{Digest, Sha256};

fn fixtures() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../tests/fixtures/clip")
}

fn reference() -> Value {
    let text = std::fs::read_to_string(fixtures().join("reference.json")).expect("reference.json");
    serde_json::from_str(&text).expect("valid JSON")
}

fn floats(v: &Value) -> Vec<f32> {
    v.as_array()
        .expect("array")
        .iter()
        .map(|x| x.as_f64().expect("number") as f32)
        .collect()
}

/// A fixture photograph as `[1, 3, H, W]` floats in `0..=255`.
fn image(file: &str, device: &Device) -> Tensor<4> {
    let img = image::open(fixtures().join(file))
        .expect("fixture image")
        .to_rgb8();
    let (w, h) = img.dimensions();
    let (w, h) = (w as usize, h as usize);
    let mut chw = vec![0f32; 3 * h * w];
    for (i, px) in img.pixels().enumerate() {
        for c in 0..3 {
            chw[c * h * w + i] = f32::from(px.0[c]);
        }
    }
    Tensor::from_data(TensorData::new(chw, [1, 3, h, w]), device)
}

fn to_vec<const D: usize>(t: Tensor<D>) -> Vec<f32> {
    t.into_data()
        .convert::<f32>()
        .try_into_vec::<f32>()
        .unwrap()
}

/// Max |a − b|, and the comparison views printed on failure.
fn compare(what: &str, ours: &[f32], reference: &[f32], tol: f32) {
    assert_eq!(ours.len(), reference.len(), "{what}: length");
    let max_diff = ours
        .iter()
        .zip(reference)
        .map(|(a, b)| (a - b).abs())
        .fold(0f32, f32::max);
    let norm = |v: &[f32]| v.iter().map(|x| x * x).sum::<f32>().sqrt();
    let dot: f32 = ours.iter().zip(reference).map(|(a, b)| a * b).sum();
    let cos = dot / (norm(ours) * norm(reference));
    eprintln!(
        "{what}: max|diff| {max_diff:.3e} (tol {tol:.1e}); norm ours {:.6} ref {:.6}; cos {cos:.9}; first {:?} vs {:?}",
        norm(ours),
        norm(reference),
        &ours[..3.min(ours.len())],
        &reference[..3.min(reference.len())]
    );
    assert!(max_diff <= tol, "{what}: max|diff| {max_diff:e} > {tol:e}");
}

fn max_abs(v: &[f32]) -> f32 {
    v.iter().fold(0f32, |m, x| m.max(x.abs()))
}

fn tiny_config() -> ClipVisionConfig {
    // scripts/clip_reference.py `tiny_model`: same architecture, width 64, 2 blocks of 4 heads, 32-d output.
    ClipVisionConfig::new(224, 32, 64, 2, 4, 256, 32)
}

/// The acceptance criterion: open_clip's `encode_image` under the `seed` preprocessing, full-size ViT-B/32.
/// Tolerance 1e-4 of the largest reference value: f32 through 12 blocks (summation order differs from
/// torch's kernels), not a modelling difference — a wrong resize or epsilon shows up as > 1e-2.
#[test]
fn vit_b_32_seeded_matches_open_clip() {
    let device = test_device();
    let reference = reference();
    let config = ClipVisionConfig::vit_b_32();
    let model = ClipVision::from_tensors(&config, seeded_state_dict(&config, 0), &device)
        .expect("seeded weights load");
    let images = reference["images"].as_array().unwrap();
    // The two 256² photographs as one batch, the non-square one alone.
    let batch = Tensor::cat(
        vec![
            image("astronaut_256.png", &device),
            image("coffee_256.png", &device),
        ],
        0,
    );
    for mode in [ClipPreprocess::Seed, ClipPreprocess::Clean] {
        let key = format!("embedding_{mode}");
        let out = model.forward_u8(batch.clone(), mode);
        assert_eq!(out.dims(), [2, 512]);
        let out = to_vec(out);
        for (i, entry) in images[..2].iter().enumerate() {
            let r = floats(&entry[&key]);
            compare(
                &format!("{} {mode}", entry["file"]),
                &out[i * 512..(i + 1) * 512],
                &r,
                1e-4 * max_abs(&r),
            );
        }
        let out = to_vec(model.forward_u8(image("chelsea_320x213.png", &device), mode));
        let r = floats(&images[2][&key]);
        compare(&format!("chelsea {mode}"), &out, &r, 1e-4 * max_abs(&r));
    }
}

/// The same network at reduced width (so a layout error cannot hide behind symmetric sizes).
#[test]
fn reduced_width_seeded_matches_open_clip() {
    let device = test_device();
    let reference = reference();
    let config = tiny_config();
    let model = ClipVision::from_tensors(&config, seeded_state_dict(&config, 0), &device).unwrap();
    for entry in reference["images"].as_array().unwrap() {
        let out = to_vec(model.forward_u8(
            image(entry["file"].as_str().unwrap(), &device),
            ClipPreprocess::Seed,
        ));
        let r = floats(&entry["embedding_tiny_seed"]);
        compare(
            &format!("tiny {}", entry["file"]),
            &out,
            &r,
            1e-4 * max_abs(&r),
        );
    }
}

/// `seed` path = torchvision `Resize(224, bicubic, antialias=False)` + `CenterCrop(224)` on `x/255`.
/// Tolerance 2e-6 on values in [0, 1] (f32 rounding of the 16 taps, summed in a different order).
#[test]
fn seed_resize_matches_torch() {
    let device = test_device();
    for entry in reference()["images"].as_array().unwrap() {
        let x = image(entry["file"].as_str().unwrap(), &device);
        let [_, _, h, w] = x.dims();
        let out = resize_crop_torch_bicubic(x.div_scalar(255.0), &ResizeCrop::new(h, w, 224));
        let out = to_vec(out);
        let grid: Vec<f32> = (0..3)
            .flat_map(|c| {
                (0..224)
                    .step_by(8)
                    .flat_map(move |y| (0..224).step_by(8).map(move |x| (c, y, x)))
            })
            .map(|(c, y, x)| out[c * 224 * 224 + y * 224 + x])
            .collect();
        compare(
            &format!("seed resize {}", entry["file"]),
            &grid,
            &floats(&entry["seed_preprocessed_grid8"]),
            2e-6,
        );
        let mean = out.iter().map(|&v| f64::from(v)).sum::<f64>() / out.len() as f64;
        let stats = &entry["seed_preprocessed_stats"];
        assert!(
            (mean - stats["mean"].as_f64().unwrap()).abs() < 1e-7,
            "mean {mean} vs {}",
            stats["mean"]
        );
        let max = out.iter().fold(f32::MIN, |m, &v| m.max(v));
        assert!((f64::from(max) - stats["max"].as_f64().unwrap()).abs() < 2e-6);
    }
}

/// `clean` path = clean-fid's PIL `Resize(224, BICUBIC)` + `CenterCrop(224)` on the u8 image: bit-exact.
#[test]
fn clean_resize_matches_pillow_exactly() {
    for entry in reference()["images"].as_array().unwrap() {
        let img = image::open(fixtures().join(entry["file"].as_str().unwrap()))
            .unwrap()
            .to_rgb8();
        let (w, h) = (img.width() as usize, img.height() as usize);
        let plan = ResizeCrop::new(h, w, 224);
        let mut chw = Vec::with_capacity(3 * 224 * 224);
        for c in 0..3 {
            let plane: Vec<u8> = img.pixels().map(|p| p.0[c]).collect();
            let resized =
                resize_bicubic_pil_u8(&plane, h, w, plan.resized_height, plan.resized_width);
            for y in plan.top..plan.top + 224 {
                let row = y * plan.resized_width + plan.left;
                chw.extend_from_slice(&resized[row..row + 224]);
            }
        }
        let sha: String = Sha256::digest(&chw)
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        assert_eq!(
            sha,
            entry["clean_u8_sha256"].as_str().unwrap(),
            "{}: differs from Pillow",
            entry["file"]
        );
    }
}

/// Both resizes on a random 37×53 image to up- and downscaled sizes, against torch's
/// `F.interpolate(bicubic, align_corners=False)` (tolerance 1e-3 on 0..255 values: f32 rounding) and
/// Pillow's `Image.resize(BICUBIC)` (exact).
#[test]
fn generic_resizes_match_torch_and_pillow() {
    let device = test_device();
    let r = reference();
    let r = &r["resize"];
    let (h, w) = (
        r["height"].as_u64().unwrap() as usize,
        r["width"].as_u64().unwrap() as usize,
    );
    let hwc: Vec<u8> = r["input_hwc"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_u64().unwrap() as u8)
        .collect();
    let planes: Vec<Vec<u8>> = (0..3)
        .map(|c| hwc.iter().skip(c).step_by(3).copied().collect())
        .collect();
    let chw_f32: Vec<f32> = planes.iter().flatten().map(|&v| f32::from(v)).collect();
    let x = Tensor::<4>::from_data(TensorData::new(chw_f32, [1, 3, h, w]), &device);
    for case in r["cases"].as_array().unwrap() {
        let (oh, ow) = (
            case["height"].as_u64().unwrap() as usize,
            case["width"].as_u64().unwrap() as usize,
        );
        let torch = to_vec(resize_torch_bicubic(x.clone(), oh, ow));
        let pil: Vec<u8> = planes
            .iter()
            .flat_map(|p| resize_bicubic_pil_u8(p, h, w, oh, ow))
            .collect();
        if let Some(full) = case.get("torch") {
            compare(&format!("torch {oh}x{ow}"), &torch, &floats(full), 1e-3);
            let want: Vec<u8> = case["pil"]
                .as_array()
                .unwrap()
                .iter()
                .map(|v| v.as_u64().unwrap() as u8)
                .collect();
            if (oh, ow) == (29, 71) {
                // Shrinking one axis while enlarging the other, Pillow 13 runs its vertical pass first (not the
                // order of Pillow ≤ 12's `ImagingResampleInner`, which `resize_bicubic_pil_u8` follows); with the
                // passes swapped (via transposition) the result is exact. CLIP's resizes keep the aspect ratio.
                let transpose = |p: &[u8], h: usize, w: usize| -> Vec<u8> {
                    (0..w)
                        .flat_map(|x| (0..h).map(move |y| p[y * w + x]))
                        .collect()
                };
                let vfirst: Vec<u8> = planes
                    .iter()
                    .flat_map(|p| {
                        transpose(
                            &resize_bicubic_pil_u8(&transpose(p, h, w), w, h, ow, oh),
                            ow,
                            oh,
                        )
                    })
                    .collect();
                assert_eq!(vfirst, want, "PIL {oh}x{ow}, vertical pass first");
            } else {
                assert_eq!(pil, want, "PIL {oh}x{ow}");
            }
        } else {
            let grid: Vec<f32> = (0..3)
                .flat_map(|c| {
                    (0..oh)
                        .step_by(8)
                        .flat_map(move |y| (0..ow).step_by(8).map(move |x| (c, y, x)))
                })
                .map(|(c, y, x)| torch[c * oh * ow + y * ow + x])
                .collect();
            compare(
                &format!("torch {oh}x{ow} grid"),
                &grid,
                &floats(&case["torch_grid8"]),
                1e-3,
            );
            let sha: String = Sha256::digest(&pil)
                .iter()
                .map(|b| format!("{b:02x}"))
                .collect();
            assert_eq!(sha, case["pil_sha256"].as_str().unwrap(), "PIL {oh}x{ow}");
        }
    }
}

/// A Hugging Face `CLIPModel` checkpoint (separate q/k/v, `visual_projection` as a Linear) of the same weights
/// loads to the same network: the remap table against a hand-written inverse of it.
#[test]
fn hugging_face_names_load_to_the_same_network() {
    let device = test_device();
    let config = tiny_config();
    let openai = seeded_state_dict(&config, 0);
    let w = config.width;
    let mut hf = std::collections::BTreeMap::new();
    hf.insert(
        "text_model.embeddings.token_embedding.weight".to_string(),
        TensorData::new(vec![0f32; 4], [2, 2]),
    );
    hf.insert("logit_scale".to_string(), TensorData::new(vec![1f32], [1]));
    hf.insert(
        "vision_model.embeddings.position_ids".to_string(),
        TensorData::new(vec![0i64; 50], [1, 50]),
    );
    for (key, data) in &openai {
        let k = key.strip_prefix("visual.").unwrap();
        let v = data.try_to_vec::<f32>().unwrap();
        let shape = data.shape().to_vec();
        let put = |hf: &mut std::collections::BTreeMap<String, TensorData>,
                   name: String,
                   v: Vec<f32>,
                   s: Vec<usize>| {
            hf.insert(name, TensorData::new(v, s));
        };
        match k {
            "class_embedding" => put(
                &mut hf,
                "vision_model.embeddings.class_embedding".into(),
                v,
                shape,
            ),
            "positional_embedding" => put(
                &mut hf,
                "vision_model.embeddings.position_embedding.weight".into(),
                v,
                shape,
            ),
            "conv1.weight" => put(
                &mut hf,
                "vision_model.embeddings.patch_embedding.weight".into(),
                v,
                shape,
            ),
            "proj" => {
                let (r, c) = (shape[0], shape[1]);
                let t: Vec<f32> = (0..c)
                    .flat_map(|j| (0..r).map(move |i| (i, j)))
                    .map(|(i, j)| v[i * c + j])
                    .collect();
                put(&mut hf, "visual_projection.weight".into(), t, vec![c, r]);
            }
            _ if k.starts_with("ln_pre.") => put(
                &mut hf,
                k.replace("ln_pre.", "vision_model.pre_layrnorm."),
                v,
                shape,
            ),
            _ if k.starts_with("ln_post.") => put(
                &mut hf,
                k.replace("ln_post.", "vision_model.post_layernorm."),
                v,
                shape,
            ),
            _ => {
                let rest = k.strip_prefix("transformer.resblocks.").unwrap();
                let (layer, inner) = rest.split_once('.').unwrap();
                let base = format!("vision_model.encoder.layers.{layer}.");
                if let Some(kind) = inner.strip_prefix("attn.in_proj_") {
                    let per = v.len() / 3;
                    for (i, qkv) in ["q", "k", "v"].iter().enumerate() {
                        let s = if kind == "weight" {
                            vec![w, w]
                        } else {
                            vec![w]
                        };
                        put(
                            &mut hf,
                            format!("{base}self_attn.{qkv}_proj.{kind}"),
                            v[i * per..(i + 1) * per].to_vec(),
                            s,
                        );
                    }
                } else {
                    let inner = inner
                        .replace("attn.out_proj", "self_attn.out_proj")
                        .replace("ln_1", "layer_norm1")
                        .replace("ln_2", "layer_norm2")
                        .replace("mlp.c_fc", "mlp.fc1")
                        .replace("mlp.c_proj", "mlp.fc2");
                    put(&mut hf, format!("{base}{inner}"), v, shape);
                }
            }
        }
    }
    let a = ClipVision::from_tensors(&config, openai, &device).unwrap();
    let b = ClipVision::from_tensors(&config, hf, &device).expect("HF names load");
    let x = image("coffee_256.png", &device);
    let (ya, yb) = (
        to_vec(a.forward_u8(x.clone(), ClipPreprocess::Seed)),
        to_vec(b.forward_u8(x, ClipPreprocess::Seed)),
    );
    assert_eq!(ya, yb);
}

/// Safetensors with open_clip names (a whole-model state dict: the text tower is ignored) round-trip.
#[test]
fn safetensors_file_loads_and_reports_its_sha256() {
    let device = test_device();
    let config = tiny_config();
    let mut sd = seeded_state_dict(&config, 0);
    sd.insert(
        "token_embedding.weight".into(),
        TensorData::new(vec![0.5f32; 6], [3, 2]),
    );
    sd.insert("logit_scale".into(), TensorData::new(vec![4.6f32], [1]));
    let views: Vec<(String, safetensors::tensor::TensorView)> = sd
        .iter()
        .map(|(k, d)| {
            let view = safetensors::tensor::TensorView::new(
                safetensors::Dtype::F32,
                d.shape().to_vec(),
                d.as_bytes(),
            )
            .unwrap();
            (k.clone(), view)
        })
        .collect();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("tiny.safetensors");
    safetensors::tensor::serialize_to_file(views, None, &path).unwrap();
    let (model, sha) = ClipVision::load_file(&config, &path, &device).unwrap();
    assert_eq!(sha, burn_models::weights::sha256_file(&path).unwrap());
    let reference =
        ClipVision::from_tensors(&config, seeded_state_dict(&config, 0), &device).unwrap();
    let x = image("astronaut_256.png", &device);
    assert_eq!(
        to_vec(model.forward_u8(x.clone(), ClipPreprocess::Seed)),
        to_vec(reference.forward_u8(x, ClipPreprocess::Seed))
    );
}

/// Missing, unexpected and misshaped keys are all listed in one error.
#[test]
fn mismatched_weights_are_listed() {
    let device = Device::flex();
    let config = tiny_config();
    let mut sd = seeded_state_dict(&config, 0);
    sd.remove("visual.transformer.resblocks.1.mlp.c_fc.bias");
    sd.insert(
        "visual.transformer.resblocks.2.ln_1.weight".into(),
        TensorData::new(vec![1f32; 64], [64]),
    );
    sd.insert(
        "visual.proj".into(),
        TensorData::new(vec![0f32; 64 * 16], [64, 16]),
    );
    sd.insert(
        "text_projection".into(),
        TensorData::new(vec![0f32; 4], [2, 2]),
    ); // ignored: outside `visual.`
    let err = ClipVision::from_tensors(&config, sd, &device).unwrap_err();
    let msg = err.to_string();
    eprintln!("{msg}");
    let ClipWeightsError::Mismatch {
        missing,
        unexpected,
        misshaped,
    } = err
    else {
        panic!("{msg}")
    };
    assert_eq!(missing, ["transformer.resblocks.1.mlp.c_fc.bias"]);
    assert_eq!(unexpected, ["transformer.resblocks.2.ln_1.weight"]);
    assert_eq!(
        misshaped,
        [("proj".to_string(), vec![64, 32], vec![64, 16])]
    );
    assert!(
        msg.contains("missing (1): transformer.resblocks.1.mlp.c_fc.bias"),
        "{msg}"
    );

    let not_clip = ClipVision::from_tensors(
        &config,
        [("fc.weight".to_string(), TensorData::new(vec![0f32], [1]))].into(),
        &device,
    );
    assert!(matches!(not_clip, Err(ClipWeightsError::NotClip { .. })));
}

/// Without the weights in the cache (and no download), the error names the URL, the expected path and the flag.
#[cfg(not(feature = "download"))]
#[test]
fn offline_error_names_url_path_and_flag() {
    let dir = tempfile::tempdir().unwrap();
    let file = burn_models::clip::ClipWeights::default().file();
    let msg = file
        .fetch_into(dir.path(), burn_models::clip::CLIP_WEIGHTS_FLAG)
        .unwrap_err()
        .to_string();
    assert!(msg.contains(file.url), "{msg}");
    assert!(
        msg.contains(&dir.path().join(file.file_name).display().to_string()),
        "{msg}"
    );
    assert!(msg.contains("--clip-weights FILE"), "{msg}");
}

/// The done criterion by hand: open_clip's seeded state dict saved with `torch.save`, read by our `.pth` loader.
///
/// `python scripts/clip_reference.py --skimage-data /tmp/skimg/skimage/data --pth /tmp/clip_seeded.pth`, then
/// `FIDLAB_CLIP_SEEDED_PTH=/tmp/clip_seeded.pth cargo test -p burn-models --test clip -- --ignored`
/// (the script also writes `/tmp/clip_seeded.safetensors`, checked the same way).
#[test]
#[ignore = "needs the seeded .pth written by scripts/clip_reference.py --pth"]
fn clip_seeded_pth_matches_open_clip() {
    let device = test_device();
    let pth = PathBuf::from(
        std::env::var("FIDLAB_CLIP_SEEDED_PTH").unwrap_or_else(|_| "/tmp/clip_seeded.pth".into()),
    );
    let config = ClipVisionConfig::vit_b_32();
    let reference = reference();
    for path in [pth.clone(), pth.with_extension("safetensors")] {
        let (model, sha) = ClipVision::load_file(&config, &path, &device).expect("load");
        eprintln!("{}: sha256 {sha}", path.display());
        for entry in reference["images"].as_array().unwrap() {
            let out = to_vec(model.forward_u8(
                image(entry["file"].as_str().unwrap(), &device),
                ClipPreprocess::Seed,
            ));
            let r = floats(&entry["embedding_seed"]);
            compare(
                &format!("{} {}", path.display(), entry["file"]),
                &out,
                &r,
                1e-4 * max_abs(&r),
            );
        }
    }
}
