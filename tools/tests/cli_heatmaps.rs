//! `fidlab heatmaps --ref real.npz --gen gen.npz IMG… --outdir D --save-maps` end to end: overlays of each image's
//! size and non-negative 8×8 maps; with `--network G --seeds S`, the generator's images give the same maps as
//! the PNGs `fidlab generate` writes for those seeds. (The numbers themselves are checked against torch autograd
//! in `heatmaps/tests/heatmap_parity.rs`, the generator's images against NVlabs' in
//! `burn-models/tests/stylegan2_parity.rs`.)

use std::path::Path;

mod common;

use burn_models::seeded::seeded_values;
use common::{
    inception_fixtures as fixtures, run_ok, write_seeded_inception as write_seeded_weights,
};

/// Statistics of `n` seeded non-negative 2048-d features (pool3 is post-ReLU).
fn write_stats(path: &Path, name: &str, n: usize) {
    let data: Vec<f32> = seeded_values(name, 1, n * 2048, 1.0)
        .iter()
        .map(|x| x.abs())
        .collect();
    let mut m = fid_core::Moments::new(2048);
    m.push_rows_f32(&data);
    fid_core::StatsFile::from_moments(
        m,
        fid_core::Provenance::new("inception-v3-tf-2015-12-05", "pool3"),
    )
    .unwrap()
    .write(path)
    .unwrap();
}

#[test]
fn heatmaps_of_image_files_against_two_stats_files() {
    let dir = tempfile::tempdir().unwrap();
    let (real, gen_stats, weights, out) = (
        dir.path().join("real.npz"),
        dir.path().join("gen.npz"),
        dir.path().join("w.safetensors"),
        dir.path().join("out"),
    );
    write_stats(&real, "real", 2500);
    write_stats(&gen_stats, "gen", 2499);
    write_seeded_weights(&weights);
    let images = [
        fixtures().join("astronaut_299.png"),
        fixtures().join("rocket_211x173.png"),
    ];
    // `fidlab heatmaps` against the two stats files, writing into `out`.
    let heatmaps = || {
        let mut cmd = common::fidlab();
        cmd.args(["heatmaps", "--ref", real.to_str().unwrap()])
            .args(["--gen", gen_stats.to_str().unwrap()])
            .args(["--inception-weights", weights.to_str().unwrap()])
            .args(["--outdir", out.to_str().unwrap()]);
        cmd
    };
    run_ok(
        heatmaps()
            .arg("--save-maps")
            .args(images.iter().map(|p| p.to_str().unwrap())),
    );
    for (stem, size) in [
        ("astronaut_299", (299, 299)),
        ("rocket_211x173", (211, 173)),
    ] {
        let overlay = image::open(out.join(format!("sensitivity_heatmap_{stem}.png"))).unwrap();
        assert_eq!((overlay.width(), overlay.height()), size, "{stem}");
        let map =
            fid_core::FeatureMatrix::read_npy(&out.join(format!("sensitivity_map_{stem}.npy")))
                .unwrap();
        assert_eq!((map.rows(), map.cols()), (8, 8));
        let values: Vec<f64> = (0..8).flat_map(|i| map.row_f64(i)).collect();
        assert!(
            values.iter().all(|v| *v >= 0.0 && v.is_finite()),
            "{stem}: {values:?}"
        );
        assert!(values.iter().any(|v| *v > 0.0), "{stem}: all-zero map");
    }
    // A second run refuses to overwrite.
    let again = heatmaps()
        .arg(images[0].to_str().unwrap())
        .output()
        .unwrap();
    assert!(!again.status.success());
}

fn read_map(path: &Path) -> Vec<f64> {
    let map = fid_core::FeatureMatrix::read_npy(path).unwrap();
    assert_eq!((map.rows(), map.cols()), (8, 8), "{}", path.display());
    (0..8).flat_map(|i| map.row_f64(i)).collect()
}

#[test]
fn generator_mode_equals_the_generated_png_files() {
    let dir = tempfile::tempdir().unwrap();
    let p = |name: &str| dir.path().join(name).to_str().unwrap().to_string();
    write_stats(&dir.path().join("real.npz"), "real", 2500);
    write_stats(&dir.path().join("gen.npz"), "gen", 2499);
    write_seeded_weights(&dir.path().join("w.safetensors"));
    let network = common::skip32_generator();
    let network = network.as_str();
    let heatmaps = |outdir: &str| {
        let mut cmd = common::fidlab();
        cmd.args(["heatmaps", "--ref", &p("real.npz"), "--gen", &p("gen.npz")])
            .args(["--inception-weights", &p("w.safetensors")])
            .args(["--outdir", &p(outdir), "--save-maps"]);
        cmd
    };
    run_ok(common::fidlab().args([
        "generate",
        "--network",
        network,
        "--seeds",
        "3,5",
        "--batch",
        "1",
        "--outdir",
        &p("pngs"),
    ]));
    let table = run_ok(heatmaps("from_seeds").args(["--network", network, "--seeds", "3,5"]));
    let table = String::from_utf8(table).unwrap();
    let firsts: Vec<&str> = table
        .lines()
        .skip(1)
        .map(|l| l.split('\t').next().unwrap())
        .collect();
    assert_eq!(firsts, ["3", "5"], "{table}");
    run_ok(heatmaps("from_files").args([p("pngs/seed0003.png"), p("pngs/seed0005.png")]));
    for seed in [3, 5] {
        let generated = image::open(
            dir.path()
                .join(format!("from_seeds/gen_image_seed{seed}.png")),
        )
        .unwrap()
        .to_rgb8();
        let written = image::open(dir.path().join(format!("pngs/seed{seed:04}.png")))
            .unwrap()
            .to_rgb8();
        assert_eq!(generated, written, "seed {seed}: image");
        assert!(
            dir.path()
                .join(format!("from_seeds/sensitivity_heatmap_seed{seed}.png"))
                .exists()
        );
        let a = read_map(
            &dir.path()
                .join(format!("from_seeds/sensitivity_map_seed{seed}.npy")),
        );
        let b = read_map(
            &dir.path()
                .join(format!("from_files/sensitivity_map_seed{seed:04}.npy")),
        );
        let scale = b.iter().fold(0f64, |m, v| m.max(v.abs()));
        assert!(scale > 0.0, "seed {seed}: all-zero map");
        let diff = common::max_abs_diff(&a, &b);
        assert!(
            diff <= 1e-6 * scale,
            "seed {seed}: maps differ by {diff} (max {scale})"
        );
    }
    // Grid mode names the grid after its first seed, as the paper does, and writes no single pictures.
    run_ok(
        heatmaps("grid")
            .args(["--network", network, "--seeds", "5", "--grid"])
            .args(["--rows", "1", "--cols", "1"]),
    );
    let grid = image::open(dir.path().join("grid/sensitivity_grid-seed5-grid.png")).unwrap();
    assert_eq!((grid.width(), grid.height()), (32, 32));
    assert!(!dir.path().join("grid/gen_image_seed5.png").exists());
}
