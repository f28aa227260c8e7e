//! `fidlab fid A B`: the Fréchet distance between two sets.

use std::path::PathBuf;

use anyhow::bail;
use fid_core::frechet_gaussians;

use super::common::load_stats;

/// Arguments of `fidlab fid`.
#[derive(Debug, clap::Args)]
pub struct FidArgs {
    /// First set: a statistics file (.npz, pytorch-fid or fidlab) or a feature matrix (.npy, [N, D]).
    pub a: PathBuf,
    /// Second set, same kinds.
    pub b: PathBuf,
    /// Print a JSON object (fid, n_a, n_b, dims, diagnostics) instead of the bare number.
    #[arg(long)]
    pub json: bool,
    /// Make differing provenance (network, weights, preprocessing, layer) an error instead of a warning.
    #[arg(long)]
    pub strict: bool,
}

/// Runs `fidlab fid`.
pub fn run(args: FidArgs) -> anyhow::Result<()> {
    let a = load_stats(&args.a)?;
    let b = load_stats(&args.b)?;
    if a.gaussian.dim() != b.gaussian.dim() {
        bail!(
            "feature dimensions differ: {} has D = {}, {} has D = {}",
            a.path.display(),
            a.gaussian.dim(),
            b.path.display(),
            b.gaussian.dim()
        );
    }
    if let (Some(pa), Some(pb)) = (&a.provenance, &b.provenance) {
        let diff = pa.incompatibilities(pb);
        if !diff.is_empty() {
            let msg = format!(
                "the two sets have different provenance ({})",
                diff.join("; ")
            );
            if args.strict {
                bail!(msg);
            }
            eprintln!("warning: {msg}");
        }
    }
    let f = frechet_gaussians(&a.gaussian, &b.gaussian)?;
    for w in f.diagnostics.warnings() {
        eprintln!("warning: {w}");
    }
    if args.json {
        let out = serde_json::json!({
            "fid": f.value,
            "n_a": a.gaussian.count,
            "n_b": b.gaussian.count,
            "dims": a.gaussian.dim(),
            "mean_term": f.mean_term,
            "cov_term": f.cov_term,
            "diagnostics": f.diagnostics,
        });
        println!("{}", serde_json::to_string_pretty(&out)?);
    } else {
        println!("{}", f.value);
    }
    Ok(())
}
