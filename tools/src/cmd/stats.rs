//! `fidlab stats`: statistics of a set, and `fidlab stats merge`.

use std::path::PathBuf;

use anyhow::{Context, bail};
use fid_core::{Moments, StatsFile};

use super::common::{InputKind, features_provenance, input_kind, read_features};

/// Arguments of `fidlab stats`.
#[derive(Debug, clap::Args)]
#[command(args_conflicts_with_subcommands = true, subcommand_negates_reqs = true)]
pub struct StatsArgs {
    #[command(subcommand)]
    action: Option<StatsAction>,
    /// The set: a feature matrix (.npy, [N, D], f32 or f64).
    #[arg(required = true)]
    input: Option<PathBuf>,
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
    let (Some(input), Some(output)) = (args.input, args.output) else {
        bail!("usage: fidlab stats INPUT -o OUT.npz");
    };
    check_output(&output, args.force)?;
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
        InputKind::Images => bail!(
            "{}: image folders and zips need a feature network; this build computes statistics from .npy features",
            input.display()
        ),
    }
}
