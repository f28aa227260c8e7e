//! `fidlab stats --generator G --num N` computes features on the fly: they must equal the features of the
//! PNGs that `fidlab generate` writes for the same latents (row 0 of `RandomState(0).randn(N, z_dim)` is
//! `RandomState(0).randn(1, z_dim)`, i.e. seed 0; PNG is lossless, so the uint8 images are the same).

mod common;

use common::{npy_rows as rows, run_ok, write_seeded_inception};

fn fidlab(args: &[&str]) {
    run_ok(common::fidlab().args(args));
}

#[test]
fn generator_features_equal_features_of_generated_pngs() {
    let dir = tempfile::tempdir().unwrap();
    let p = |name: &str| dir.path().join(name).to_str().unwrap().to_string();
    let network = common::skip32_generator();
    let network = network.as_str();
    write_seeded_inception(&dir.path().join("w.safetensors"));
    let weights = p("w.safetensors");
    fidlab(&[
        "stats",
        "--generator",
        network,
        "--num",
        "2",
        "--batch",
        "2",
        "-o",
        &p("gen.npz"),
        "--inception-weights",
        &weights,
        "--save-features",
        &p("gen.npy"),
    ]);
    fidlab(&[
        "generate",
        "--network",
        network,
        "--seeds",
        "0",
        "--outdir",
        &p("pngs"),
    ]);
    // Two copies of seed 0's image: a covariance needs two samples.
    std::fs::create_dir(dir.path().join("folder")).unwrap();
    for copy in ["a.png", "b.png"] {
        std::fs::copy(
            dir.path().join("pngs/seed0000.png"),
            dir.path().join("folder").join(copy),
        )
        .unwrap();
    }
    fidlab(&[
        "stats",
        &p("folder"),
        "-o",
        &p("folder.npz"),
        "--inception-weights",
        &weights,
        "--save-features",
        &p("folder.npy"),
    ]);
    let generated = rows(&dir.path().join("gen.npy"));
    let from_pngs = rows(&dir.path().join("folder.npy"));
    assert_eq!(generated.len(), 2);
    assert_eq!(
        generated[0], from_pngs[0],
        "seed 0 through the generator source vs through its PNG"
    );
    assert_ne!(
        generated[0], generated[1],
        "the second latent is a different image"
    );
    let prov = fid_core::StatsFile::read(&dir.path().join("gen.npz"))
        .unwrap()
        .provenance
        .unwrap();
    assert_eq!(prov.count, 2);
    assert!(
        prov.source[0].contains("RandomState(0)"),
        "{:?}",
        prov.source
    );
}
