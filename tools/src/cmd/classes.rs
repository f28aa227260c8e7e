//! `fidlab classes A B`: compare the Top-1 ImageNet class histograms of two sets.

use std::path::PathBuf;

use burn_models::labels::short_label;
use resampling::classes::{ClassShare, compare};

use super::common::read_features;

/// Arguments of `fidlab classes`.
#[derive(Debug, clap::Args)]
pub struct ClassesArgs {
    /// First set: Inception logits (.npy, [N, 1008]).
    pub a: PathBuf,
    /// Second set: Inception logits (.npy, [N, 1008]).
    pub b: PathBuf,
    /// Classes listed in each direction.
    #[arg(long, default_value_t = 10)]
    pub top: usize,
    /// Print a JSON object instead of text.
    #[arg(long)]
    pub json: bool,
}

fn print_rows(title: &str, rows: &[ClassShare], n_a: usize, n_b: usize) {
    println!("{title}");
    for s in rows {
        println!(
            "  {:>4}  {:<32} A {:>6} ({:6.2}%)  B {:>6} ({:6.2}%)  {:+.2} pp",
            s.class,
            short_label(s.class),
            s.count_a,
            100.0 * s.count_a as f64 / n_a as f64,
            s.count_b,
            100.0 * s.count_b as f64 / n_b as f64,
            100.0 * s.difference
        );
    }
}

/// Runs `fidlab classes`.
pub fn run(args: ClassesArgs) -> anyhow::Result<()> {
    for p in [&args.a, &args.b] {
        if p.extension().and_then(|e| e.to_str()) != Some("npy") {
            anyhow::bail!(
                "{}: give saved Inception logits (.npy, [N, 1008]); image folders and zips need the Inception port",
                p.display()
            );
        }
    }
    let a = read_features(&args.a)?;
    let b = read_features(&args.b)?;
    let r = compare(&a, &b, args.top)?;
    if args.json {
        println!("{}", serde_json::to_string_pretty(&r)?);
        return Ok(());
    }
    println!("total variation = {:.6}", r.total_variation);
    println!("KL(A || B) = {:.6} nats", r.kl_a_b);
    print_rows("over-represented in B:", &r.over_in_b, r.n_a, r.n_b);
    print_rows("under-represented in B:", &r.under_in_b, r.n_a, r.n_b);
    Ok(())
}
