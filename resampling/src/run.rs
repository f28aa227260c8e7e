//! The resampling loop (the paper's `resample_fid`, SEED-SPEC §5.4–5.5) on feature files.
//!
//! Per step: the loss `FD(real, weighted generated)` and its exact per-weight gradient
//! ([`crate::weighted::loss_and_grad`], host f64, no autodiff graph over `N × D`), then one
//! optimiser update. At the first step and every `eval_every` steps: 3 weighted resamples per
//! metric (pool3 FID, CLIP-FID when CLIP features are given, KID), the paper's stdout lines, one
//! JSON line, the best weights, the class plot and a checkpoint.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Instant;

use fid_core::{FeatureMatrix, FrechetReference, Moments};
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};

use crate::binarize::{Selection, binarize};
use crate::error::ResampleError;
use crate::eval::{KidSettings, MetricSpace, evaluate, mean, min, sample_with_weights};
use crate::grids::{
    CandidateGrid, GRID_COLS, GRID_LEN, GRID_ROWS, LARGE_WEIGHT_GRID, RESAMPLED_GRID_PREFIX,
    SMALL_WEIGHT_GRID, extreme_weight_candidates, grid_rng, resampled_candidates,
};
use crate::optim::{Optimizer, OptimizerKind};
use crate::outputs::{self, RunState};
use crate::weighted::loss_and_grad;

/// Which features are resampled (the paper's `--feature_mode`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FeatureMode {
    /// Inception pool3 (2048-d).
    PreLogits,
    /// Inception logits (1008-d).
    Logits,
    /// Indicators of each image's top N classes.
    TopN,
    /// Indicators of N classes centred on rank 504.
    MiddleN,
}

impl FeatureMode {
    /// The paper's name of the mode.
    pub fn name(self) -> &'static str {
        match self {
            Self::PreLogits => "pre_logits",
            Self::Logits => "logits",
            Self::TopN => "top_n",
            Self::MiddleN => "middle_n",
        }
    }
}

/// Feature files of a run (`[N, D]` `.npy`, f32 or f64). Pool3 features are required; logits for
/// the `logits`, `top_n`, `middle_n` modes and the class plots; CLIP features for CLIP-FID.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Inputs {
    /// Real pool3 features `[N_r, 2048]`.
    pub real_features: PathBuf,
    /// Generated pool3 features `[N_g, 2048]`.
    pub gen_features: PathBuf,
    /// Real logits `[N_r, 1008]`.
    pub real_logits: Option<PathBuf>,
    /// Generated logits `[N_g, 1008]`.
    pub gen_logits: Option<PathBuf>,
    /// Real CLIP features `[N_r, 512]`.
    pub real_clip: Option<PathBuf>,
    /// Generated CLIP features `[N_g, 512]`.
    pub gen_clip: Option<PathBuf>,
}

/// Everything that defines a run; written to `settings.json` beside its outputs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Settings {
    /// Feature files.
    pub inputs: Inputs,
    /// Resampled feature space.
    pub feature_mode: FeatureMode,
    /// N of Top-N / Middle-N.
    pub num_dims: Option<usize>,
    /// Steps in total.
    pub iterations: u64,
    /// Evaluate at the first step and every this many steps (the paper: 500).
    pub eval_every: u64,
    /// Seed of the evaluation draws.
    pub seed: u64,
    /// Learning rate (the paper: 10, plain SGD).
    pub lr: f64,
    /// Optimiser.
    pub optimizer: OptimizerKind,
    /// Resamples per metric and evaluation (the paper: 3).
    pub eval_repeats: usize,
    /// KID subsets.
    pub kid: KidSettings,
    /// Draw the Top-1 class plots (needs logits).
    pub plots: bool,
    /// The generator whose images the generated features are, when the run knows it (for the image grids).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub generator: Option<GeneratorInput>,
}

/// A generator behind the generated features: row `i` is its image for row `i` of the latents
/// `RandomState(latent_seed).randn(N_g, z_dim)` (ψ = 1, constant noise).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GeneratorInput {
    /// The network file (G.safetensors + G.json, or an NVlabs .pkl).
    pub network: PathBuf,
    /// Seed of the latent stream.
    pub latent_seed: u32,
    /// Draw the image grids.
    pub grids: bool,
}

impl Settings {
    /// The paper's settings for the given inputs (`pre_logits`, 100 000 SGD steps at lr 10,
    /// evaluation every 500 steps, 3 repeats, KID with 100 subsets of ≤ 1000).
    pub fn paper(inputs: Inputs) -> Self {
        Self {
            inputs,
            feature_mode: FeatureMode::PreLogits,
            num_dims: None,
            iterations: 100_000,
            eval_every: 500,
            seed: 0,
            lr: 10.0,
            optimizer: OptimizerKind::Sgd,
            eval_repeats: 3,
            kid: KidSettings {
                subsets: 100,
                max_subset_size: 1000,
            },
            plots: true,
            generator: None,
        }
    }

    fn check(&self) -> Result<(), ResampleError> {
        let bad = |m: &str| Err(ResampleError::Invalid(m.into()));
        if self.eval_every == 0 {
            return bad("--eval-every must be at least 1");
        }
        if self.eval_repeats == 0 {
            return bad("the number of evaluation repeats must be at least 1");
        }
        if !(self.lr.is_finite() && self.lr > 0.0) {
            return bad("--lr must be a positive number");
        }
        match (self.feature_mode, self.num_dims) {
            (FeatureMode::TopN | FeatureMode::MiddleN, None) => {
                bad("--num-dims is required for top_n and middle_n")
            }
            (FeatureMode::PreLogits | FeatureMode::Logits, Some(_)) => {
                bad("--num-dims only applies to top_n and middle_n")
            }
            _ => Ok(()),
        }
    }
}

/// The feature matrices of a run.
#[derive(Debug)]
pub struct Data {
    /// Real pool3.
    pub real_pool3: FeatureMatrix,
    /// Generated pool3.
    pub gen_pool3: FeatureMatrix,
    /// Real logits.
    pub real_logits: Option<FeatureMatrix>,
    /// Generated logits.
    pub gen_logits: Option<FeatureMatrix>,
    /// Real CLIP features.
    pub real_clip: Option<FeatureMatrix>,
    /// Generated CLIP features.
    pub gen_clip: Option<FeatureMatrix>,
}

fn read(path: &Path) -> Result<FeatureMatrix, ResampleError> {
    let f = FeatureMatrix::read_npy(path)?;
    if let Some((row, col)) = f.first_non_finite() {
        return Err(ResampleError::Invalid(format!(
            "{}: non-finite value at row {row}, column {col}",
            path.display()
        )));
    }
    Ok(f)
}

fn pair(
    what: &str,
    real: &Option<PathBuf>,
    gen_: &Option<PathBuf>,
) -> Result<(Option<FeatureMatrix>, Option<FeatureMatrix>), ResampleError> {
    match (real, gen_) {
        (Some(r), Some(g)) => Ok((Some(read(r)?), Some(read(g)?))),
        (None, None) => Ok((None, None)),
        _ => Err(ResampleError::Invalid(format!(
            "give both --real-{what} and --gen-{what}, or neither"
        ))),
    }
}

impl Data {
    /// Reads and checks the feature files: matching row counts per set, matching dimensions.
    pub fn load(inputs: &Inputs) -> Result<Self, ResampleError> {
        let real_pool3 = read(&inputs.real_features)?;
        let gen_pool3 = read(&inputs.gen_features)?;
        let (real_logits, gen_logits) = pair("logits", &inputs.real_logits, &inputs.gen_logits)?;
        let (real_clip, gen_clip) = pair("clip", &inputs.real_clip, &inputs.gen_clip)?;
        let data = Self {
            real_pool3,
            gen_pool3,
            real_logits,
            gen_logits,
            real_clip,
            gen_clip,
        };
        data.check()?;
        Ok(data)
    }

    fn check(&self) -> Result<(), ResampleError> {
        let (nr, ng) = (self.real_pool3.rows(), self.gen_pool3.rows());
        if nr < 2 || ng < 2 {
            return Err(ResampleError::Invalid(format!(
                "need at least 2 real and 2 generated samples, got {nr} and {ng}"
            )));
        }
        for (what, r, g) in [
            ("logits", &self.real_logits, &self.gen_logits),
            ("CLIP features", &self.real_clip, &self.gen_clip),
        ] {
            if let (Some(r), Some(g)) = (r, g) {
                if r.rows() != nr || g.rows() != ng {
                    return Err(ResampleError::Invalid(format!(
                        "{what}: {} real and {} generated rows, but the pool3 features have {nr} and {ng}",
                        r.rows(),
                        g.rows()
                    )));
                }
                if r.cols() != g.cols() {
                    return Err(ResampleError::Invalid(format!(
                        "{what}: real D = {}, generated D = {}",
                        r.cols(),
                        g.cols()
                    )));
                }
            }
        }
        if self.real_pool3.cols() != self.gen_pool3.cols() {
            return Err(ResampleError::Invalid(format!(
                "pool3 features: real D = {}, generated D = {}",
                self.real_pool3.cols(),
                self.gen_pool3.cols()
            )));
        }
        Ok(())
    }
}

/// Top-1 class of each row.
pub fn top1(logits: &FeatureMatrix) -> Vec<usize> {
    (0..logits.rows())
        .map(|i| {
            let row = logits.row_f64(i);
            (0..row.len())
                .max_by(|&a, &b| row[a].total_cmp(&row[b]).then(b.cmp(&a)))
                .unwrap_or(0)
        })
        .collect()
}

/// The metrics part of output file names, `fid_12.34.png` or `fid_12.34-fid_clip_5.67.png` (the paper's).
fn metrics_suffix(fid: f64, fid_clip: Option<f64>) -> String {
    let clip = fid_clip.map_or(String::new(), |c| format!("-fid_clip_{}", fmt2(c)));
    format!("fid_{}{clip}.png", fmt2(fid))
}

/// The grids written when the FID improves: the first draws of a weighted resample of `n_real`
/// (`resampled_grid-<suffix>`) and candidates with small and large weights, all drawn from `rng`.
fn write_weight_grids(
    grids: &dyn CandidateGrid,
    outdir: &Path,
    w: &[f64],
    n_real: usize,
    rng: &mut ChaCha8Rng,
    suffix: &str,
) -> Result<(), ResampleError> {
    let name = format!("{RESAMPLED_GRID_PREFIX}{suffix}");
    let resampled = resampled_candidates(w, n_real, rng);
    grids.write_grid(&resampled, GRID_ROWS, GRID_COLS, &outdir.join(&name))?;
    outputs::remove_previous(outdir, RESAMPLED_GRID_PREFIX, ".png", &name)?;
    for (file, largest) in [(SMALL_WEIGHT_GRID, false), (LARGE_WEIGHT_GRID, true)] {
        let chosen = extreme_weight_candidates(w, largest, rng);
        grids.write_grid(&chosen, GRID_ROWS, GRID_COLS, &outdir.join(file))?;
    }
    Ok(())
}

/// Python's tuple formatting of a shape, `(120, 8)`.
fn shape(f: &FeatureMatrix) -> String {
    format!("({}, {})", f.rows(), f.cols())
}

fn fmt2(x: f64) -> String {
    format!("{x:.2}")
}

fn median(v: &[f64]) -> f64 {
    let mut s = v.to_vec();
    s.sort_by(f64::total_cmp);
    let n = s.len();
    if n % 2 == 1 {
        s[n / 2]
    } else {
        0.5 * (s[n / 2 - 1] + s[n / 2])
    }
}

/// Where a run writes and prints.
pub struct RunIo<'a> {
    /// Output folder (exists).
    pub outdir: &'a Path,
    /// The paper's lines (stdout).
    pub out: &'a mut dyn Write,
    /// Progress and extra information (stderr).
    pub log: &'a mut dyn Write,
    /// Renders the image grids of generated candidates (`None`: no grids).
    pub grids: Option<&'a dyn CandidateGrid>,
}

fn io_err(e: std::io::Error) -> ResampleError {
    ResampleError::io(Path::new("<output stream>"), e)
}

/// Runs (or, with `resume`, continues) the loop up to `settings.iterations` steps and returns the
/// final state (also checkpointed).
pub fn run(
    settings: &Settings,
    data: &Data,
    io: RunIo<'_>,
    resume: Option<RunState>,
) -> Result<RunState, ResampleError> {
    settings.check()?;
    let RunIo {
        outdir,
        out,
        log,
        grids,
    } = io;
    let n_gen = data.gen_pool3.rows();

    // The resampled feature space.
    let binarized;
    let (real_f, gen_f): (&FeatureMatrix, &FeatureMatrix) = match settings.feature_mode {
        FeatureMode::PreLogits => (&data.real_pool3, &data.gen_pool3),
        mode => {
            let (Some(rl), Some(gl)) = (&data.real_logits, &data.gen_logits) else {
                return Err(ResampleError::Invalid(format!(
                    "feature mode {} needs --real-logits and --gen-logits",
                    mode.name()
                )));
            };
            if mode == FeatureMode::Logits {
                (rl, gl)
            } else {
                writeln!(out, "Binarizing real and gen. feature vectors...").map_err(io_err)?;
                let n = settings.num_dims.unwrap_or(1);
                let sel = if mode == FeatureMode::TopN {
                    Selection::TopN(n)
                } else {
                    Selection::MiddleN(n)
                };
                binarized = binarize(rl, gl, sel)?;
                (&binarized.real, &binarized.gen_)
            }
        }
    };
    writeln!(out, "Computing real statistics...").map_err(io_err)?;
    let real_stats = Moments::from_features(real_f).gaussian()?;
    let reference = FrechetReference::new(real_stats.mean, real_stats.cov.as_ref())?;
    let pool3 = MetricSpace::new(&data.real_pool3, &data.gen_pool3)?;
    let clip = match (&data.real_clip, &data.gen_clip) {
        (Some(r), Some(g)) => Some(MetricSpace::new(r, g)?),
        _ => None,
    };
    let tops = match (&data.real_logits, &data.gen_logits) {
        (Some(r), Some(g)) if settings.plots => Some((top1(r), top1(g))),
        _ => None,
    };
    let n_real = data.real_pool3.rows();

    // The random baseline: N_r distinct candidates, from its own stream (stream 1).
    let mut rnd_rng = ChaCha8Rng::seed_from_u64(settings.seed);
    rnd_rng.set_stream(1);
    let rnd_idx =
        (n_gen >= n_real).then(|| rand::seq::index::sample(&mut rnd_rng, n_gen, n_real).into_vec());
    if resume.is_none() {
        match &rnd_idx {
            Some(idx) => {
                let fid_rnd = pool3.fid(idx)?;
                let clip_rnd = clip.as_ref().map(|c| c.fid(idx)).transpose()?;
                let suffix = metrics_suffix(fid_rnd, clip_rnd);
                if let Some(g) = grids {
                    let first = &idx[..idx.len().min(GRID_LEN)];
                    let path = outdir.join(format!("rnd_grid-{suffix}"));
                    g.write_grid(first, GRID_ROWS, GRID_COLS, &path)?;
                }
                writeln!(
                    log,
                    "Random subset of {n_real}: FID = {}{}",
                    fmt2(fid_rnd),
                    clip_rnd.map_or(String::new(), |c| format!(", CLIP-FID = {}", fmt2(c)))
                )
                .map_err(io_err)?;
                if let Some((rt, gt)) = &tops {
                    let rnd_top: Vec<usize> = idx.iter().map(|&i| gt[i]).collect();
                    let name = format!("rnd_class_dist-{suffix}");
                    crate::plot::write_top1_plot(
                        &outdir.join(name),
                        &[("Real", rt.as_slice()), ("Random subset", rnd_top.as_slice())],
                        burn_models::labels::NUM_CLASSES.max(data.gen_logits.as_ref().map_or(0, |g| g.cols())),
                        burn_models::labels::short_label,
                    )?;
                }
            }
            None => writeln!(
                log,
                "warning: fewer generated ({n_gen}) than real ({n_real}) samples: no random baseline"
            )
            .map_err(io_err)?,
        }
    }

    writeln!(out, "Optimizing FID directly...").map_err(io_err)?;
    writeln!(
        out,
        "Resampled feature shapes: real = {}, gen. = {}\n",
        shape(real_f),
        shape(gen_f)
    )
    .map_err(io_err)?;

    let mut state = match resume {
        Some(s) => {
            if s.w.len() != n_gen {
                return Err(ResampleError::Invalid(format!(
                    "the checkpoint has {} weights, the generated set {n_gen} samples",
                    s.w.len()
                )));
            }
            writeln!(log, "Resuming at step {}", s.iteration).map_err(io_err)?;
            s
        }
        None => RunState {
            iteration: 0,
            w: vec![0.0; n_gen],
            optimizer: Optimizer::new(settings.optimizer, settings.lr, n_gen),
            rng_word_pos: 0,
            best_fid: f64::INFINITY,
        },
    };
    let mut rng = ChaCha8Rng::seed_from_u64(settings.seed);
    rng.set_word_pos(state.rng_word_pos);
    let snapshot = settings
        .inputs
        .gen_features
        .file_stem()
        .and_then(|s| s.to_str())
        .unwrap_or("features")
        .to_string();

    let mut timer = Instant::now();
    for it in state.iteration..settings.iterations {
        let lg = loss_and_grad(&reference, gen_f, &state.w)?;
        if !lg.loss.is_finite() || lg.grad.iter().any(|g| !g.is_finite()) {
            return Err(ResampleError::Invalid(format!(
                "step {}: the loss or its gradient is not finite (loss = {}); lower --lr",
                it + 1,
                lg.loss
            )));
        }
        state.optimizer.step(&mut state.w, &lg.grad);
        state.iteration = it + 1;
        if it == 0 || (it + 1) % settings.eval_every == 0 {
            let e = evaluate(
                &pool3,
                clip.as_ref(),
                &state.w,
                settings.eval_repeats,
                &settings.kid,
                &mut rng,
            )?;
            let (fid, fid_clip) = (min(&e.fids), min(&e.clip_fids));
            writeln!(
                out,
                "It. {}/{}, loss = {:.5}",
                it + 1,
                settings.iterations,
                lg.loss
            )
            .map_err(io_err)?;
            writeln!(out, "FID = {}", fmt2(fid)).map_err(io_err)?;
            if clip.is_some() {
                writeln!(out, "CLIP-FID = {}", fmt2(fid_clip)).map_err(io_err)?;
            }
            writeln!(out, "Elapsed time: {:.2}s\n", timer.elapsed().as_secs_f64())
                .map_err(io_err)?;
            out.flush().map_err(io_err)?;
            writeln!(
                log,
                "  mean over {} resamples: FID = {:.4}{}, KID×1000 = {:.4}",
                settings.eval_repeats,
                mean(&e.fids),
                if clip.is_some() {
                    format!(", CLIP-FID = {:.4}", mean(&e.clip_fids))
                } else {
                    String::new()
                },
                mean(&e.kids) * 1000.0
            )
            .map_err(io_err)?;
            let finite = |x: f64| x.is_finite().then_some(x);
            let line = serde_json::json!({
                "it": it + 1,
                "loss": lg.loss,
                "fid": fid,
                "fid_clip": finite(fid_clip),
                "kid_x1000": min(&e.kids) * 1000.0,
                "fid_mean": mean(&e.fids),
                "fid_clip_mean": finite(mean(&e.clip_fids)),
                "kid_x1000_mean": mean(&e.kids) * 1000.0,
                "fids": e.fids,
                "fid_clips": e.clip_fids,
                "kids_x1000": e.kids.iter().map(|k| k * 1000.0).collect::<Vec<_>>(),
                "w_min": state.w.iter().copied().fold(f64::INFINITY, f64::min),
                "w_median": median(&state.w),
                "w_max": state.w.iter().copied().fold(f64::NEG_INFINITY, f64::max),
                "max_mem": outputs::peak_rss_bytes().map(|b| b as f64 * 1e-9),
                "clamped_eigenvalues": lg.clamped_count,
                "snapshot": snapshot,
                "total_gen_images": n_gen,
                "random_seed": settings.seed,
                "feature_mode": settings.feature_mode.name(),
            });
            outputs::append_stats(outdir, &line)?;
            if fid < state.best_fid {
                state.best_fid = fid;
                let name = format!(
                    "{}fid_{}-num_gen_{n_gen}-seed_{}-it_{}.npy",
                    outputs::WEIGHTS_PREFIX,
                    fmt2(fid),
                    settings.seed,
                    it + 1
                );
                outputs::write_npy_f64(&outdir.join(&name), &state.w)?;
                outputs::remove_previous(outdir, outputs::WEIGHTS_PREFIX, ".npy", &name)?;
                let suffix = metrics_suffix(fid, clip.is_some().then_some(fid_clip));
                if let Some((rt, gt)) = &tops {
                    let idx = sample_with_weights(&state.w, n_real, &mut rng);
                    let resampled: Vec<usize> = idx.iter().map(|&i| gt[i]).collect();
                    let rnd_top: Vec<usize> = rnd_idx
                        .as_ref()
                        .map(|r| r.iter().map(|&i| gt[i]).collect())
                        .unwrap_or_default();
                    let mut series: Vec<(&str, &[usize])> = vec![("Real", rt.as_slice())];
                    if !rnd_top.is_empty() {
                        series.push(("Random subset", rnd_top.as_slice()));
                    }
                    series.push(("Resampled", resampled.as_slice()));
                    let plot = format!("{}{suffix}", outputs::RESAMPLED_PLOT_PREFIX);
                    crate::plot::write_top1_plot(
                        &outdir.join(&plot),
                        &series,
                        burn_models::labels::NUM_CLASSES
                            .max(data.gen_logits.as_ref().map_or(0, |g| g.cols())),
                        burn_models::labels::short_label,
                    )?;
                    outputs::remove_previous(
                        outdir,
                        outputs::RESAMPLED_PLOT_PREFIX,
                        ".png",
                        &plot,
                    )?;
                }
                if let Some(g) = grids {
                    let mut grid_draws = grid_rng(settings.seed, it + 1);
                    write_weight_grids(g, outdir, &state.w, n_real, &mut grid_draws, &suffix)?;
                }
            }
            state.rng_word_pos = rng.get_word_pos();
            outputs::write_checkpoint(outdir, &state)?;
            timer = Instant::now();
        }
    }
    state.rng_word_pos = rng.get_word_pos();
    outputs::write_checkpoint(outdir, &state)?;
    Ok(state)
}
