//! `fidlab resample`: reweight a generated set to lower FID (the paper's `run_resampling.py`).

use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use burn::tensor::Device;
use burn_models::clip::{ClipPreprocess, ClipVision};
use burn_models::inception::Inception;
use burn_models::numpy_rng::RandomState;
use burn_models::stylegan2::{Generator, SampleOptions, to_uint8};
use fid_core::FeatureMatrix;
use resampling::eval::KidSettings;
use resampling::grids::CandidateGrid;
use resampling::optim::OptimizerKind;
use resampling::outputs::{self, SETTINGS_FILE};
use resampling::run::RunIo;
use resampling::{Data, FeatureMode, GeneratorInput, Inputs, ResampleError, Settings};

use super::common::rgb_images;
use super::extract;

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
    #[arg(long, required_unless_present_any = ["resume", "zip"])]
    pub real_features: Option<PathBuf>,
    /// Generated Inception pool3 features (.npy, [N_g, 2048]): the candidates to reweight.
    #[arg(long, required_unless_present_any = ["resume", "zip"])]
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
    /// Real images instead of feature files (the paper's `--zip_path`): a .zip or folder, of which the first
    /// --num-real in sorted name order are used. With --network, the features of both sets (Inception pool3 and
    /// logits, CLIP unless --no-clip) are computed first and written to OUTDIR/features/, which --resume reuses.
    #[arg(long, value_name = "ZIP|DIR", requires = "network",
          conflicts_with_all = ["real_features", "gen_features", "real_logits", "gen_logits", "real_clip", "gen_clip"])]
    pub zip: Option<PathBuf>,
    /// Generator of the candidates (G.safetensors + G.json, or an NVlabs .pkl): --num-gen images from latents
    /// `RandomState(--latent-seed).randn(N, z_dim)`, ψ = 1, constant noise.
    #[arg(long, value_name = "G", requires = "zip")]
    pub network: Option<PathBuf>,
    /// Real images to use with --zip (the paper: 50000).
    #[arg(long, default_value_t = 50_000, requires = "zip")]
    pub num_real: usize,
    /// Generated candidates with --network (the paper: 250000).
    #[arg(long, default_value_t = 250_000, requires = "zip")]
    pub num_gen: usize,
    /// Seed of the generator's latent stream (the paper: 0).
    #[arg(long, default_value_t = 0, requires = "zip")]
    pub latent_seed: u32,
    /// With --zip/--network: skip CLIP (no CLIP-FID is reported).
    #[arg(long, requires = "zip")]
    pub no_clip: bool,
    /// With --network: skip the image grids (`rnd_grid-…`, `resampled_grid-…`, `small_weight_grid.png`,
    /// `large_weight_grid.png`; 9×16 generated images each, redrawn whenever the FID improves).
    #[arg(long)]
    pub no_grids: bool,
    /// Inception weights for --zip/--network (.pth, .pt, .pkl or .safetensors); default: the catalogue's file.
    #[arg(long, value_name = "FILE", requires = "zip")]
    pub inception_weights: Option<PathBuf>,
    /// CLIP weights for --zip/--network; default: OpenAI's ViT-B-32.pt from the cache.
    #[arg(long, value_name = "FILE", requires = "zip")]
    pub clip_weights: Option<PathBuf>,
    /// Images per forward pass with --zip/--network (features and grids).
    #[arg(long, default_value_t = 32)]
    pub batch: usize,
    /// Device of the networks with --zip/--network (features and grids): cpu, wgpu, wgpu:cpu, cuda, … (as built).
    #[arg(long, default_value = "cpu")]
    pub device: String,
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
    #[arg(long, conflicts_with_all = ["real_features", "gen_features", "outdir", "zip"])]
    pub resume: Option<PathBuf>,
}

fn absolute(p: &Path) -> anyhow::Result<PathBuf> {
    std::fs::canonicalize(p).with_context(|| format!("{}", p.display()))
}

fn opt_absolute(p: &Option<PathBuf>) -> anyhow::Result<Option<PathBuf>> {
    p.as_deref().map(absolute).transpose()
}

/// The feature files named on the command line.
fn file_inputs(args: &ResampleArgs) -> anyhow::Result<Inputs> {
    let (Some(real), Some(gen_)) = (&args.real_features, &args.gen_features) else {
        bail!("--real-features and --gen-features (or --zip and --network) are required");
    };
    Ok(Inputs {
        real_features: absolute(real)?,
        gen_features: absolute(gen_)?,
        real_logits: opt_absolute(&args.real_logits)?,
        gen_logits: opt_absolute(&args.gen_logits)?,
        real_clip: opt_absolute(&args.real_clip)?,
        gen_clip: opt_absolute(&args.gen_clip)?,
    })
}

/// Features of `--zip` and `--network`, written to `OUTDIR/features/` (the run's inputs from then on).
fn extracted_inputs(
    args: &ResampleArgs,
    zip: &Path,
    outdir: &Path,
    generator: &Generator,
    device: &Device,
) -> anyhow::Result<Inputs> {
    if args.num_real < 2 || args.num_gen < 2 || args.batch == 0 {
        bail!("--num-real and --num-gen must be at least 2 and --batch at least 1");
    }
    let inception = Inception::load(args.inception_weights.clone(), device)
        .context("loading the Inception weights")?;
    let clip = if args.no_clip {
        None
    } else {
        let (net, _sha) = ClipVision::load(args.clip_weights.as_deref(), device)
            .context("loading the CLIP weights (pass --no-clip to skip CLIP-FID)")?;
        Some(net)
    };
    let clip = clip.as_ref().map(|net| (net, ClipPreprocess::Seed));
    // The paper's lines, with its labels (`Gen. features shape` has no colon there either).
    let shapes = |f: &extract::ResamplingFeatures, labels: [&str; 3]| {
        let shape = |m: &FeatureMatrix| format!("({}, {})", m.rows(), m.cols());
        let mode = match args.feature_mode {
            ModeArg::PreLogits => &f.pool3,
            ModeArg::Logits | ModeArg::TopN | ModeArg::MiddleN => &f.logits,
        };
        println!("{:<28} {}", labels[0], shape(mode));
        println!("{:<28} {}", labels[1], shape(&f.pool3));
        if let Some(c) = &f.clip {
            println!("{:<28} {}", labels[2], shape(c));
        }
        println!();
    };
    println!("Reading images and computing features...");
    let real = extract::resampling_features_of_dataset(
        zip,
        args.num_real,
        args.batch,
        &inception,
        clip,
        device,
    )?;
    shapes(
        &real,
        [
            "Real features shape:",
            "Real metrics features shape:",
            "Real CLIP features shape:",
        ],
    );
    println!("Generating images and computing features...");
    let generated = extract::resampling_features_of_generator(
        generator,
        args.num_gen,
        args.latent_seed,
        args.batch,
        &inception,
        clip,
        device,
    )?;
    shapes(
        &generated,
        [
            "Gen. features shape",
            "Gen. metrics features shape:",
            "Gen. CLIP features shape:",
        ],
    );
    let dir = outdir.join("features");
    std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
    let dir = absolute(&dir)?;
    let write = |name: &str, m: &FeatureMatrix| -> anyhow::Result<PathBuf> {
        let path = dir.join(name);
        m.write_npy(&path)?;
        Ok(path)
    };
    let write_opt =
        |name: &str, m: &Option<FeatureMatrix>| m.as_ref().map(|m| write(name, m)).transpose();
    Ok(Inputs {
        real_features: write("real_pool3.npy", &real.pool3)?,
        gen_features: write("gen_pool3.npy", &generated.pool3)?,
        real_logits: Some(write("real_logits.npy", &real.logits)?),
        gen_logits: Some(write("gen_logits.npy", &generated.logits)?),
        real_clip: write_opt("real_clip.npy", &real.clip)?,
        gen_clip: write_opt("gen_clip.npy", &generated.clip)?,
    })
}

fn new_settings(
    args: &ResampleArgs,
    inputs: Inputs,
    generator: Option<GeneratorInput>,
) -> anyhow::Result<Settings> {
    Ok(Settings {
        generator,
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

/// A new run's output folder must be absent or empty.
fn refuse_non_empty(outdir: &Path) -> anyhow::Result<()> {
    if outdir.exists() {
        let mut entries =
            std::fs::read_dir(outdir).with_context(|| format!("{}", outdir.display()))?;
        if entries.next().is_some() {
            bail!(
                "{}: output folder is not empty (use --resume to continue a run)",
                outdir.display()
            );
        }
    }
    Ok(())
}

/// Loads the generator of `--network` (or of the run being resumed).
fn load_generator(network: &Path, device: &Device) -> anyhow::Result<Generator> {
    Generator::load(network, device)
        .with_context(|| format!("loading generator {}", network.display()))
}

/// Runs `fidlab resample`.
pub fn run(args: ResampleArgs) -> anyhow::Result<()> {
    let device = burn_models::device::parse_device(&args.device)?;
    let mut generator = None;
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
            let outdir = args.outdir.clone().expect("required by clap");
            let (inputs, generator_input) = match (&args.zip, &args.network) {
                (Some(zip), Some(network)) => {
                    refuse_non_empty(&outdir)?;
                    let g = generator.insert(load_generator(network, &device)?);
                    let inputs = extracted_inputs(&args, zip, &outdir, g, &device)?;
                    let input = GeneratorInput {
                        network: absolute(network)?,
                        latent_seed: args.latent_seed,
                        grids: !args.no_grids,
                    };
                    (inputs, Some(input))
                }
                _ => {
                    let inputs = file_inputs(&args)?;
                    refuse_non_empty(&outdir)?;
                    (inputs, None)
                }
            };
            let settings = new_settings(&args, inputs, generator_input)?;
            std::fs::create_dir_all(&outdir).with_context(|| format!("{}", outdir.display()))?;
            (settings, outdir, None)
        }
    };
    let data = Data::load(&settings.inputs)?;
    let grid_source = match &settings.generator {
        Some(g) if g.grids && !args.no_grids => {
            let generator = match generator.take() {
                Some(loaded) => loaded,
                None => load_generator(&g.network, &device)?,
            };
            Some(GeneratorGrid {
                generator,
                latent_seed: g.latent_seed,
                candidates: data.gen_pool3.rows(),
                batch: args.batch.max(1),
                device: device.clone(),
            })
        }
        _ => None,
    };
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
            grids: grid_source.as_ref().map(|g| g as &dyn CandidateGrid),
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

/// Renders grids of generated candidates by regenerating them: candidate `i` is the generator's image for row `i` of
/// `RandomState(latent_seed).randn(N_g, z_dim)`.
struct GeneratorGrid {
    generator: Generator,
    latent_seed: u32,
    candidates: usize,
    batch: usize,
    device: Device,
}

impl GeneratorGrid {
    /// The latents of `rows` (any order, repeats allowed), `rows.len() · z_dim` values: one pass over the stream up
    /// to the largest row.
    fn latents(&self, rows: &[usize]) -> Vec<f64> {
        let z_dim = self.generator.z_dim;
        let mut wanted: Vec<usize> = rows.to_vec();
        wanted.sort_unstable();
        wanted.dedup();
        let mut found = std::collections::HashMap::with_capacity(wanted.len());
        let mut rs = RandomState::new(self.latent_seed);
        const CHUNK: usize = 4096;
        let mut start = 0usize;
        let mut pending = wanted.iter().copied().peekable();
        while pending.peek().is_some() {
            let block = rs.randn(CHUNK * z_dim);
            while let Some(r) = pending.next_if(|&r| r < start + CHUNK) {
                let k = r - start;
                found.insert(r, block[k * z_dim..(k + 1) * z_dim].to_vec());
            }
            start += CHUNK;
        }
        rows.iter().flat_map(|r| found[r].iter().copied()).collect()
    }
}

impl CandidateGrid for GeneratorGrid {
    fn write_grid(
        &self,
        candidates: &[usize],
        rows: usize,
        cols: usize,
        path: &Path,
    ) -> Result<(), ResampleError> {
        let bad = |m: String| ResampleError::Invalid(format!("{}: {m}", path.display()));
        if let Some(&i) = candidates.iter().find(|&&i| i >= self.candidates) {
            return Err(bad(format!(
                "candidate {i} is beyond the {} generated images",
                self.candidates
            )));
        }
        let res = self.generator.img_resolution as u32;
        let shown = &candidates[..candidates.len().min(rows * cols)];
        let z = self.latents(shown);
        let z_dim = self.generator.z_dim;
        let mut grid = image::RgbImage::new(cols as u32 * res, rows as u32 * res);
        for (b, part) in z.chunks(self.batch * z_dim).enumerate() {
            let img = self
                .generator
                .generate(part, &SampleOptions::default(), &self.device);
            let images = rgb_images(&to_uint8(img)).map_err(|e| bad(format!("{e:#}")))?;
            for (k, one) in images.iter().enumerate() {
                let slot = b * self.batch + k;
                let (x, y) = ((slot % cols) as u32 * res, (slot / cols) as u32 * res);
                image::imageops::replace(&mut grid, one, i64::from(x), i64::from(y));
            }
        }
        let mut png = Vec::new();
        grid.write_to(&mut std::io::Cursor::new(&mut png), image::ImageFormat::Png)
            .map_err(|e| bad(format!("encoding PNG: {e}")))?;
        fid_core::atomic::write(path, &png)?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grid_latents_are_rows_of_the_stream() {
        let config = burn_models::stylegan2::GeneratorConfig::paper256();
        let device = Device::flex();
        let z_dim = config.z_dim;
        let grid = GeneratorGrid {
            generator: config.init_seeded(0, &device),
            latent_seed: 7,
            candidates: 10_000,
            batch: 4,
            device,
        };
        let rows = [9000, 3, 3, 4500, 0, 4095, 4096];
        let z = grid.latents(&rows);
        let stream = RandomState::new(7).randn(9001 * z_dim);
        for (k, &r) in rows.iter().enumerate() {
            assert_eq!(
                z[k * z_dim..(k + 1) * z_dim],
                stream[r * z_dim..(r + 1) * z_dim],
                "row {r}"
            );
        }
    }
}
