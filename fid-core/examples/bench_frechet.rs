//! Times fidlab's Fréchet distance on two statistics files; driven by `scripts/bench_frechet.py`,
//! which times scipy and numpy on the same files in the same run.
//!
//! `cargo run --example bench_frechet -- A.npz B.npz [REPEATS]` prints one JSON line.

use std::path::Path;
use std::time::Instant;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().collect();
    if args.len() < 3 {
        return Err("usage: bench_frechet A.npz B.npz [REPEATS]".into());
    }
    let repeats: usize = args.get(3).map_or(Ok(5), |r| r.parse())?;
    let a = fid_core::StatsFile::read(Path::new(&args[1]))?.gaussian;
    let b = fid_core::StatsFile::read(Path::new(&args[2]))?.gaussian;
    let _warm = fid_core::frechet_gaussians(&a, &b)?;
    let mut times = Vec::new();
    let mut value = 0.0;
    for _ in 0..repeats {
        let t = Instant::now();
        value = fid_core::frechet_gaussians(&a, &b)?.value;
        times.push(t.elapsed().as_secs_f64());
    }
    times.sort_by(f64::total_cmp);
    println!(
        "{{\"fid\": {value:.15e}, \"median_s\": {}, \"min_s\": {}, \"threads\": {}}}",
        times[times.len() / 2],
        times[0],
        rayon::current_num_threads()
    );
    Ok(())
}
