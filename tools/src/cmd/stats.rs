//! `fidlab stats`: statistics of a set, and `fidlab stats merge`.

use std::path::PathBuf;

use anyhow::{Context, bail};
use fid_core::{Moments, StatsFile};

use super::common::{InputKind, features_provenance, input_kind, read_features};
use super::extract::{Extracted, Extractor, NetworkArgs, from_dataset, from_generator};

/// Arguments of `fidlab stats`.
#[derive(Debug, clap::Args)]
#[command(args_conflicts_with_subcommands = true, subcommand_negates_reqs = true)]
pub struct StatsArgs {
    #[command(subcommand)]
    action: Option<StatsAction>,
    /// The set: a folder or .zip of images, or a feature matrix (.npy, [N, D], f32 or f64).
    #[arg(required_unless_present = "generator")]
    input: Option<PathBuf>,
    /// Use a StyleGAN2 generator (G.safetensors + G.json, or an NVlabs .pkl) instead of INPUT.
    #[arg(long, value_name = "G", conflicts_with = "input")]
    generator: Option<PathBuf>,
    /// Images to generate with --generator (latents RandomState(--latent-seed).randn(N, z_dim), ψ = 1, constant noise).
    #[arg(long, default_value_t = 50_000)]
    num: usize,
    /// Seed of the generator's latent stream.
    #[arg(long, default_value_t = 0)]
    latent_seed: u32,
    /// Also write the [N, D] feature matrix (f32 .npy, in dataset order).
    #[arg(long, value_name = "FEATS.npy")]
    save_features: Option<PathBuf>,
    #[command(flatten)]
    net: NetworkArgs,
    /// Output statistics file (.npz; pytorch-fid-compatible, plus exact sums and provenance).
    #[arg(short, long, required = true)]
    output: Option<PathBuf>,
    /// Overwrite OUTPUT if it exists.
    #[arg(long)]
    force: bool,
}

#[derive(Debug, clap::Subcommand)]
enum StatsAction {
    /// Merge statistics files of disjoint shards into the statistics of their union.
    Merge(MergeArgs),
}

#[derive(Debug, clap::Args)]
struct MergeArgs {
    /// fidlab statistics files (they must carry exact sums and the same provenance).
    #[arg(required = true, num_args = 1..)]
    inputs: Vec<PathBuf>,
    /// Output statistics file (.npz).
    #[arg(short, long)]
    output: PathBuf,
    /// Overwrite OUTPUT if it exists.
    #[arg(long)]
    force: bool,
}

fn check_output(path: &std::path::Path, force: bool) -> anyhow::Result<()> {
    if path.exists() && !force {
        bail!("{} exists; pass --force to overwrite it", path.display());
    }
    Ok(())
}

/// Runs `fidlab stats`.
pub fn run(args: StatsArgs) -> anyhow::Result<()> {
    if let Some(StatsAction::Merge(m)) = args.action {
        check_output(&m.output, m.force)?;
        let files = m
            .inputs
            .iter()
            .map(|p| Ok((p.clone(), StatsFile::read(p)?)))
            .collect::<anyhow::Result<Vec<_>>>()?;
        let merged = StatsFile::merge(&files)?;
        merged.write(&m.output)?;
        eprintln!(
            "merged {} files ({} samples) into {}",
            files.len(),
            merged.gaussian.count,
            m.output.display()
        );
        return Ok(());
    }
    let Some(output) = args.output else {
        bail!("usage: fidlab stats INPUT -o OUT.npz");
    };
    check_output(&output, args.force)?;
    if let Some(f) = &args.save_features {
        check_output(f, args.force)?;
    }
    let keep = args.save_features.is_some();
    let finish = |x: Extracted| -> anyhow::Result<()> {
        if let (Some(path), Some(f)) = (&args.save_features, &x.features) {
            f.write_npy(path)?;
        }
        let file = StatsFile::from_moments(x.moments, x.provenance)?;
        file.write(&output)?;
        eprintln!(
            "{} images × {} dims → {}",
            file.gaussian.count,
            file.gaussian.dim(),
            output.display()
        );
        Ok(())
    };
    if let Some(g) = &args.generator {
        let device = burn_models::device::parse_device(&args.net.device)?;
        let e = Extractor::load(&args.net, &device)?;
        return finish(from_generator(
            g,
            args.num,
            args.latent_seed,
            &args.net,
            &e,
            keep,
            &device,
        )?);
    }
    let Some(input) = args.input.clone() else {
        bail!("usage: fidlab stats INPUT -o OUT.npz");
    };
    match input_kind(&input)? {
        InputKind::Features => {
            let feats = read_features(&input)?;
            let moments = Moments::from_features(&feats);
            let prov = features_provenance(&input, moments.count());
            let file = StatsFile::from_moments(moments, prov)
                .with_context(|| input.display().to_string())?;
            file.write(&output)?;
            eprintln!(
                "{} samples × {} dims → {}",
                file.gaussian.count,
                file.gaussian.dim(),
                output.display()
            );
            Ok(())
        }
        InputKind::Stats => bail!(
            "{} is already a statistics file (use `fidlab stats merge` to combine files)",
            input.display()
        ),
        InputKind::Images => {
            let device = burn_models::device::parse_device(&args.net.device)?;
            let e = Extractor::load(&args.net, &device)?;
            finish(from_dataset(&input, &args.net, &e, keep, &device)?)
        }
    }
}
