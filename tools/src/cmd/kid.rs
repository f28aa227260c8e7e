//! `fidlab kid A B`: the Kernel Inception Distance between two feature matrices.

use std::path::PathBuf;

use fid_core::kid::{KidConfig, kid};

use super::common::read_features;

/// Arguments of `fidlab kid`.
#[derive(Debug, clap::Args)]
pub struct KidArgs {
    /// First feature matrix (.npy, [N, D], f32 or f64).
    pub a: PathBuf,
    /// Second feature matrix.
    pub b: PathBuf,
    /// Number of random subsets.
    #[arg(long, default_value_t = 100)]
    pub subsets: usize,
    /// Largest subset size (the actual size is min(N_a, N_b, this)).
    #[arg(long, default_value_t = 1000)]
    pub subset_size: usize,
    /// Seed of the subset draws.
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// Print a JSON object (kid, std, subset_size, subsets) instead of the bare number.
    #[arg(long)]
    pub json: bool,
}

/// Runs `fidlab kid`.
pub fn run(args: KidArgs) -> anyhow::Result<()> {
    let a = read_features(&args.a)?;
    let b = read_features(&args.b)?;
    if a.cols() != b.cols() {
        anyhow::bail!(
            "feature dimensions differ: {} has D = {}, {} has D = {}",
            args.a.display(),
            a.cols(),
            args.b.display(),
            b.cols()
        );
    }
    let config = KidConfig {
        subsets: args.subsets,
        max_subset_size: args.subset_size,
        seed: args.seed,
    };
    let k = kid(&a, &b, &config)?;
    if args.json {
        let out = serde_json::json!({
            "kid": k.value, "std": k.std, "subset_size": k.subset_size, "subsets": k.subsets,
            "n_a": a.rows(), "n_b": b.rows(), "dims": a.cols(), "seed": args.seed,
        });
        println!("{}", serde_json::to_string_pretty(&out)?);
    } else {
        println!("{}", k.value);
    }
    Ok(())
}
