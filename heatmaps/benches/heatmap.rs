//! Seconds per FID sensitivity heatmap on the CPU (flex), statistics reused from memory.
//!
//! Same setting as `scripts/heatmap_reference.py --bench R` (seeded Inception weights, seeded
//! 2048-d statistics, `chelsea_256.png`, 256×256): run both in the same session and compare the
//! medians (`scripts/bench_heatmaps.sh` does both).
//!
//!     cargo bench -p heatmaps --bench heatmap -- 5
//!
//! Prints the one-off preparation time (`Σ_r^½`, weights) and the median of R heatmaps after one
//! warm-up (map + overlay + softmax; no file output).

use std::time::Instant;

use burn::tensor::Device;
use burn_models::inception::{Inception, PARITY_SEED, seeded_state_dict};
use burn_models::seeded::seeded_values;
use faer::{Accum, Mat, Par};
use fid_core::Gaussian;
use heatmaps::frechet::FrechetObjective;
use heatmaps::inception::InceptionSplit;
use heatmaps::pipeline::{heatmap, load_rgb};
use heatmaps::sensitivity::GeneratedStatistics;

const DIM: usize = 2048;
const RANK: usize = 64;

/// The statistics recipe of `scripts/heatmap_reference.py` (seed 7).
fn seeded_statistics(tag: &str) -> (Vec<f64>, Mat<f64>) {
    let u = |part: &str, n: usize, scale: f32| -> Vec<f64> {
        seeded_values(&format!("heatmap.{tag}.{part}"), 7, n, scale)
            .into_iter()
            .map(f64::from)
            .collect()
    };
    let mean = u("mean", DIM, 0.5).iter().map(|v| 0.9 + v).collect();
    let x = u("factor", DIM * RANK, 0.3);
    let x = Mat::from_fn(DIM, RANK, |i, j| x[i * RANK + j]);
    let diag = u("diag", DIM, 0.5);
    let mut cov = Mat::from_fn(
        DIM,
        DIM,
        |i, j| if i == j { 0.02 * (1.0 + diag[i]) } else { 0.0 },
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

fn main() {
    let runs: usize = std::env::args()
        .skip(1)
        .find_map(|a| a.parse().ok())
        .unwrap_or(3);
    let device = Device::flex();
    let t = Instant::now();
    let (mean_r, cov_r) = seeded_statistics("real");
    let (mean_g, cov_g) = seeded_statistics("gen");
    let objective = FrechetObjective::new(&Gaussian {
        count: 50_000,
        mean: mean_r,
        cov: cov_r,
    })
    .unwrap();
    let cov_g: Vec<f64> = (0..DIM * DIM).map(|k| cov_g[(k / DIM, k % DIM)]).collect();
    let generated = GeneratedStatistics::new(49_999, &mean_g, &cov_g, &device).unwrap();
    let net = InceptionSplit::new(
        Inception::from_state_dict(&seeded_state_dict(PARITY_SEED), &device).unwrap(),
    );
    let image = load_rgb(
        &std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../tests/fixtures/inception/chelsea_256.png"),
    )
    .unwrap();
    println!(
        "preparation (statistics, Σ_r^½, weights): {:.2} s",
        t.elapsed().as_secs_f64()
    );
    heatmap(&net, &objective, &generated, &image, &device).unwrap();
    let mut times: Vec<f64> = (0..runs)
        .map(|_| {
            let t = Instant::now();
            heatmap(&net, &objective, &generated, &image, &device).unwrap();
            t.elapsed().as_secs_f64()
        })
        .collect();
    times.sort_by(f64::total_cmp);
    println!(
        "heatmap 256×256, flex CPU, {} threads: median {:.2} s over {runs} runs (min {:.2}, max {:.2})",
        std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(1),
        times[runs / 2],
        times[0],
        times[runs - 1]
    );
}
