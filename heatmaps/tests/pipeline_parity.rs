//! Parity of the image-side heatmap steps with numpy / Pillow 13.0.0 / OpenCV 5.1.0.
//!
//! Fixtures: `tests/fixtures/pipeline/`, written by
//! `/tmp/venv-heatmaps-cv/bin/python scripts/heatmap_pipeline_reference.py` (see its header for
//! the pip line). Everything here is specified as exact `f32` / `f64` arithmetic in the reference,
//! so most comparisons are bit-exact; the exceptions name their tolerance.

use std::path::PathBuf;

use burn::tensor::{Tensor, TensorData};
use burn_models::device::test_device;
use burn_models::labels::ImagenetLabels;
use heatmaps::cam::channel_weighted_map;
use heatmaps::overlay::{overlay, quantise_map, upscale_map};
use heatmaps::parula::parula_lut;
use heatmaps::resize::{FloatImage, resize_lanczos, to_luma8};
use image::{GrayImage, RgbImage};

fn fixture_path(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/pipeline")
        .join(name)
}

/// Reads `<name>.npy`: (shape, values).
fn npy<T: npyz::Deserialize>(name: &str) -> (Vec<usize>, Vec<T>) {
    let path = fixture_path(&format!("{name}.npy"));
    let bytes = std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let file = npyz::NpyFile::new(&bytes[..]).unwrap();
    let shape = file.shape().iter().map(|&s| s as usize).collect();
    (shape, file.into_vec().unwrap())
}

fn float_image(name: &str) -> FloatImage {
    let (shape, v) = npy::<f32>(name);
    FloatImage::from_raw(shape[1] as u32, shape[0] as u32, v).unwrap()
}

#[test]
fn parula_lut_matches_opencv() {
    let (shape, rgb) = npy::<u8>("parula_cv2_rgb");
    assert_eq!(shape, [256, 3]);
    let ours: Vec<u8> = parula_lut().iter().flatten().copied().collect();
    assert_eq!(ours, rgb);
}

#[test]
fn labels_match_pyyaml() {
    let text = std::fs::read_to_string(fixture_path("labels_reference.tsv")).unwrap();
    let labels = ImagenetLabels::tf2015();
    let mut n = 0;
    for line in text.lines() {
        let mut cols = line.split('\t');
        let idx: usize = cols.next().unwrap().parse().unwrap();
        assert_eq!(labels.full(idx), cols.next(), "full label {idx}");
        assert_eq!(
            labels.display(idx).as_deref(),
            cols.next(),
            "display label {idx}"
        );
        n += 1;
    }
    assert_eq!(n, 1008);
    assert_eq!(
        labels
            .full(358)
            .map(|s| s.ends_with("Cypripedium parviflorum")),
        Some(true)
    );
}

/// Pillow's `'F'` Lanczos resize. Measured bit-exact (max error 0) on Linux/glibc; the float
/// result is allowed 2e-5 absolute on values up to 255 because `sin` may differ in the last bit
/// between C math libraries. The `convert('L')` result must match exactly.
#[test]
fn lanczos_matches_pillow() {
    let cases = [
        ("rand", 256, 256, true),
        ("rand", 299, 299, false),
        ("onehot", 300, 200, true),
        ("ramp", 61, 47, true),
        ("float", 61, 47, true),
        ("float", 5, 3, true),
        ("rand", 8, 8, true),
        ("zeros", 64, 64, false),
    ];
    for (name, w, h, has_float) in cases {
        let src = float_image(&format!("lanczos_in_{name}"));
        let out = resize_lanczos(&src, w, h);
        assert_eq!(out.dimensions(), (w, h));
        if has_float {
            let expected = float_image(&format!("lanczos_{name}_{w}x{h}_f"));
            let max_err = out
                .as_raw()
                .iter()
                .zip(expected.as_raw())
                .map(|(a, b)| (a - b).abs())
                .fold(0f32, f32::max);
            eprintln!("lanczos {name} {w}x{h}: max abs err vs Pillow {max_err:e}");
            assert!(max_err <= 2e-5, "{name} {w}x{h}: max abs err {max_err}");
        }
        let (_, l) = npy::<u8>(&format!("lanczos_{name}_{w}x{h}_l"));
        assert_eq!(
            to_luma8(&out).into_raw(),
            l,
            "{name} {w}x{h} after convert('L')"
        );
    }
}

#[test]
fn quantisation_matches_numpy() {
    let (shape, input) = npy::<f32>("quantise_input");
    let (_, expected) = npy::<u8>("quantise_output");
    assert_eq!(&shape[1..], [8, 8]);
    for (i, (m, e)) in input.chunks(64).zip(expected.chunks(64)).enumerate() {
        let q = quantise_map(m, 8, 8).unwrap();
        assert_eq!(q.as_raw(), e, "map {i}");
    }
}

/// The Grad-CAM weighting in `f32` on the device versus numpy's `f32` (different summation
/// order): 1e-5 relative to the largest value.
#[test]
fn channel_weighting_matches_numpy() {
    let device = test_device();
    let (shape, act) = npy::<f32>("cam_activation");
    let (_, grad) = npy::<f32>("cam_gradient");
    let (_, expected) = npy::<f32>("cam_map");
    let dims: [usize; 4] = shape.try_into().unwrap();
    let a = Tensor::<4>::from_data(TensorData::new(act, dims), &device);
    let g = Tensor::<4>::from_data(TensorData::new(grad, dims), &device);
    let m: Vec<f32> = channel_weighted_map(a, g)
        .into_data()
        .try_into_vec()
        .unwrap();
    let scale = expected.iter().fold(0f32, |m, v| m.max(v.abs()));
    for (a, b) in m.iter().zip(&expected) {
        assert!((a - b).abs() <= 1e-5 * scale, "{a} vs {b}");
    }
    assert!(m.iter().all(|&v| v >= 0.0));
}

/// End to end from the raw 8×8 map: quantised map, upscaled map and overlay, all exact.
#[test]
fn overlay_matches_reference_pipeline() {
    for case in ["a", "b", "zeromap", "zeroimage"] {
        let (shape, image) = npy::<u8>(&format!("overlay_{case}_image"));
        let (h, w) = (shape[0] as u32, shape[1] as u32);
        let image = RgbImage::from_raw(w, h, image).unwrap();
        let (_, map) = npy::<f32>(&format!("overlay_{case}_map"));
        let (_, map_u8) = npy::<u8>(&format!("overlay_{case}_map_u8"));
        let (_, map_big) = npy::<u8>(&format!("overlay_{case}_map_big"));
        let (_, expected) = npy::<u8>(&format!("overlay_{case}_out"));

        let q = quantise_map(&map, 8, 8).unwrap();
        assert_eq!(q.as_raw(), &map_u8, "{case}: quantised map");
        let big = upscale_map(&q, w, h);
        assert_eq!(big.as_raw(), &map_big, "{case}: upscaled map");
        let out = overlay(&image, &GrayImage::from_raw(w, h, map_big).unwrap());
        assert_eq!(out.as_raw(), &expected, "{case}: overlay");
    }
}
