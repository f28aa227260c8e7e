//! `fidlab heatmaps`: FID sensitivity heatmaps of any images against any pair of statistics.
//!
//! Each image joins the `N − 1` generated samples of `--gen` as the `N`-th; the map shows where
//! the Fréchet distance to `--ref` reacts to the image's last 8×8 Inception activation
//! (Kynkäänniemi et al., ICLR 2023, Sec. 2). The images are files, or (the paper's mode) the
//! images a StyleGAN2 generator makes for `--seeds`, drawn as `generate.py` draws them.

use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{Context, bail};
use burn::tensor::Device;
use burn_models::device::parse_device;
use burn_models::inception::Inception;
use burn_models::labels::ImagenetLabels;
use burn_models::numpy_rng::RandomState;
use burn_models::stylegan2::{Generator, SampleOptions, to_uint8};
use heatmaps::frechet::FrechetObjective;
use heatmaps::inception::InceptionSplit;
use heatmaps::pipeline::{heatmap, load_rgb};
use heatmaps::render::files::{Overwrite, write_atomic, write_png};
use heatmaps::render::grid::grid;
use heatmaps::render::outputs::{ItemName, SaveOptions, save_heatmap};
use heatmaps::sensitivity::GeneratedStatistics;
use image::RgbImage;
use indicatif::{ProgressBar, ProgressStyle};

use super::common::{load_stats, rgb_images};
use super::generate::{Seeds, parse_seeds};

/// First seed of the paper's default seed list (`--random_seed 100`).
const DEFAULT_FIRST_SEED: u32 = 100;

/// Arguments of `fidlab heatmaps`.
#[derive(Debug, clap::Args)]
pub struct HeatmapsArgs {
    /// Real statistics: a statistics file (.npz, fidlab or pytorch-fid) of Inception pool3 features.
    #[arg(long = "ref", value_name = "REAL.npz")]
    pub reference: PathBuf,
    /// Statistics of the N − 1 generated images each visualised image joins as the N-th: a fidlab
    /// statistics file (it records the sample count; see --gen-count for other files).
    #[arg(long = "gen", value_name = "GEN.npz")]
    pub generated: PathBuf,
    /// Sample count N − 1 behind --gen, for files that do not record it (pytorch-fid's .npz).
    #[arg(long, value_name = "N")]
    pub gen_count: Option<u64>,
    /// Images to visualise (PNG or JPEG, any size; converted to 8-bit RGB).
    #[arg(value_name = "IMAGE", required_unless_present = "network")]
    pub images: Vec<PathBuf>,
    /// Visualise the images of a StyleGAN2 generator (G.safetensors + G.json, or an NVlabs .pkl)
    /// instead of IMAGE files: latent `RandomState(seed).randn(1, z_dim)` per seed, ψ = 1, constant
    /// noise, as `fidlab generate` and the paper. --gen should hold statistics of the same generator
    /// (`fidlab stats --generator G`).
    #[arg(
        long,
        value_name = "G",
        visible_alias = "generator",
        conflicts_with = "images"
    )]
    pub network: Option<PathBuf>,
    /// Seeds to visualise with --network: numbers and inclusive ranges, e.g. `100-139` or `3,7`
    /// [default: 100 up to 100 + rows·cols − 1, the paper's 100-139].
    #[arg(long, value_parser = parse_seeds, requires = "network")]
    pub seeds: Option<Seeds>,
    /// Output folder (created if missing).
    #[arg(long, value_name = "DIR")]
    pub outdir: PathBuf,
    /// Also write each raw 8×8 map as `sensitivity_map_<name>.npy` (float32 [8, 8]).
    #[arg(long)]
    pub save_maps: bool,
    /// Also write the class probabilities (`probs_<name>.npy`, float32 [1008]) and a top-10 bar chart.
    #[arg(long)]
    pub save_classifications: bool,
    /// Paste the overlays into one grid (`sensitivity_grid.png`; with --network the paper's
    /// `sensitivity_grid-seed<first seed>-grid.png`), each labelled with its top-1 class, instead of writing them
    /// one by one.
    #[arg(long)]
    pub grid: bool,
    /// Grid rows.
    #[arg(long, default_value_t = 5, requires = "grid")]
    pub rows: u32,
    /// Grid columns.
    #[arg(long, default_value_t = 8, requires = "grid")]
    pub cols: u32,
    /// Device: cpu, wgpu, wgpu:cpu, wgpu:N, cuda, cuda:N (as this build supports).
    #[arg(long, default_value = "cpu")]
    pub device: String,
    /// Inception weights (.pth, .pt, .pkl or .safetensors); default: pytorch-fid's file from the cache.
    #[arg(long, value_name = "FILE")]
    pub inception_weights: Option<PathBuf>,
    /// Replace existing output files.
    #[arg(long)]
    pub overwrite: bool,
}

/// Where the visualised images come from.
enum Source {
    /// Image files given on the command line.
    Files(Vec<PathBuf>),
    /// The images a generator makes for each seed.
    Generator {
        generator: Box<Generator>,
        seeds: Vec<u32>,
        device: Device,
    },
}

impl Source {
    fn len(&self) -> usize {
        match self {
            Self::Files(paths) => paths.len(),
            Self::Generator { seeds, .. } => seeds.len(),
        }
    }

    /// The `i`-th image and its output name.
    fn get(&self, i: usize) -> anyhow::Result<(ItemName, RgbImage)> {
        match self {
            Self::Files(paths) => {
                let p = &paths[i];
                Ok((ItemName::from_path(p), load_rgb(p)?))
            }
            Self::Generator {
                generator,
                seeds,
                device,
            } => {
                let seed = seeds[i];
                let z = RandomState::new(seed).randn(generator.z_dim);
                let pixels = to_uint8(generator.generate(&z, &SampleOptions::default(), device));
                let image = rgb_images(&pixels)?.pop().expect("one latent, one image");
                Ok((ItemName::Seed(u64::from(seed)), image))
            }
        }
    }

    /// What the `i`-th image is called in the table on stdout.
    fn shown(&self, i: usize) -> String {
        match self {
            Self::Files(paths) => paths[i].display().to_string(),
            Self::Generator { seeds, .. } => seeds[i].to_string(),
        }
    }

    /// The grid's file name: the paper's `sensitivity_grid-seed<first seed>-grid.png` for a generator.
    fn grid_file(&self) -> String {
        match self {
            Self::Files(_) => "sensitivity_grid.png".to_string(),
            Self::Generator { seeds, .. } => format!("sensitivity_grid-seed{}-grid.png", seeds[0]),
        }
    }
}

/// Runs `fidlab heatmaps`.
pub fn run(args: HeatmapsArgs) -> anyhow::Result<()> {
    check_names(&args.images)?;
    let device = parse_device(&args.device)?;
    let source = match &args.network {
        None => Source::Files(args.images.clone()),
        Some(path) => {
            let generator = Generator::load(path, &device)
                .with_context(|| format!("loading generator {}", path.display()))?;
            if generator.c_dim > 0 {
                eprintln!("warning: conditional network: using all-zero labels, as the paper does");
            }
            let seeds = match &args.seeds {
                Some(seeds) => seeds.0.clone(),
                None => {
                    let n = (args.rows * args.cols).max(1);
                    (DEFAULT_FIRST_SEED..DEFAULT_FIRST_SEED + n).collect()
                }
            };
            Source::Generator {
                generator: Box::new(generator),
                seeds,
                device: device.clone(),
            }
        }
    };
    if args.grid {
        let n = args.rows as usize * args.cols as usize;
        if n == 0 || source.len() < n {
            bail!(
                "a {}×{} grid needs {n} images, got {}",
                args.rows,
                args.cols,
                source.len()
            );
        }
    }

    let real = load_stats(&args.reference)?;
    let generated = load_stats(&args.generated)?;
    if let (Some(a), Some(b)) = (&real.provenance, &generated.provenance) {
        let diff = a.incompatibilities(b);
        if !diff.is_empty() {
            eprintln!(
                "warning: --ref and --gen have different provenance ({})",
                diff.join("; ")
            );
        }
    }
    let count = match (args.gen_count, generated.gaussian.count) {
        (Some(n), _) => n,
        (None, 0) => bail!(
            "{} does not record its sample count N − 1; pass --gen-count",
            args.generated.display()
        ),
        (None, n) => n,
    };
    let d = generated.gaussian.dim();
    if real.gaussian.dim() != d {
        bail!(
            "feature dimensions differ: --ref has D = {}, --gen has D = {d}",
            real.gaussian.dim()
        );
    }
    let cov: Vec<f64> = (0..d * d)
        .map(|k| generated.gaussian.cov[(k / d, k % d)])
        .collect();
    let gen_stats = GeneratedStatistics::new(count, &generated.gaussian.mean, &cov, &device)?;
    drop(cov);

    let t0 = Instant::now();
    let objective = FrechetObjective::new(&real.gaussian)?;
    let network = InceptionSplit::new(
        Inception::load(args.inception_weights.clone(), &device)
            .context("loading the Inception weights")?,
    );
    eprintln!(
        "prepared statistics (D = {d}, N − 1 = {count}) and Inception in {:.1} s",
        t0.elapsed().as_secs_f64()
    );

    std::fs::create_dir_all(&args.outdir)
        .with_context(|| format!("creating {}", args.outdir.display()))?;
    let overwrite = if args.overwrite {
        Overwrite::Allow
    } else {
        Overwrite::Never
    };
    let options = SaveOptions {
        pictures: !args.grid,
        maps: args.save_maps,
        classifications: args.save_classifications,
        overwrite,
    };
    write_settings(&args, &source, count, &network, overwrite)?;

    let labels = ImagenetLabels::tf2015();
    let bar = ProgressBar::new(source.len() as u64).with_style(
        ProgressStyle::with_template("{bar:30} {pos}/{len} {msg} [{elapsed_precise}, {per_sec}]")
            .expect("valid template"),
    );
    let mut tiles = Vec::new();
    let mut tile_labels = Vec::new();
    println!("image\tfid_with_image\ttop1_class\ttop1_label\tseconds");
    for i in 0..source.len() {
        let t = Instant::now();
        let (name, image) = source.get(i)?;
        bar.set_message(name.to_string());
        let h = heatmap(&network, &objective, &gen_stats, &image, &device)
            .with_context(|| format!("heatmap of {name}"))?;
        save_heatmap(&args.outdir, &name, &image, &h, labels, options)?;
        let label = h.top1_label(labels).unwrap_or_default();
        let secs = t.elapsed().as_secs_f64();
        let shown = source.shown(i);
        bar.suspend(|| {
            println!(
                "{shown}\t{:.6}\t{}\t{label}\t{secs:.2}",
                h.sensitivity.distance, h.top1
            )
        });
        if args.grid {
            tiles.push(h.overlay);
            tile_labels.push(label);
        }
        bar.inc(1);
    }
    bar.finish_and_clear();
    if args.grid {
        let g = grid(&tiles, Some(tile_labels.as_slice()), args.rows, args.cols)?;
        write_png(&args.outdir.join(source.grid_file()), &g, overwrite)?;
    }
    Ok(())
}

/// Output names come from file stems: two inputs with the same stem would collide.
fn check_names(images: &[PathBuf]) -> anyhow::Result<()> {
    let mut seen = std::collections::HashMap::new();
    for p in images {
        let name = ItemName::from_path(p);
        if let Some(first) = seen.insert(name.overlay_file(), p) {
            bail!(
                "{} and {} would write the same outputs (same file stem)",
                first.display(),
                p.display()
            );
        }
    }
    Ok(())
}

/// Records the run's settings beside its outputs (`heatmaps-settings.json`).
fn write_settings(
    args: &HeatmapsArgs,
    source: &Source,
    count: u64,
    network: &InceptionSplit,
    overwrite: Overwrite,
) -> anyhow::Result<()> {
    let weights = network.inception().provenance().map(|p| {
        serde_json::json!({
            "source": p.source,
            "file_sha256": p.file_sha256,
            "tensors_sha256": p.tensors_sha256,
        })
    });
    let settings = serde_json::json!({
        "command": "heatmaps",
        "fidlab_version": env!("CARGO_PKG_VERSION"),
        "ref": args.reference,
        "gen": args.generated,
        "gen_count": count,
        "images": (!args.images.is_empty()).then_some(&args.images),
        "network": args.network,
        "seeds": match source {
            Source::Generator { seeds, .. } => Some(seeds),
            Source::Files(_) => None,
        },
        "sampling": args.network.as_ref().map(|_| {
            "latent RandomState(seed).randn(1, z_dim), truncation psi 1, noise const, labels zero"
        }),
        "grid": args.grid.then_some([args.rows, args.cols]),
        "device": args.device,
        "inception_weights": weights,
        "layer": "mixed_10",
        "preprocess": "tf",
    });
    let path: &Path = &args.outdir.join("heatmaps-settings.json");
    write_atomic(
        path,
        serde_json::to_string_pretty(&settings)?.as_bytes(),
        overwrite,
    )?;
    Ok(())
}
