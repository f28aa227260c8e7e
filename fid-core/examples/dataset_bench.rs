//! Decoding throughput of [`fid_core::dataset`] on a zip or folder of images.
//!
//! ```text
//! cargo run -p fid-core --example dataset_bench -- PATH [BATCH_SIZE] [REPEATS]
//! ```
//! Opens the dataset once (timed), streams it once to warm up (page cache, thread pool), then
//! streams it `REPEATS` times (default 5) and prints the median throughput. The dev profile
//! compiles the decoders (`image`, `png`, `zune-jpeg`, `zip`) with `opt-level = 3`, so a debug
//! build measures the same hot loops as a release build. `scripts/bench_dataset.py` runs it beside
//! the Python reference.

use std::time::Instant;

use fid_core::dataset::{Dataset, DatasetOptions};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let path = args
        .next()
        .ok_or("usage: dataset_bench PATH [BATCH_SIZE] [REPEATS]")?;
    let batch_size: usize = args.next().map_or(Ok(32), |s| s.parse())?;
    let repeats: usize = args.next().map_or(Ok(5), |s| s.parse())?;

    let start = Instant::now();
    let dataset = Dataset::open(&path, DatasetOptions::default())?;
    let open_s = start.elapsed().as_secs_f64();

    let pass = || -> Result<(usize, f64), Box<dyn std::error::Error>> {
        let start = Instant::now();
        let mut images = 0;
        for batch in dataset.batches(batch_size) {
            images += batch?.batch;
        }
        Ok((images, start.elapsed().as_secs_f64()))
    };
    pass()?;
    let mut seconds = Vec::with_capacity(repeats);
    for _ in 0..repeats.max(1) {
        let (images, s) = pass()?;
        assert_eq!(images, dataset.len());
        seconds.push(s);
    }
    seconds.sort_by(f64::total_cmp);
    let median = seconds[seconds.len() / 2];
    println!(
        "images={} open_s={open_s:.4} median_s={median:.4} images_per_s={:.1} threads={}",
        dataset.len(),
        dataset.len() as f64 / median,
        rayon::current_num_threads()
    );
    Ok(())
}
