//! Feature extraction for `stats` and `fid`: images (folder, zip or generator) → feature network →
//! streaming statistics, with a progress bar on stderr.

use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use burn::tensor::{Device, Tensor, TensorData};
use burn_models::clip::{ClipPreprocess, ClipVision};
use burn_models::inception::{Inception, Preprocess};
use burn_models::stylegan2::{Generator, ImageSource, LatentSource, SampleOptions};
use fid_core::dataset::{Dataset, DatasetOptions, SizePolicy};
use fid_core::{FeatureMatrix, Moments, Provenance};
use indicatif::{ProgressBar, ProgressStyle};

/// Which features to compute.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum FeatureKind {
    /// Inception-v3 pool3, 2048-d (standard FID).
    Pool3,
    /// Inception-v3 logits, 1008-d (pre-softmax).
    Logits,
    /// CLIP ViT-B/32 image embedding, 512-d (CLIP-FID).
    Clip,
}

/// Options shared by every command that turns images into features.
#[derive(Debug, Clone, clap::Args)]
pub struct NetworkArgs {
    /// Feature space.
    #[arg(long, value_enum, default_value_t = FeatureKind::Pool3)]
    pub features: FeatureKind,
    /// Inception weights (.pth, .pt, .pkl or .safetensors); default: pytorch-fid's file, downloaded into the cache
    /// ($FIDLAB_CACHE, else the user cache dir) on first use and SHA-256 checked.
    #[arg(long, value_name = "FILE")]
    pub inception_weights: Option<PathBuf>,
    /// Inception input path: `tf` (uint8, TF1 bilinear resize; the paper's and NVIDIA's) or `pytorch-fid`.
    #[arg(long, default_value = "tf")]
    pub preprocess: Preprocess,
    /// CLIP weights (OpenAI/open_clip .pt/.pth, Hugging Face safetensors, or the paper's .pkl); default: OpenAI's
    /// ViT-B-32.pt from the cache.
    #[arg(long, value_name = "FILE")]
    pub clip_weights: Option<PathBuf>,
    /// CLIP resize: `seed` (torch bicubic, no antialias; the paper's) or `clean` (Pillow bicubic; clean-fid's).
    #[arg(long, default_value = "seed")]
    pub clip_preprocess: ClipPreprocess,
    /// L2-normalise CLIP embeddings.
    #[arg(long)]
    pub clip_normalize: bool,
    /// Images per forward pass.
    #[arg(long, default_value_t = 32)]
    pub batch: usize,
    /// Use only the first N images (in Python's sorted name order, as the paper's code does).
    #[arg(long, value_name = "N")]
    pub max_images: Option<usize>,
    /// Skip corrupt images (reported on stderr) instead of stopping.
    #[arg(long)]
    pub skip_bad: bool,
    /// Device: cpu (default), wgpu, wgpu:cpu, wgpu:N, cuda, cuda:N (as built).
    #[arg(long, default_value = "cpu")]
    pub device: String,
}

/// A loaded feature network.
pub enum Extractor {
    /// Inception-v3 (pool3 or logits).
    Inception {
        /// The network.
        net: Box<Inception>,
        /// Its input path.
        preprocess: Preprocess,
        /// Logits instead of pool3.
        logits: bool,
    },
    /// CLIP ViT-B/32.
    Clip {
        /// The network.
        net: Box<ClipVision>,
        /// SHA-256 of its weights file.
        sha256: String,
        /// Its resize.
        preprocess: ClipPreprocess,
        /// L2-normalise.
        normalize: bool,
    },
}

impl Extractor {
    /// Loads the network the options ask for.
    pub fn load(args: &NetworkArgs, device: &Device) -> anyhow::Result<Self> {
        Ok(match args.features {
            FeatureKind::Pool3 | FeatureKind::Logits => Self::Inception {
                net: Box::new(
                    Inception::load(args.inception_weights.clone(), device)
                        .context("loading the Inception weights")?,
                ),
                preprocess: args.preprocess,
                logits: args.features == FeatureKind::Logits,
            },
            FeatureKind::Clip => {
                let (net, sha256) = ClipVision::load(args.clip_weights.as_deref(), device)
                    .context("loading the CLIP weights")?;
                Self::Clip {
                    net: Box::new(net),
                    sha256,
                    preprocess: args.clip_preprocess,
                    normalize: args.clip_normalize,
                }
            }
        })
    }

    /// Feature dimension.
    pub fn dim(&self) -> usize {
        match self {
            Self::Inception { logits: true, .. } => 1008,
            Self::Inception { .. } => 2048,
            Self::Clip { .. } => 512,
        }
    }

    /// Features of a uint8 `[B, 3, H, W]` batch, row-major f32 `[B, D]`.
    pub fn features(&self, images: TensorData, device: &Device) -> anyhow::Result<Vec<f32>> {
        let out = match self {
            Self::Inception {
                net,
                preprocess,
                logits,
            } => {
                let o = net.forward_data(images, *preprocess)?;
                if *logits { o.logits } else { o.pool3 }
            }
            Self::Clip {
                net,
                preprocess,
                normalize,
                ..
            } => {
                let x = Tensor::<4>::from_data(images.convert::<f32>(), device);
                if *normalize {
                    net.forward_u8_normalized(x, *preprocess)
                } else {
                    net.forward_u8(x, *preprocess)
                }
            }
        };
        out.into_data()
            .convert::<f32>()
            .try_into_vec::<f32>()
            .map_err(|e| anyhow::anyhow!("reading features back: {e:?}"))
    }

    /// Provenance of statistics computed with this network.
    pub fn provenance(&self) -> Provenance {
        match self {
            Self::Inception {
                net,
                preprocess,
                logits,
            } => {
                let mut p = Provenance::new(
                    "inception-v3-tf-2015-12-05",
                    if *logits { "logits" } else { "pool3" },
                );
                p.weights_sha256 = net.provenance().map(|w| w.tensors_sha256.clone());
                p.preprocess = Some(preprocess.name().to_string());
                p
            }
            Self::Clip {
                sha256,
                preprocess,
                normalize,
                ..
            } => {
                let mut p = Provenance::new(
                    "clip-vit-b-32",
                    if *normalize {
                        "embedding-l2"
                    } else {
                        "embedding"
                    },
                );
                p.weights_sha256 = Some(sha256.clone());
                p.preprocess = Some(preprocess.to_string());
                p
            }
        }
    }
}

/// Features of a whole source, accumulated into moments (and kept, if asked for).
pub struct Extracted {
    /// Exact sums.
    pub moments: Moments,
    /// The `[N, D]` features in source order, when requested.
    pub features: Option<FeatureMatrix>,
    /// Provenance (count filled in).
    pub provenance: Provenance,
}

fn progress(len: usize, what: &str) -> ProgressBar {
    let bar = ProgressBar::new(len as u64);
    bar.set_style(
        ProgressStyle::with_template(
            "{msg} {wide_bar} {pos}/{len} images [{elapsed_precise}<{eta_precise}, {per_sec}]",
        )
        .expect("valid template"),
    );
    bar.set_message(what.to_string());
    bar
}

fn accumulate(
    extractor: &Extractor,
    batches: impl Iterator<Item = anyhow::Result<TensorData>>,
    len: usize,
    label: &str,
    keep: bool,
    device: &Device,
) -> anyhow::Result<(Moments, Option<FeatureMatrix>)> {
    let d = extractor.dim();
    let mut moments = Moments::new(d);
    let mut kept = Vec::new();
    let bar = progress(len, label);
    for batch in batches {
        let batch = batch?;
        let n = batch.shape()[0];
        let feats = extractor.features(batch, device)?;
        if let Some(i) = feats.iter().position(|x| !x.is_finite()) {
            bail!(
                "the network produced a non-finite feature (image {} of the batch)",
                i / d
            );
        }
        moments.push_rows_f32(&feats);
        if keep {
            kept.extend_from_slice(&feats);
        }
        bar.inc(n as u64);
    }
    bar.finish_and_clear();
    let rows = moments.count() as usize;
    let features = keep
        .then(|| FeatureMatrix::from_f32(rows, d, kept))
        .transpose()?;
    Ok((moments, features))
}

/// Features of a folder or zip of images.
pub fn from_dataset(
    path: &Path,
    args: &NetworkArgs,
    extractor: &Extractor,
    keep: bool,
    device: &Device,
) -> anyhow::Result<Extracted> {
    if args.batch == 0 {
        bail!("--batch must be at least 1");
    }
    let options = DatasetOptions {
        max_images: args.max_images,
        skip_bad: args.skip_bad,
        // Both networks resize, so images of different sizes are fine.
        sizes: SizePolicy::Mixed,
        ..DatasetOptions::default()
    };
    let dataset = Dataset::open(path, options)?;
    if let Some(n) = args.max_images
        && dataset.available() < n
    {
        eprintln!(
            "warning: {} has {} images, fewer than --max-images {n}",
            path.display(),
            dataset.available()
        );
    }
    let mut batches = dataset.batches(args.batch);
    let (moments, features) = accumulate(
        extractor,
        (&mut batches).map(|b| b.map(|b| b.into_tensor_data()).map_err(anyhow::Error::from)),
        dataset.len(),
        &path.display().to_string(),
        keep,
        device,
    )?;
    for s in batches.skipped() {
        eprintln!(
            "warning: skipped image {} ({}): {}",
            s.index, s.name, s.error
        );
    }
    if !batches.skipped().is_empty() {
        eprintln!(
            "warning: {} corrupt image(s) skipped",
            batches.skipped().len()
        );
    }
    let mut provenance = extractor.provenance();
    provenance.count = moments.count();
    provenance.source.push(path.display().to_string());
    Ok(Extracted {
        moments,
        features,
        provenance,
    })
}

/// Features of `num` images of a StyleGAN2 generator from the latent stream
/// `RandomState(seed).randn(num, z_dim)`, ψ = 1, constant noise (the paper's statistics set).
pub fn from_generator(
    network: &Path,
    num: usize,
    seed: u32,
    args: &NetworkArgs,
    extractor: &Extractor,
    keep: bool,
    device: &Device,
) -> anyhow::Result<Extracted> {
    if args.batch == 0 || num < 2 {
        bail!("--num must be at least 2 and --batch at least 1");
    }
    let generator = Generator::load(network, device)
        .with_context(|| format!("loading generator {}", network.display()))?;
    let source = ImageSource::new(
        &generator,
        &LatentSource::Stream { seed, num },
        args.batch,
        SampleOptions::default(),
        device,
    );
    let (moments, features) = accumulate(
        extractor,
        source.map(Ok),
        num,
        &network.display().to_string(),
        keep,
        device,
    )?;
    let mut provenance = extractor.provenance();
    provenance.count = moments.count();
    provenance.source.push(format!(
        "generator {} (latents RandomState({seed}).randn({num}, z_dim), psi 1, noise const)",
        network.display()
    ));
    Ok(Extracted {
        moments,
        features,
        provenance,
    })
}

/// What `fidlab resample --zip/--network` reweights and reports on, for one image set: Inception pool3 and logits
/// (one forward pass gives both) and, optionally, CLIP embeddings, each `[N, D]` f32 in source order.
pub struct ResamplingFeatures {
    /// `[N, 2048]` pool3.
    pub pool3: FeatureMatrix,
    /// `[N, 1008]` logits.
    pub logits: FeatureMatrix,
    /// `[N, 512]` CLIP embeddings (not L2-normalised).
    pub clip: Option<FeatureMatrix>,
}

/// [`ResamplingFeatures`] of uint8 `[B, 3, H, W]` batches (`len` images in all), with a progress bar labelled
/// `label`.
pub fn resampling_features(
    inception: &Inception,
    clip: Option<(&ClipVision, ClipPreprocess)>,
    batches: impl Iterator<Item = anyhow::Result<TensorData>>,
    len: usize,
    label: &str,
    device: &Device,
) -> anyhow::Result<ResamplingFeatures> {
    let (mut pool3, mut logits, mut clip_rows) = (Vec::new(), Vec::new(), Vec::new());
    let read = |t: Tensor<2>| -> anyhow::Result<Vec<f32>> {
        let v = t
            .into_data()
            .convert::<f32>()
            .try_into_vec::<f32>()
            .map_err(|e| anyhow::anyhow!("reading features back: {e:?}"))?;
        if v.iter().any(|x| !x.is_finite()) {
            bail!("the network produced a non-finite feature");
        }
        Ok(v)
    };
    let bar = progress(len, label);
    let mut rows = 0;
    for batch in batches {
        let batch = batch?;
        let n = batch.shape()[0];
        if let Some((net, preprocess)) = clip {
            let x = Tensor::<4>::from_data(batch.clone().convert::<f32>(), device);
            clip_rows.extend(read(net.forward_u8(x, preprocess))?);
        }
        let out = inception.forward_data(batch, Preprocess::Tf)?;
        pool3.extend(read(out.pool3)?);
        logits.extend(read(out.logits)?);
        rows += n;
        bar.inc(n as u64);
    }
    bar.finish_and_clear();
    Ok(ResamplingFeatures {
        pool3: FeatureMatrix::from_f32(rows, 2048, pool3)?,
        logits: FeatureMatrix::from_f32(rows, 1008, logits)?,
        clip: clip
            .map(|_| FeatureMatrix::from_f32(rows, 512, clip_rows))
            .transpose()?,
    })
}

/// [`resampling_features`] of the first `num` images of a folder or zip (Python's sorted name order).
pub fn resampling_features_of_dataset(
    path: &Path,
    num: usize,
    batch: usize,
    inception: &Inception,
    clip: Option<(&ClipVision, ClipPreprocess)>,
    device: &Device,
) -> anyhow::Result<ResamplingFeatures> {
    let options = DatasetOptions {
        max_images: Some(num),
        sizes: SizePolicy::Mixed,
        ..DatasetOptions::default()
    };
    let dataset = Dataset::open(path, options)?;
    if dataset.len() < num {
        eprintln!(
            "warning: {} has {} images, fewer than the {num} asked for",
            path.display(),
            dataset.len()
        );
    }
    let batches = dataset
        .batches(batch.max(1))
        .map(|b| b.map(|b| b.into_tensor_data()).map_err(anyhow::Error::from));
    resampling_features(
        inception,
        clip,
        batches,
        dataset.len(),
        &path.display().to_string(),
        device,
    )
}

/// [`resampling_features`] of `num` images of a generator, latents `RandomState(seed).randn(num, z_dim)`, ψ = 1,
/// constant noise (the paper's generated set).
pub fn resampling_features_of_generator(
    generator: &Generator,
    num: usize,
    seed: u32,
    batch: usize,
    inception: &Inception,
    clip: Option<(&ClipVision, ClipPreprocess)>,
    device: &Device,
) -> anyhow::Result<ResamplingFeatures> {
    let source = ImageSource::new(
        generator,
        &LatentSource::Stream { seed, num },
        batch,
        SampleOptions::default(),
        device,
    );
    resampling_features(
        inception,
        clip,
        source.map(Ok),
        num,
        "generated images",
        device,
    )
}
