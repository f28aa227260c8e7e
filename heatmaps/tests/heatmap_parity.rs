//! The full heatmap against torch autograd through torch-fidelity's Inception, on the seeded
//! parity weights (`burn_models::inception::seeded_state_dict(PARITY_SEED)`) and seeded synthetic
//! statistics, for the four photographs of `tests/fixtures/inception/`.
//!
//! Fixtures: `tests/fixtures/fid_heatmap/`, written by `python scripts/heatmap_reference.py`
//! (pip line in its header; it imports `scripts/inception_reference.py`).
//!
//! Tolerances: the 8×8 map within 1e-4 of its largest value (Burn and torch agree on pool3 to
//! about 5e-5 relative, and the map is quadratic in the gradient); the overlay within ±1 on at
//! least 99 % of the pixels (a map value on a truncation boundary may flip the quantised 8×8 map
//! by one level); the distance within 1e-6 relative.

use std::path::PathBuf;
use std::sync::OnceLock;

use burn_models::device::test_device;
use burn_models::inception::{Inception, PARITY_SEED, seeded_state_dict};
use burn_models::seeded::seeded_values;
use faer::{Accum, Mat, Par};
use fid_core::Gaussian;
use heatmaps::frechet::FrechetObjective;
use heatmaps::inception::InceptionSplit;
use heatmaps::pipeline::{heatmap, load_rgb};
use heatmaps::sensitivity::GeneratedStatistics;

/// `scripts/heatmap_reference.py`: STATS_SEED, DIM, RANK, NUM_IMAGES.
const STATS_SEED: u64 = 7;
const DIM: usize = 2048;
const RANK: usize = 64;
const NUM_IMAGES: u64 = 50_000;

const IMAGES: [&str; 4] = [
    "astronaut_299",
    "chelsea_256",
    "coffee_256",
    "rocket_211x173",
];

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/fid_heatmap")
        .join(name)
}

fn npy_f32(name: &str) -> Vec<f32> {
    let bytes = std::fs::read(fixture(name)).unwrap();
    npyz::NpyFile::new(&bytes[..]).unwrap().into_vec().unwrap()
}

/// The script's `seeded_statistics(tag)`: mean = 0.9 + u(0.5), cov = X Xᵀ/64 + diag(0.02 (1 + u(0.5))).
fn seeded_statistics(tag: &str) -> (Vec<f64>, Mat<f64>) {
    let u = |part: &str, n: usize, scale: f32| -> Vec<f64> {
        seeded_values(&format!("heatmap.{tag}.{part}"), STATS_SEED, n, scale)
            .into_iter()
            .map(f64::from)
            .collect()
    };
    let mean: Vec<f64> = u("mean", DIM, 0.5).iter().map(|v| 0.9 + v).collect();
    let x = u("factor", DIM * RANK, 0.3);
    let x = Mat::from_fn(DIM, RANK, |i, j| x[i * RANK + j]);
    let diag = u("diag", DIM, 0.5);
    let mut cov = Mat::from_fn(
        DIM,
        DIM,
        |i, j| {
            if i == j { 0.02 * (1.0 + diag[i]) } else { 0.0 }
        },
    );
    faer::linalg::matmul::matmul(
        cov.as_mut(),
        Accum::Add,
        x.as_ref(),
        x.transpose(),
        1.0 / RANK as f64,
        Par::rayon(0),
    );
    (mean, cov)
}

fn network() -> &'static InceptionSplit {
    static NET: OnceLock<InceptionSplit> = OnceLock::new();
    NET.get_or_init(|| {
        let sd = seeded_state_dict(PARITY_SEED);
        InceptionSplit::new(Inception::from_state_dict(&sd, &test_device()).unwrap())
    })
}

/// The full seeded Inception and 2048-d eigendecompositions per image: about 30 s on 2 cores
/// (`cargo test -p heatmaps --test heatmap_parity`).
#[test]
fn heatmaps_match_torch_autograd() {
    let device = test_device();
    let (mean_r, cov_r) = seeded_statistics("real");
    let (mean_g, cov_g) = seeded_statistics("gen");
    let objective = FrechetObjective::new(&Gaussian {
        count: NUM_IMAGES,
        mean: mean_r,
        cov: cov_r,
    })
    .unwrap();
    let cov_g: Vec<f64> = (0..DIM * DIM).map(|k| cov_g[(k / DIM, k % DIM)]).collect();
    let generated = GeneratedStatistics::new(NUM_IMAGES - 1, &mean_g, &cov_g, &device).unwrap();

    let meta: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(fixture("reference.json")).unwrap()).unwrap();
    let maps_seed = npy_f32("maps_seed.npy");
    let maps_f64 = npy_f32("maps_f64.npy");
    for (i, name) in IMAGES.iter().enumerate() {
        let path = root().join(format!("tests/fixtures/inception/{name}.png"));
        let image = load_rgb(&path).unwrap();
        let h = heatmap(network(), &objective, &generated, &image, &device).unwrap();

        let fid_ref = meta["fid_f64"][i].as_f64().unwrap();
        let fid_rel = (h.sensitivity.distance - fid_ref).abs() / fid_ref.abs();
        let rel = |reference: &[f32]| -> f32 {
            let scale = reference.iter().fold(0f32, |m, v| m.max(v.abs()));
            let err = h
                .sensitivity
                .map
                .iter()
                .zip(reference)
                .fold(0f32, |m, (a, b)| m.max((a - b).abs()));
            err / scale
        };
        let rel_seed = rel(&maps_seed[i * 64..(i + 1) * 64]);
        let rel_f64 = rel(&maps_f64[i * 64..(i + 1) * 64]);

        let expected = image::open(fixture(&format!("overlay_{name}.png")))
            .unwrap()
            .to_rgb8();
        assert_eq!(expected.dimensions(), h.overlay.dimensions());
        let total = expected.as_raw().len();
        let within = expected
            .as_raw()
            .iter()
            .zip(h.overlay.as_raw())
            .filter(|&(&a, &b)| a.abs_diff(b) <= 1)
            .count();
        let exact = expected
            .as_raw()
            .iter()
            .zip(h.overlay.as_raw())
            .filter(|&(a, b)| a == b)
            .count();
        eprintln!(
            "{name}: FD rel err {fid_rel:.2e}; map rel err vs seed route {rel_seed:.2e}, vs f64 route \
             {rel_f64:.2e}; overlay exact {:.4}, within ±1 {:.4}",
            exact as f64 / total as f64,
            within as f64 / total as f64
        );
        assert!(
            h.sensitivity.map.iter().all(|&v| v >= 0.0),
            "{name}: negative map"
        );
        assert!(
            fid_rel <= 1e-6,
            "{name}: FD {} vs {fid_ref}",
            h.sensitivity.distance
        );
        assert!(rel_seed <= 1e-4, "{name}: map rel err {rel_seed}");
        assert!(within as f64 >= 0.99 * total as f64, "{name}: overlay");
    }
}
