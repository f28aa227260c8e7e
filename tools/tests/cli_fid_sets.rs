//! `fidlab fid A B` on two image folders against the FID that pytorch-fid and torch-fidelity report for the same
//! folders with the same weights.
//!
//! The sets are exact pixel crops (and mirror images) of the committed Inception photographs, rebuilt here byte for
//! byte as `scripts/fid_reference.py` builds them: set `a` from `astronaut_299.png` and `chelsea_256.png`, set `b`
//! from `coffee_256.png` and `rocket_211x173.png`, a 3 × 3 grid of 128² crops per photo, 36 images a set. The
//! reference values in `tests/fixtures/inception/fid_sets.json` come from (pip line in the script's header):
//!
//! ```text
//! python scripts/fid_reference.py
//! ```
//!
//! pytorch-fid's `calculate_fid_given_paths` gives the `--preprocess pytorch-fid` value; torch-fidelity's
//! `calculate_metrics(fid=True)` the `--preprocess tf` value. Each reads the PNG folders and computes the Fréchet
//! distance with `scipy.linalg.sqrtm`, so this checks decoding, resizing, the network, the statistics and the
//! distance at once.

use std::path::Path;

use serde_json::Value;

mod common;

use common::{fidlab, inception_fixtures as fixtures, run_ok, write_seeded_inception};

/// Crop side and grid steps per axis (`CROP`, `GRID` in the script).
const CROP: u32 = 128;
const GRID: u32 = 3;
const SETS: [(&str, [&str; 2]); 2] = [
    ("a", ["astronaut_299.png", "chelsea_256.png"]),
    ("b", ["coffee_256.png", "rocket_211x173.png"]),
];

/// Writes the two sets as PNG folders `root/a` and `root/b`.
fn write_fid_sets(root: &Path) {
    for (set, photos) in SETS {
        let dir = root.join(set);
        std::fs::create_dir_all(&dir).unwrap();
        for photo in photos {
            let pixels = image::open(fixtures().join(photo)).unwrap().to_rgb8();
            let (w, h) = pixels.dimensions();
            let stem = photo.split('_').next().unwrap();
            for i in 0..GRID {
                for j in 0..GRID {
                    let y = i * (h - CROP) / (GRID - 1);
                    let x = j * (w - CROP) / (GRID - 1);
                    let crop = image::imageops::crop_imm(&pixels, x, y, CROP, CROP).to_image();
                    crop.save(dir.join(format!("{stem}_{i}{j}.png"))).unwrap();
                    image::imageops::flip_horizontal(&crop)
                        .save(dir.join(format!("{stem}_{i}{j}_mirror.png")))
                        .unwrap();
                }
            }
        }
    }
}

/// `fidlab fid root/a root/b --json` with these weights, preprocessing and batch size.
fn fidlab_fid(root: &Path, weights: &Path, preprocess: &str, batch: usize) -> Value {
    let stdout = run_ok(
        fidlab()
            .arg("fid")
            .args([root.join("a"), root.join("b")])
            .arg("--inception-weights")
            .arg(weights)
            .args(["--preprocess", preprocess, "--json"])
            .args(["--batch", &batch.to_string()]),
    );
    serde_json::from_slice(&stdout).unwrap()
}

/// Checks both preprocessings against the references' FID values in `reference` (the script's JSON), at batch
/// size 32 (batches of 32 and 4); returns fidlab's `tf` value.
fn check_fid(root: &Path, weights: &Path, reference: &Value, rel: f64) -> f64 {
    let mut tf = f64::NAN;
    for (preprocess, by) in [("pytorch-fid", "pytorch-fid"), ("tf", "torch-fidelity")] {
        let expected = reference["fid"][preprocess].as_f64().unwrap();
        let ours = fidlab_fid(root, weights, preprocess, 32);
        assert_eq!(ours["n_a"], 36);
        assert_eq!(ours["n_b"], 36);
        let fid = ours["fid"].as_f64().unwrap();
        let diff = (fid - expected).abs() / expected.abs();
        eprintln!("{preprocess}: fidlab {fid:.6}, {by} {expected:.6}, rel. diff {diff:.2e}");
        assert!(
            diff <= rel,
            "{preprocess}: fidlab {fid} vs {by} {expected} (rel. diff {diff:e} > {rel:e})"
        );
        if preprocess == "tf" {
            tf = fid;
        }
    }
    tf
}

/// Seeded weights: fidlab's FID equals pytorch-fid's and torch-fidelity's, and does not depend on the batch size
/// (batch 1 against batch 32: 1e-5 relative).
///
/// Tolerance 1e-4 relative. The features agree to ≈1e-6 of their largest value (`inception_parity.rs`); with
/// 36 images in 2048 dimensions both covariances are rank-deficient, so the trace of the square root sums many
/// near-zero eigenvalues, which is where the two routes (scipy's `sqrtm`, our symmetric eigenvalues) differ most.
#[test]
fn fid_of_two_folders_matches_pytorch_fid_and_torch_fidelity() {
    let dir = tempfile::tempdir().unwrap();
    write_fid_sets(dir.path());
    let weights = dir.path().join("seeded.safetensors");
    write_seeded_inception(&weights);
    let reference: Value =
        serde_json::from_str(&std::fs::read_to_string(fixtures().join("fid_sets.json")).unwrap())
            .unwrap();
    assert_eq!(reference["weights"], "seeded");
    let batch_32 = check_fid(dir.path(), &weights, &reference, 1e-4);
    let batch_1 = fidlab_fid(dir.path(), &weights, "tf", 1)["fid"]
        .as_f64()
        .unwrap();
    let diff = (batch_1 - batch_32).abs() / batch_32;
    eprintln!("tf: batch 1 {batch_1:.9}, batch 32 {batch_32:.9}, rel. diff {diff:.2e}");
    assert!(diff <= 1e-5, "batch 1 {batch_1} vs batch 32 {batch_32}");
}

/// With pytorch-fid's real weights: the FID of the two sets equals pytorch-fid's and torch-fidelity's values.
///
/// Needs the 95 MB `pt_inception-2015-12-05-6726825d.pth` (URL and SHA-256: `InceptionWeights::PytorchFid`). The
/// reference values come from the two Python packages on the same file and the same folders:
///
/// ```text
/// python scripts/fid_reference.py --weights pt_inception-2015-12-05-6726825d.pth --out /tmp/fid-real
/// FIDLAB_INCEPTION_WEIGHTS=pt_inception-2015-12-05-6726825d.pth FIDLAB_FID_REFERENCE=/tmp/fid-real/fid.json \
///     cargo test --workspace --test cli_fid_sets -- --ignored --nocapture
/// ```
///
/// The same two environment variables with `--out /tmp/fid-seeded` and `/tmp/fid-seeded/seeded-inception.pth`
/// run this test on a torch.save'd `.pth` of the seeded weights.
#[test]
#[ignore = "needs pt_inception-2015-12-05-6726825d.pth and the script's fid.json; see the doc comment"]
fn real_weights_fid_matches_pytorch_fid() {
    let weights = std::env::var_os("FIDLAB_INCEPTION_WEIGHTS")
        .expect("set FIDLAB_INCEPTION_WEIGHTS to the .pth file");
    let reference = std::env::var_os("FIDLAB_FID_REFERENCE")
        .expect("set FIDLAB_FID_REFERENCE to the fid.json of scripts/fid_reference.py --out");
    let reference: Value =
        serde_json::from_str(&std::fs::read_to_string(reference).unwrap()).unwrap();
    let dir = tempfile::tempdir().unwrap();
    write_fid_sets(dir.path());
    check_fid(dir.path(), Path::new(&weights), &reference, 1e-4);
}
