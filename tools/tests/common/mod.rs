//! Helpers shared by the CLI tests.

// Each test binary compiles this module and uses a subset of it.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::Command;

use burn_models::inception::{PARITY_SEED, seeded_state_dict};

/// The committed Inception parity photographs.
pub fn inception_fixtures() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../tests/fixtures/inception")
}

/// The committed seeded 32×32 StyleGAN2 generator (`G.json` + `G.safetensors`, made by
/// `scripts/stylegan2_reference.py`), as a path string for the command line.
pub fn skip32_generator() -> String {
    let path =
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../tests/fixtures/stylegan2/skip32/G.json");
    path.to_str().unwrap().to_string()
}

/// Writes the seeded FID Inception (`seeded_state_dict(PARITY_SEED)`, the weights of the committed
/// references) as a safetensors file with torchvision names.
pub fn write_seeded_inception(path: &Path) {
    let sd = seeded_state_dict(PARITY_SEED);
    let views: Vec<(String, safetensors::tensor::TensorView<'_>)> = sd
        .iter()
        .map(|(name, data)| {
            let view = safetensors::tensor::TensorView::new(
                safetensors::Dtype::F32,
                data.shape().to_vec(),
                data.as_bytes(),
            )
            .unwrap();
            (name.clone(), view)
        })
        .collect();
    safetensors::serialize_to_file(views, None, path).unwrap();
}

/// The `fidlab` binary under test.
pub fn fidlab() -> Command {
    Command::new(env!("CARGO_BIN_EXE_fidlab"))
}

/// Runs `cmd`, failing the test with its stderr unless it exits with success; returns its stdout.
pub fn run_ok(cmd: &mut Command) -> Vec<u8> {
    let out = cmd.output().unwrap();
    assert!(
        out.status.success(),
        "{cmd:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

/// The rows of a feature matrix (`.npy`, `[N, D]`, f32 or f64) as f64.
pub fn npy_rows(path: &Path) -> Vec<Vec<f64>> {
    let m = fid_core::FeatureMatrix::read_npy(path).unwrap();
    (0..m.rows()).map(|i| m.row_f64(i)).collect()
}

/// The largest `|a_i − b_i|` of two sequences of the same length.
pub fn max_abs_diff(a: &[f64], b: &[f64]) -> f64 {
    assert_eq!(a.len(), b.len());
    a.iter().zip(b).fold(0f64, |m, (x, y)| m.max((x - y).abs()))
}
