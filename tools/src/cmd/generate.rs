//! `fidlab generate`: images from a StyleGAN2(-ADA) generator for given seeds, as
//! stylegan2-ada-pytorch's `generate.py --seeds` makes them (latent `RandomState(seed).randn(1, z_dim)`,
//! pixels `clamp(x·127.5 + 128, 0, 255)` truncated).
//!
//! Outputs in `--outdir`: `seed0000.png`, … (one per seed), optionally `grid.png` and
//! `latents.npy` (float64 `[n, z_dim]`, rows in the order of `--seeds`), and `generate.json` with
//! the settings. Every file is written to a temporary file in the same directory and renamed into
//! place. Existing files are never replaced unless `--overwrite` is given: the run checks all
//! target names before generating anything and stops if one exists.

use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::{Context, bail, ensure};
use burn::tensor::{Tensor, TensorData};
use burn_models::device::parse_device;
use burn_models::stylegan2::{Generator, NoiseMode, SampleOptions, to_uint8};
use indicatif::{ProgressBar, ProgressStyle};

/// Arguments of `fidlab generate`.
#[derive(Debug, clap::Args)]
pub struct GenerateArgs {
    /// Generator: `G.safetensors` with its `init_kwargs` in `G.json` (either path, or the stem).
    #[arg(long)]
    pub network: PathBuf,
    /// Seeds: comma-separated numbers and inclusive ranges, e.g. `0-99` or `3,1000,5-7`.
    #[arg(long, value_parser = parse_seeds)]
    pub seeds: Seeds,
    /// Output directory (created if missing).
    #[arg(long)]
    pub outdir: PathBuf,
    /// Truncation ψ (1 = none).
    #[arg(long, default_value_t = 1.0)]
    pub trunc: f64,
    /// Truncate only the first N ws (default: all).
    #[arg(long)]
    pub trunc_cutoff: Option<usize>,
    /// Noise inputs: const (deterministic), random, none.
    #[arg(long, default_value = "const", value_parser = parse_noise_mode)]
    pub noise_mode: NoiseMode,
    /// Class index for conditional networks (one-hot label); default: an all-zero label, as the
    /// FID paper's code uses.
    #[arg(long)]
    pub class: Option<usize>,
    /// Also write `grid.png`: the first R·C images in R rows and C columns (`RxC`).
    #[arg(long, value_parser = parse_grid)]
    pub grid: Option<(usize, usize)>,
    /// Also write `latents.npy` (float64 `[n, z_dim]`, rows in seed order).
    #[arg(long)]
    pub save_latents: bool,
    /// Replace existing output files.
    #[arg(long)]
    pub overwrite: bool,
    /// Images per forward pass.
    #[arg(long, default_value_t = 8)]
    pub batch: usize,
    /// Device: cpu (default), wgpu, wgpu:cpu, cuda, … (as built).
    #[arg(long, default_value = "cpu")]
    pub device: String,
}

/// A list of seeds in the order given.
#[derive(Debug, Clone)]
pub struct Seeds(pub Vec<u32>);

pub(crate) fn parse_seeds(s: &str) -> Result<Seeds, String> {
    let mut seeds = Vec::new();
    for part in s.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        let num = |t: &str| {
            t.trim()
                .parse::<u32>()
                .map_err(|_| format!("`{t}` is not a seed in 0..=4294967295"))
        };
        match part.split_once('-') {
            Some((a, b)) => {
                let (a, b) = (num(a)?, num(b)?);
                if a > b {
                    return Err(format!("empty range `{part}`"));
                }
                seeds.extend(a..=b);
            }
            None => seeds.push(num(part)?),
        }
    }
    if seeds.is_empty() {
        return Err("no seeds given".into());
    }
    Ok(Seeds(seeds))
}

fn parse_noise_mode(s: &str) -> Result<NoiseMode, String> {
    s.parse()
}

fn parse_grid(s: &str) -> Result<(usize, usize), String> {
    let err = || format!("grid `{s}` is not ROWSxCOLS, e.g. 4x8");
    let (r, c) = s.split_once(['x', 'X']).ok_or_else(err)?;
    let (r, c) = (r.parse().map_err(|_| err())?, c.parse().map_err(|_| err())?);
    if r == 0 || c == 0 {
        return Err(err());
    }
    Ok((r, c))
}

/// Runs `fidlab generate`.
pub fn run(args: GenerateArgs) -> anyhow::Result<()> {
    let device = parse_device(&args.device)?;
    let generator = Generator::load(&args.network, &device)
        .with_context(|| format!("loading generator {}", args.network.display()))?;
    let seeds = &args.seeds.0;
    if let Some(class) = args.class {
        ensure!(
            class < generator.c_dim,
            "--class {class} but the network has c_dim = {}",
            generator.c_dim
        );
    } else if generator.c_dim > 0 {
        eprintln!("warning: conditional network without --class: using all-zero labels");
    }
    if let Some((r, c)) = args.grid {
        ensure!(
            r * c <= seeds.len(),
            "--grid {r}x{c} needs {} seeds, got {}",
            r * c,
            seeds.len()
        );
    }
    ensure!(
        matches!(generator.img_channels, 1 | 3 | 4),
        "cannot write {}-channel images as PNG",
        generator.img_channels
    );

    std::fs::create_dir_all(&args.outdir)
        .with_context(|| format!("creating {}", args.outdir.display()))?;
    let mut targets: Vec<PathBuf> = seeds
        .iter()
        .map(|s| args.outdir.join(png_name(*s)))
        .collect();
    targets.extend(args.grid.map(|_| args.outdir.join("grid.png")));
    if args.save_latents {
        targets.push(args.outdir.join("latents.npy"));
    }
    targets.push(args.outdir.join("generate.json"));
    if let Some(existing) = targets.iter().find(|p| p.exists())
        && !args.overwrite
    {
        bail!(
            "{} exists; pass --overwrite to replace outputs",
            existing.display()
        );
    }

    let options = SampleOptions {
        truncation_psi: args.trunc,
        truncation_cutoff: args.trunc_cutoff,
        noise_mode: args.noise_mode,
    };
    let res = generator.img_resolution;
    let channels = generator.img_channels;
    let z_dim = generator.z_dim;
    let mut latents = Vec::with_capacity(seeds.len() * z_dim);
    let mut grid_images: Vec<Vec<u8>> = Vec::new();
    let grid_len = args.grid.map_or(0, |(r, c)| r * c);
    let progress = ProgressBar::new(seeds.len() as u64).with_style(
        ProgressStyle::with_template("{bar:40} {pos}/{len} images {elapsed} (eta {eta})")
            .expect("valid template"),
    );
    for chunk in seeds.chunks(args.batch.max(1)) {
        let z = burn_models::numpy_rng::randn_per_seed(chunk, z_dim);
        let img = match args.class {
            Some(class) => {
                let n = chunk.len();
                let z32: Vec<f32> = z.iter().map(|&v| v as f32).collect();
                let zt = Tensor::<2>::from_data(TensorData::new(z32, [n, z_dim]), &device);
                let mut c = vec![0f32; n * generator.c_dim];
                (0..n).for_each(|i| c[i * generator.c_dim + class] = 1.0);
                let ct = Tensor::<2>::from_data(TensorData::new(c, [n, generator.c_dim]), &device);
                generator.forward(zt, Some(ct), &options)
            }
            None => generator.generate(&z, &options, &device),
        };
        let pixels: Vec<u8> = to_uint8(img)
            .try_into_vec()
            .map_err(|e| anyhow::anyhow!("reading pixels: {e:?}"))?;
        for (i, &seed) in chunk.iter().enumerate() {
            let chw = &pixels[i * channels * res * res..(i + 1) * channels * res * res];
            let hwc = chw_to_hwc(chw, channels, res, res);
            write_png(
                &args.outdir.join(png_name(seed)),
                &hwc,
                res,
                res,
                channels,
                args.overwrite,
            )?;
            if grid_images.len() < grid_len {
                grid_images.push(hwc);
            }
            progress.inc(1);
        }
        latents.extend(z);
    }
    progress.finish_and_clear();

    if let Some((rows, cols)) = args.grid {
        let grid = tile(&grid_images, rows, cols, res, channels);
        write_png(
            &args.outdir.join("grid.png"),
            &grid,
            cols * res,
            rows * res,
            channels,
            args.overwrite,
        )?;
    }
    if args.save_latents {
        let path = args.outdir.join("latents.npy");
        let mut buf = Vec::new();
        {
            use npyz::WriterBuilder;
            let mut w = npyz::WriteOptions::new()
                .default_dtype()
                .shape(&[seeds.len() as u64, z_dim as u64])
                .writer(&mut buf)
                .begin_nd()?;
            w.extend(latents.iter().copied())?;
            w.finish()?;
        }
        write_atomic(&path, &buf, args.overwrite)?;
    }
    let settings = serde_json::json!({
        "network": args.network,
        "seeds": seeds,
        "truncation_psi": args.trunc,
        "truncation_cutoff": args.trunc_cutoff,
        "noise_mode": format!("{:?}", args.noise_mode).to_lowercase(),
        "class": args.class,
        "latents": "numpy RandomState(seed).randn(1, z_dim) per seed",
        "pixels": "clamp(x * 127.5 + 128, 0, 255) truncated to uint8",
        "device": args.device,
    });
    let text = serde_json::to_string_pretty(&settings)? + "\n";
    write_atomic(
        &args.outdir.join("generate.json"),
        text.as_bytes(),
        args.overwrite,
    )?;
    eprintln!("wrote {} images to {}", seeds.len(), args.outdir.display());
    Ok(())
}

/// `seed0042.png` (at least four digits, as `generate.py`).
fn png_name(seed: u32) -> String {
    format!("seed{seed:04}.png")
}

fn chw_to_hwc(chw: &[u8], c: usize, h: usize, w: usize) -> Vec<u8> {
    let mut out = vec![0u8; chw.len()];
    for ch in 0..c {
        for p in 0..h * w {
            out[p * c + ch] = chw[ch * h * w + p];
        }
    }
    out
}

/// Lays out `rows · cols` HWC images of side `res` into one HWC image.
fn tile(images: &[Vec<u8>], rows: usize, cols: usize, res: usize, c: usize) -> Vec<u8> {
    let width = cols * res;
    let mut out = vec![0u8; rows * res * width * c];
    for (i, img) in images.iter().enumerate().take(rows * cols) {
        let (gr, gc) = (i / cols, i % cols);
        for y in 0..res {
            let src = &img[y * res * c..(y + 1) * res * c];
            let start = ((gr * res + y) * width + gc * res) * c;
            out[start..start + res * c].copy_from_slice(src);
        }
    }
    out
}

fn write_png(
    path: &Path,
    hwc: &[u8],
    w: usize,
    h: usize,
    c: usize,
    overwrite: bool,
) -> anyhow::Result<()> {
    use image::ImageEncoder;
    let color = match c {
        1 => image::ExtendedColorType::L8,
        3 => image::ExtendedColorType::Rgb8,
        _ => image::ExtendedColorType::Rgba8,
    };
    let mut buf = Vec::new();
    image::codecs::png::PngEncoder::new(&mut buf)
        .write_image(hwc, w as u32, h as u32, color)
        .with_context(|| format!("encoding {}", path.display()))?;
    write_atomic(path, &buf, overwrite)
}

/// Writes `bytes` to a temporary file beside `path`, then renames it into place; without
/// `overwrite` an existing `path` is left untouched and reported.
fn write_atomic(path: &Path, bytes: &[u8], overwrite: bool) -> anyhow::Result<()> {
    let dir = path.parent().unwrap_or(Path::new("."));
    let mut tmp = tempfile::NamedTempFile::new_in(dir)
        .with_context(|| format!("creating a temporary file in {}", dir.display()))?;
    tmp.write_all(bytes)
        .with_context(|| format!("writing {}", path.display()))?;
    if overwrite {
        tmp.persist(path)
            .with_context(|| format!("renaming into {}", path.display()))?;
    } else {
        tmp.persist_noclobber(path).with_context(|| {
            format!("{} exists; pass --overwrite to replace it", path.display())
        })?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seeds_parse_like_generate_py() {
        assert_eq!(parse_seeds("0-3").unwrap().0, vec![0, 1, 2, 3]);
        assert_eq!(parse_seeds("3,1000").unwrap().0, vec![3, 1000]);
        assert_eq!(parse_seeds("5-6, 1").unwrap().0, vec![5, 6, 1]);
        assert!(parse_seeds("4-2").is_err());
        assert!(parse_seeds("x").is_err());
        assert!(parse_seeds("").is_err());
        assert!(parse_seeds("4294967296").is_err());
    }

    #[test]
    fn grid_and_names() {
        assert_eq!(parse_grid("2x3").unwrap(), (2, 3));
        assert!(parse_grid("0x3").is_err());
        assert_eq!(png_name(7), "seed0007.png");
        assert_eq!(png_name(123456), "seed123456.png");
        let img = |v: u8| vec![v; 2 * 2];
        let g = tile(&[img(1), img(2)], 1, 2, 2, 1);
        assert_eq!(g, vec![1, 1, 2, 2, 1, 1, 2, 2]);
        assert_eq!(
            chw_to_hwc(&[1, 2, 3, 4, 5, 6], 3, 1, 2),
            vec![1, 3, 5, 2, 4, 6]
        );
    }
}
