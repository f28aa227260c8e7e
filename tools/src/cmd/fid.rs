//! `fidlab fid A B`: the Fréchet distance between two sets.

use std::path::PathBuf;

use anyhow::bail;
use fid_core::frechet_gaussians;

use super::common::{SetStats, load_set};
use super::extract::{Extractor, NetworkArgs, from_generator};

/// Arguments of `fidlab fid`.
#[derive(Debug, clap::Args)]
pub struct FidArgs {
    /// The sets: two of a folder or .zip of images, a statistics file (.npz, pytorch-fid or fidlab) or a
    /// feature matrix (.npy, [N, D]); one with --generator.
    #[arg(required = true, num_args = 1..=2)]
    pub inputs: Vec<PathBuf>,
    /// Use a StyleGAN2 generator (G.safetensors + G.json, or an NVlabs .pkl) as the first set.
    #[arg(long, value_name = "G")]
    pub generator: Option<PathBuf>,
    /// Images to generate with --generator (latents RandomState(--latent-seed).randn(N, z_dim), ψ = 1, constant noise).
    #[arg(long, default_value_t = 50_000)]
    pub num: usize,
    /// Seed of the generator's latent stream.
    #[arg(long, default_value_t = 0)]
    pub latent_seed: u32,
    #[command(flatten)]
    pub net: NetworkArgs,
    /// Print a JSON object (fid, n_a, n_b, dims, diagnostics) instead of the bare number.
    #[arg(long)]
    pub json: bool,
    /// Make differing provenance (network, weights, preprocessing, layer) an error instead of a warning.
    #[arg(long)]
    pub strict: bool,
}

/// Runs `fidlab fid`.
pub fn run(args: FidArgs) -> anyhow::Result<()> {
    let device = burn_models::device::parse_device(&args.net.device)?;
    let mut extractor: Option<Extractor> = None;
    let (a, b) = match (&args.generator, args.inputs.as_slice()) {
        (None, [a, b]) => (
            load_set(a, &args.net, &mut extractor, &device)?,
            load_set(b, &args.net, &mut extractor, &device)?,
        ),
        (Some(g), [b]) => {
            let e = Extractor::load(&args.net, &device)?;
            let x = from_generator(g, args.num, args.latent_seed, &args.net, &e, false, &device)?;
            let a = SetStats {
                path: g.clone(),
                gaussian: x.moments.gaussian()?,
                provenance: Some(x.provenance),
            };
            extractor = Some(e);
            (a, load_set(b, &args.net, &mut extractor, &device)?)
        }
        (None, _) => bail!("give two sets (or --generator G and one set)"),
        (Some(_), _) => bail!("with --generator, give one other set"),
    };
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
