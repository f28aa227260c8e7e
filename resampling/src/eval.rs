//! Evaluating a weighting: resample the generated set and measure FID, CLIP-FID and KID
//! (the paper's `evaluate_metric`, SEED-SPEC §3.9 and §5.5).
//!
//! Each repeat draws `N_r` generated indices *with replacement* with probabilities `softmax(w)`
//! and compares that multiset with the real set. The paper draws with numpy's global, unseeded RNG;
//! fidlab draws from a seeded ChaCha8 stream whose position is checkpointed, so runs and resumed
//! runs repeat exactly. FIDs use fid-core's f64 statistics (the paper's code takes float32 means).

use fid_core::kid::{KidConfig, draw_subsets, kid_on_subsets};
use fid_core::{FeatureMatrix, Gaussian, Moments, frechet_gaussians};
use rand::Rng;
use rand_chacha::ChaCha8Rng;

use crate::error::ResampleError;

/// `k` indices drawn with replacement with probabilities `softmax(w)`.
pub fn sample_with_weights(w: &[f64], k: usize, rng: &mut ChaCha8Rng) -> Vec<usize> {
    let max = w.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let mut cumulative = Vec::with_capacity(w.len());
    let mut acc = 0.0;
    for &x in w {
        acc += (x - max).exp();
        cumulative.push(acc);
    }
    (0..k)
        .map(|_| {
            let u = (rng.next_u64() >> 11) as f64 * (1.0 / (1u64 << 53) as f64) * acc;
            cumulative.partition_point(|&c| c <= u).min(w.len() - 1)
        })
        .collect()
}

/// Mean and covariance of the rows `idx` of `f` (with repetitions).
pub fn gaussian_of_rows(f: &FeatureMatrix, idx: &[usize]) -> Result<Gaussian, ResampleError> {
    let d = f.cols();
    let mut moments = Moments::new(d);
    let chunk = 1024;
    let mut buf = vec![0.0; chunk * d];
    for part in idx.chunks(chunk) {
        for (r, &i) in part.iter().enumerate() {
            f.write_rows_f64(i, i + 1, &mut buf[r * d..(r + 1) * d]);
        }
        moments.push_rows_f64(&buf[..part.len() * d]);
    }
    Ok(moments.gaussian()?)
}

/// A real set and the matching generated candidates in one feature space.
#[derive(Debug)]
pub struct MetricSpace<'a> {
    /// Real features `[N_r, D]`.
    pub real: &'a FeatureMatrix,
    /// Generated candidates `[N_g, D]`.
    pub gen_: &'a FeatureMatrix,
    /// Statistics of `real`, computed once.
    pub real_stats: Gaussian,
}

impl<'a> MetricSpace<'a> {
    /// Pairs the two sets and computes the real statistics.
    pub fn new(real: &'a FeatureMatrix, gen_: &'a FeatureMatrix) -> Result<Self, ResampleError> {
        if real.cols() != gen_.cols() {
            return Err(ResampleError::Invalid(format!(
                "real features have D = {}, generated D = {}",
                real.cols(),
                gen_.cols()
            )));
        }
        Ok(Self {
            real,
            gen_,
            real_stats: Moments::from_features(real).gaussian()?,
        })
    }

    /// FID between the real set and the generated rows `idx`.
    pub fn fid(&self, idx: &[usize]) -> Result<f64, ResampleError> {
        Ok(frechet_gaussians(&self.real_stats, &gaussian_of_rows(self.gen_, idx)?)?.value)
    }

    /// KID between the real set and the generated rows `idx` (`|idx| = N_r`), subsets seeded by `seed`.
    pub fn kid(&self, idx: &[usize], kid: &KidSettings, seed: u64) -> Result<f64, ResampleError> {
        let config = KidConfig {
            subsets: kid.subsets,
            max_subset_size: kid.max_subset_size,
            seed,
        };
        let subsets: Vec<(Vec<usize>, Vec<usize>)> =
            draw_subsets(self.real.rows(), idx.len(), &config)
                .into_iter()
                .map(|(a, b)| (a, b.into_iter().map(|j| idx[j]).collect()))
                .collect();
        Ok(kid_on_subsets(self.real, self.gen_, &subsets)?.value)
    }
}

/// KID settings of an evaluation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct KidSettings {
    /// Subsets per estimate (the paper: 100).
    pub subsets: usize,
    /// Largest subset size (the paper: 1000).
    pub max_subset_size: usize,
}

/// Per-repeat metric values of one evaluation.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Evaluation {
    /// Pool3 FID per repeat.
    pub fids: Vec<f64>,
    /// CLIP-FID per repeat (empty without CLIP features).
    pub clip_fids: Vec<f64>,
    /// KID per repeat (pool3).
    pub kids: Vec<f64>,
}

/// Minimum of a list (NaN when empty).
pub fn min(v: &[f64]) -> f64 {
    v.iter().copied().fold(f64::NAN, f64::min)
}

/// Mean of a list (NaN when empty).
pub fn mean(v: &[f64]) -> f64 {
    v.iter().sum::<f64>() / v.len() as f64
}

/// `repeats` weighted resamples for each metric (independent draws per metric, as the paper).
pub fn evaluate(
    pool3: &MetricSpace<'_>,
    clip: Option<&MetricSpace<'_>>,
    w: &[f64],
    repeats: usize,
    kid: &KidSettings,
    rng: &mut ChaCha8Rng,
) -> Result<Evaluation, ResampleError> {
    let n_real = pool3.real.rows();
    let mut e = Evaluation::default();
    for _ in 0..repeats {
        e.fids
            .push(pool3.fid(&sample_with_weights(w, n_real, rng))?);
    }
    if let Some(clip) = clip {
        for _ in 0..repeats {
            e.clip_fids
                .push(clip.fid(&sample_with_weights(w, clip.real.rows(), rng))?);
        }
    }
    for _ in 0..repeats {
        let idx = sample_with_weights(w, n_real, rng);
        let seed = rng.next_u64();
        e.kids.push(pool3.kid(&idx, kid, seed)?);
    }
    Ok(e)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    #[test]
    fn sampling_follows_softmax() {
        let w = [0.0, (3.0f64).ln(), f64::NEG_INFINITY, 0.0];
        let mut rng = ChaCha8Rng::seed_from_u64(1);
        let idx = sample_with_weights(&w, 50_000, &mut rng);
        let mut count = [0usize; 4];
        idx.iter().for_each(|&i| count[i] += 1);
        assert_eq!(count[2], 0);
        let share = count[1] as f64 / 50_000.0;
        assert!((share - 0.6).abs() < 0.01, "{count:?}");
    }

    #[test]
    fn sampling_is_reproducible() {
        let w = vec![0.1; 100];
        let a = sample_with_weights(&w, 10, &mut ChaCha8Rng::seed_from_u64(7));
        let b = sample_with_weights(&w, 10, &mut ChaCha8Rng::seed_from_u64(7));
        assert_eq!(a, b);
    }
}
