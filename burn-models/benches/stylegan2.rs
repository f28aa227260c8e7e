//! Throughput of the StyleGAN2 generator at 256² (`paper256`: channel_base 16384, channel_max 512,
//! 8 mapping layers; seeded weights), on the CPU (flex), FP32, noise `const`.
//!
//! Run through `scripts/stylegan2_reference.py bench`, which times the NVlabs reference in the same
//! run and prints the ratio; alone:
//! `RAYON_NUM_THREADS=2 cargo bench -p burn-models --bench stylegan2 -- --batch 4 --reps 5`.
//! Prints a progress line to stderr and one JSON line (`images_per_s`, `median_s`, …) to stdout.

use std::time::Instant;

use burn::tensor::Device;
use burn_models::numpy_rng::randn_stream;
use burn_models::stylegan2::{GeneratorConfig, SampleOptions, to_uint8};

fn arg(name: &str, default: usize) -> usize {
    let args: Vec<String> = std::env::args().collect();
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1))
        .map(|v| {
            v.parse()
                .unwrap_or_else(|_| panic!("{name} takes a number"))
        })
        .unwrap_or(default)
}

fn main() {
    let batch = arg("--batch", 4);
    let reps = arg("--reps", 5).max(1);
    let device = Device::flex();
    let config = GeneratorConfig::paper256();
    let generator = config.init_seeded(0, &device);
    let z = randn_stream(0, batch, config.z_dim);
    let options = SampleOptions::default();
    let run = || {
        let t = Instant::now();
        let img = generator.generate(&z, &options, &device);
        let pixels = to_uint8(img);
        assert_eq!(pixels.num_elements(), batch * 3 * 256 * 256);
        t.elapsed().as_secs_f64()
    };
    let warmup = run();
    let mut times: Vec<f64> = (0..reps).map(|_| run()).collect();
    times.sort_by(f64::total_cmp);
    let median = times[reps / 2];
    eprintln!(
        "burn flex paper256: warm-up {warmup:.2} s, median {median:.3} s per batch of {batch} \
         ({:.3} images/s), runs {times:.3?}",
        batch as f64 / median
    );
    println!(
        "{}",
        serde_json::json!({
            "images_per_s": batch as f64 / median,
            "median_s": median,
            "batch": batch,
            "reps": reps,
            "threads": std::env::var("RAYON_NUM_THREADS").ok(),
        })
    );
}
