//! `fidlab stats DIR --inception-weights W --preprocess tf|pytorch-fid --save-features F.npy` against
//! torch-fidelity's and pytorch-fid's pool3 on the committed photographs
//! (`scripts/inception_reference.py`; the seeded weights are rebuilt here by
//! `burn_models::inception::seeded_state_dict(PARITY_SEED)` and written to a safetensors file).

use std::path::Path;

mod common;

use common::{
    fidlab, inception_fixtures as fixtures, run_ok, write_seeded_inception as write_seeded_weights,
};

fn read_npy(path: &Path) -> Vec<f32> {
    match fid_core::FeatureMatrix::read_npy(path).unwrap() {
        fid_core::FeatureMatrix::F32 { data, .. } => data,
        other => panic!("expected f32, got {other:?}"),
    }
}

#[test]
fn stats_of_a_folder_matches_the_references_for_both_preprocessings() {
    let dir = tempfile::tempdir().unwrap();
    let images = dir.path().join("images");
    std::fs::create_dir(&images).unwrap();
    for f in [
        "astronaut_299.png",
        "chelsea_256.png",
        "coffee_256.png",
        "rocket_211x173.png",
    ] {
        std::fs::copy(fixtures().join(f), images.join(f)).unwrap();
    }
    let weights = dir.path().join("seeded.safetensors");
    write_seeded_weights(&weights);
    for (preprocess, reference) in [
        ("tf", "tf_pool3.npy"),
        ("pytorch-fid", "pytorch-fid_pool3.npy"),
    ] {
        let feats = dir.path().join(format!("{preprocess}.npy"));
        let stats = dir.path().join(format!("{preprocess}.npz"));
        run_ok(
            fidlab()
                .args([
                    "stats",
                    images.to_str().unwrap(),
                    "-o",
                    stats.to_str().unwrap(),
                ])
                .args([
                    "--inception-weights",
                    weights.to_str().unwrap(),
                    "--preprocess",
                    preprocess,
                ])
                .args(["--batch", "3", "--save-features", feats.to_str().unwrap()]),
        );
        let ours = read_npy(&feats);
        let expected = read_npy(&fixtures().join(reference));
        assert_eq!(ours.len(), expected.len());
        let scale = expected.iter().fold(0f32, |m, x| m.max(x.abs()));
        let worst = ours
            .iter()
            .zip(&expected)
            .fold(0f32, |m, (a, b)| m.max((a - b).abs()));
        // 1e-4 of the largest reference value, the tolerance (measured: ~6e-7).
        assert!(
            worst <= 1e-4 * scale,
            "{preprocess}: max |Δ| {worst} vs scale {scale}"
        );
        let file = fid_core::StatsFile::read(&stats).unwrap();
        let prov = file.provenance.unwrap();
        assert_eq!(prov.count, 4);
        assert_eq!(prov.layer, "pool3");
        assert_eq!(prov.preprocess.as_deref(), Some(preprocess));
        assert!(prov.weights_sha256.is_some());
    }
}
