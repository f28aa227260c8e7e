//! `fidlab resample`: reweight a generated set to lower FID (the paper's `run_resampling.py`).

use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use resampling::eval::KidSettings;
use resampling::optim::OptimizerKind;
use resampling::outputs::{self, SETTINGS_FILE};
use resampling::run::RunIo;
use resampling::{Data, FeatureMode, Inputs, Settings};

/// Resampled feature space.
#[derive(Debug, Clone, Copy, clap::ValueEnum)]
#[value(rename_all = "snake_case")]
pub enum ModeArg {
    /// Inception pool3 features.
    PreLogits,
    /// Inception logits (needs --real-logits/--gen-logits).
    Logits,
    /// Indicators of each image's top N classes (needs logits and --num-dims).
    TopN,
    /// Indicators of N classes centred on rank 504 (needs logits and --num-dims).
    MiddleN,
}

/// Optimiser of the log-weights.
#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub enum OptimizerArg {
    /// Plain gradient descent (the paper's).
    Sgd,
    /// Adam (β = 0.9, 0.999; ε = 1e-8).
    Adam,
}

/// Arguments of `fidlab resample`.
#[derive(Debug, clap::Args)]
pub struct ResampleArgs {
    /// Real Inception pool3 features (.npy, [N_r, 2048]).
    #[arg(long, required_unless_present = "resume")]
    pub real_features: Option<PathBuf>,
    /// Generated Inception pool3 features (.npy, [N_g, 2048]): the candidates to reweight.
    #[arg(long, required_unless_present = "resume")]
    pub gen_features: Option<PathBuf>,
    /// Real Inception logits (.npy, [N_r, 1008]): for logits/top_n/middle_n and the class plots.
    #[arg(long)]
    pub real_logits: Option<PathBuf>,
    /// Generated Inception logits (.npy, [N_g, 1008]).
    #[arg(long)]
    pub gen_logits: Option<PathBuf>,
    /// Real CLIP features (.npy, [N_r, 512]): adds CLIP-FID.
    #[arg(long)]
    pub real_clip: Option<PathBuf>,
    /// Generated CLIP features (.npy, [N_g, 512]).
    #[arg(long)]
    pub gen_clip: Option<PathBuf>,
    /// Dataset zip (images): needs the Inception and StyleGAN2 ports, not yet in this build.
    #[arg(long)]
    pub zip: Option<PathBuf>,
    /// Generator network: needs the StyleGAN2 port, not yet in this build.
    #[arg(long)]
    pub network: Option<PathBuf>,
    /// Resampled feature space.
    #[arg(long, value_enum, default_value = "pre_logits")]
    pub feature_mode: ModeArg,
    /// N of top_n / middle_n.
    #[arg(long)]
    pub num_dims: Option<usize>,
    /// Number of optimisation steps (the paper: 100000).
    #[arg(long, default_value_t = 100_000)]
    pub iterations: u64,
    /// Evaluate (and checkpoint) at the first step and every this many steps.
    #[arg(long, default_value_t = 500)]
    pub eval_every: u64,
    /// Seed of the evaluation draws and the random baseline.
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// Learning rate (the paper: 10 with plain SGD).
    #[arg(long, default_value_t = 10.0)]
    pub lr: f64,
    /// Optimiser.
    #[arg(long, value_enum, default_value = "sgd")]
    pub optimizer: OptimizerArg,
    /// Resamples per metric and evaluation; the minimum (as the paper) and the mean are logged.
    #[arg(long, default_value_t = 3)]
    pub eval_repeats: usize,
    /// KID subsets per estimate.
    #[arg(long, default_value_t = 100)]
    pub kid_subsets: usize,
    /// Largest KID subset size.
    #[arg(long, default_value_t = 1000)]
    pub kid_subset_size: usize,
    /// Skip the Top-1 class plots.
    #[arg(long)]
    pub no_plots: bool,
    /// Output folder (created; must be empty or absent).
    #[arg(long, required_unless_present = "resume")]
    pub outdir: Option<PathBuf>,
    /// Continue the run in this folder from its last checkpoint (its settings.json; only
    /// --iterations may change).
    #[arg(long, conflicts_with_all = ["real_features", "gen_features", "outdir"])]
    pub resume: Option<PathBuf>,
}

fn absolute(p: &Path) -> anyhow::Result<PathBuf> {
    std::fs::canonicalize(p).with_context(|| format!("{}", p.display()))
}

fn opt_absolute(p: &Option<PathBuf>) -> anyhow::Result<Option<PathBuf>> {
    p.as_deref().map(absolute).transpose()
}

fn new_settings(args: &ResampleArgs) -> anyhow::Result<Settings> {
    let (Some(real), Some(gen_)) = (&args.real_features, &args.gen_features) else {
        bail!("--real-features and --gen-features are required");
    };
    let inputs = Inputs {
        real_features: absolute(real)?,
        gen_features: absolute(gen_)?,
        real_logits: opt_absolute(&args.real_logits)?,
        gen_logits: opt_absolute(&args.gen_logits)?,
        real_clip: opt_absolute(&args.real_clip)?,
        gen_clip: opt_absolute(&args.gen_clip)?,
    };
    Ok(Settings {
        feature_mode: match args.feature_mode {
            ModeArg::PreLogits => FeatureMode::PreLogits,
            ModeArg::Logits => FeatureMode::Logits,
            ModeArg::TopN => FeatureMode::TopN,
            ModeArg::MiddleN => FeatureMode::MiddleN,
        },
        num_dims: args.num_dims,
        iterations: args.iterations,
        eval_every: args.eval_every,
        seed: args.seed,
        lr: args.lr,
        optimizer: match args.optimizer {
            OptimizerArg::Sgd => OptimizerKind::Sgd,
            OptimizerArg::Adam => OptimizerKind::Adam,
        },
        eval_repeats: args.eval_repeats,
        kid: KidSettings {
            subsets: args.kid_subsets,
            max_subset_size: args.kid_subset_size,
        },
        plots: !args.no_plots,
        ..Settings::paper(inputs)
    })
}

/// Runs `fidlab resample`.
pub fn run(args: ResampleArgs) -> anyhow::Result<()> {
    if args.zip.is_some() || args.network.is_some() {
        bail!(
            "--zip/--network need the Inception and StyleGAN2 ports, which this build does not have yet; \
             extract features first and pass --real-features/--gen-features (and optionally \
             --real-logits/--gen-logits, --real-clip/--gen-clip)"
        );
    }
    let (settings, outdir, resume) = match &args.resume {
        Some(dir) => {
            let path = dir.join(SETTINGS_FILE);
            let text = std::fs::read_to_string(&path)
                .with_context(|| format!("{}: not a resampling run folder", dir.display()))?;
            let mut settings: Settings = serde_json::from_str(&text)
                .with_context(|| format!("{}: not a resampling settings file", path.display()))?;
            settings.iterations = args.iterations;
            let state = outputs::read_checkpoint(dir)?;
            outputs::truncate_stats(dir, state.iteration)?;
            (settings, dir.clone(), Some(state))
        }
        None => {
            let settings = new_settings(&args)?;
            let outdir = args.outdir.clone().expect("required by clap");
            if outdir.exists() {
                let mut entries =
                    std::fs::read_dir(&outdir).with_context(|| format!("{}", outdir.display()))?;
                if entries.next().is_some() {
                    bail!(
                        "{}: output folder is not empty (use --resume to continue a run)",
                        outdir.display()
                    );
                }
            }
            std::fs::create_dir_all(&outdir).with_context(|| format!("{}", outdir.display()))?;
            (settings, outdir, None)
        }
    };
    let data = Data::load(&settings.inputs)?;
    outputs::write_file(
        &outdir,
        SETTINGS_FILE,
        &serde_json::to_vec_pretty(&settings)?,
    )?;
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    let mut log = std::io::stderr();
    let state = resampling::run(
        &settings,
        &data,
        RunIo {
            outdir: &outdir,
            out: &mut out,
            log: &mut log,
        },
        resume,
    )?;
    eprintln!(
        "Done: {} steps, best FID {:.4}; outputs in {}",
        state.iteration,
        state.best_fid,
        outdir.display()
    );
    Ok(())
}
