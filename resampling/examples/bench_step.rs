//! Benchmark: one resampling step (loss + exact per-weight gradient + SGD update) against the
//! paper's PyTorch loop on the CPU, measured in the same run.
//!
//! ```text
//! cargo run --release -p resampling --example bench_step -- \
//!     --n-gen 20000 --dims 2048 --steps 3 --python .venv-ref/bin/python
//! ```
//!
//! Both sides build identical features from `seeded_values` (`bench.real` `[n_real, D]`,
//! `bench.gen` `[n_gen, D]`), warm up one step, time `--steps` steps and report the median and the
//! peak resident memory (Linux `VmHWM` / `ru_maxrss`); the reference runs in a child process
//! (`scripts/resampling_bench.py`), after the Rust side, so the two peaks do not mix. Threads:
//! `RAYON_NUM_THREADS` for fidlab and `--threads` for torch (default 2 both).

use std::process::Command;
use std::time::Instant;

use burn_models::seeded::seeded_values;
use fid_core::{FeatureMatrix, FrechetReference, Moments};
use resampling::optim::{Optimizer, OptimizerKind};
use resampling::outputs::peak_rss_bytes;
use resampling::weighted::loss_and_grad;

fn arg(args: &[String], name: &str, default: &str) -> String {
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1))
        .cloned()
        .unwrap_or_else(|| default.to_string())
}

fn median(v: &mut [f64]) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let n_real: usize = arg(&args, "--n-real", "5000").parse().unwrap();
    let n_gen: usize = arg(&args, "--n-gen", "20000").parse().unwrap();
    let d: usize = arg(&args, "--dims", "2048").parse().unwrap();
    let steps: usize = arg(&args, "--steps", "3").parse().unwrap();
    let threads: usize = arg(&args, "--threads", "2").parse().unwrap();
    let python = arg(&args, "--python", "python3");
    let skip_reference = args.iter().any(|a| a == "--no-reference");
    if std::env::var("RAYON_NUM_THREADS").is_err() {
        rayon_threads(threads);
    }

    let base_rss = peak_rss_bytes().unwrap_or(0);
    let real = FeatureMatrix::from_f32(n_real, d, seeded_values("bench.real", 0, n_real * d, 1.0))
        .unwrap();
    let gen_ =
        FeatureMatrix::from_f32(n_gen, d, seeded_values("bench.gen", 0, n_gen * d, 1.0)).unwrap();
    let g = Moments::from_features(&real).gaussian().unwrap();
    drop(real);
    let reference = FrechetReference::new(g.mean, g.cov.as_ref()).unwrap();
    let mut w = vec![0.0; n_gen];
    let mut opt = Optimizer::new(OptimizerKind::Sgd, 10.0, n_gen);
    let mut times = Vec::new();
    let mut losses = Vec::new();
    for it in 0..=steps {
        let t0 = Instant::now();
        let lg = loss_and_grad(&reference, &gen_, &w).unwrap();
        opt.step(&mut w, &lg.grad);
        let dt = t0.elapsed().as_secs_f64();
        losses.push(lg.loss);
        eprintln!("fidlab step {it}: {dt:.2}s loss {:.9}", lg.loss);
        if it > 0 {
            times.push(dt);
        }
    }
    let ours = median(&mut times);
    let our_peak = peak_rss_bytes().unwrap_or(0);
    println!("| implementation | median s/step | peak RSS (MB) | first loss |");
    println!("| --- | --- | --- | --- |");
    println!(
        "| fidlab (faer, f64, closed-form gradient) | {ours:.2} | {:.0} | {:.9} |",
        our_peak as f64 / 1e6,
        losses[0]
    );
    let _ = base_rss;
    if skip_reference {
        return;
    }
    let script = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../scripts/resampling_bench.py"
    );
    let out = Command::new(&python)
        .args([
            script,
            "--n-real",
            &n_real.to_string(),
            "--n-gen",
            &n_gen.to_string(),
            "--dims",
            &d.to_string(),
            "--steps",
            &steps.to_string(),
            "--threads",
            &threads.to_string(),
        ])
        .output()
        .expect("run the PyTorch reference (set --python)");
    eprint!("{}", String::from_utf8_lossy(&out.stderr));
    let text = String::from_utf8_lossy(&out.stdout);
    let v: serde_json::Value = serde_json::from_str(text.trim()).expect("reference JSON");
    let theirs = v["median_s"].as_f64().unwrap();
    let their_peak = v["peak_rss_bytes"].as_f64().unwrap();
    let their_loss = v["losses"][0].as_f64().unwrap();
    println!(
        "| paper's loop, PyTorch {} CPU (torch.linalg.eigvals) | {theirs:.2} | {:.0} | {their_loss:.9} |",
        v["torch"].as_str().unwrap_or("?"),
        their_peak / 1e6
    );
    println!();
    println!(
        "N_gen = {n_gen}, D = {d}, N_real = {n_real}, {threads} threads: fidlab is {:.2}× faster and uses {:.2}× the memory (first losses differ by {:.1e} relative)",
        theirs / ours,
        our_peak as f64 / their_peak,
        (losses[0] - their_loss).abs() / their_loss
    );
}

fn rayon_threads(n: usize) {
    // faer parallelises through the global rayon pool.
    let _ = rayon::ThreadPoolBuilder::new()
        .num_threads(n)
        .build_global();
}
