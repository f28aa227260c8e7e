//! The paper's image grids of generated candidates (SEED-SPEC §5.2, §5.5): `rnd_grid-…` (the random subset),
//! `resampled_grid-…` (a weighted resample), `small_weight_grid.png` and `large_weight_grid.png` (candidates with
//! the lowest and highest weights), 9 rows × 16 columns each.
//!
//! The run has only features, so which candidates go into a grid is decided here and the images are rendered by
//! a [`CandidateGrid`] the caller supplies (the CLI regenerates them with the generator). Grid draws use their own
//! random stream: a run writes the same numbers with or without grids.

use std::path::Path;

use rand::SeedableRng;
use rand::seq::index::sample;
use rand_chacha::ChaCha8Rng;

use crate::error::ResampleError;
use crate::eval::sample_with_weights;

/// Rows of a grid.
pub const GRID_ROWS: usize = 9;
/// Columns of a grid.
pub const GRID_COLS: usize = 16;
/// Images in a grid (`GRID_ROWS · GRID_COLS`).
pub const GRID_LEN: usize = GRID_ROWS * GRID_COLS;
/// Fraction of the candidates counted as "small" or "large" weights.
pub const EXTREME_FRACTION: f64 = 0.1;
/// Prefix of the grid of a weighted resample.
pub const RESAMPLED_GRID_PREFIX: &str = "resampled_grid-";
/// File of the grid of low-weight candidates.
pub const SMALL_WEIGHT_GRID: &str = "small_weight_grid.png";
/// File of the grid of high-weight candidates.
pub const LARGE_WEIGHT_GRID: &str = "large_weight_grid.png";

/// Renders generated candidates, given by their row in the generated set, as a grid image file.
pub trait CandidateGrid {
    /// Writes the candidates `rows · cols` (row-major; fewer leave the rest black) as one image at `path`.
    fn write_grid(
        &self,
        candidates: &[usize],
        rows: usize,
        cols: usize,
        path: &Path,
    ) -> Result<(), ResampleError>;
}

/// The random stream of the grids written at step `iteration` (0 for the random baseline).
pub fn grid_rng(seed: u64, iteration: u64) -> ChaCha8Rng {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    // Streams 0 and 1 are the evaluation draws and the random baseline.
    rng.set_stream(2 + iteration);
    rng
}

/// The first [`GRID_LEN`] of a weighted resample of `n_real` candidates (the paper shows the first 144 of its
/// `N_r`-sample resample: `min(144, N_r)` draws from `softmax(w)`, with replacement).
pub fn resampled_candidates(w: &[f64], n_real: usize, rng: &mut ChaCha8Rng) -> Vec<usize> {
    sample_with_weights(w, GRID_LEN.min(n_real), rng)
}

/// [`GRID_LEN`] candidates drawn without replacement among the [`EXTREME_FRACTION`] with the lowest
/// (`largest = false`) or highest weights; all of them if there are fewer.
pub fn extreme_weight_candidates(w: &[f64], largest: bool, rng: &mut ChaCha8Rng) -> Vec<usize> {
    let mut order: Vec<usize> = (0..w.len()).collect();
    order.sort_by(|&a, &b| w[a].total_cmp(&w[b]).then(a.cmp(&b)));
    if largest {
        order.reverse();
    }
    let pool = ((w.len() as f64 * EXTREME_FRACTION) as usize)
        .max(1)
        .min(w.len());
    let take = GRID_LEN.min(pool);
    sample(rng, pool, take)
        .into_vec()
        .into_iter()
        .map(|k| order[k])
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn extreme_candidates_come_from_the_right_tail_without_repeats() {
        let w: Vec<f64> = (0..2000).map(|i| f64::from(i) * 0.01).collect();
        let mut rng = grid_rng(0, 7);
        let small = extreme_weight_candidates(&w, false, &mut rng);
        let large = extreme_weight_candidates(&w, true, &mut rng);
        assert_eq!((small.len(), large.len()), (GRID_LEN, GRID_LEN));
        assert!(small.iter().all(|&i| i < 200), "{small:?}");
        assert!(large.iter().all(|&i| i >= 1800), "{large:?}");
        let mut unique = small.clone();
        unique.sort_unstable();
        unique.dedup();
        assert_eq!(unique.len(), GRID_LEN);
    }

    #[test]
    fn small_sets_give_what_there_is() {
        let w = vec![0.0, 1.0, 2.0, 3.0, 4.0];
        let mut rng = grid_rng(1, 0);
        assert_eq!(extreme_weight_candidates(&w, true, &mut rng), vec![4]);
        assert_eq!(resampled_candidates(&w, 1000, &mut rng).len(), GRID_LEN);
        assert_eq!(resampled_candidates(&w, 3, &mut rng).len(), 3);
    }

    #[test]
    fn grid_streams_differ_by_step_and_repeat_by_seed() {
        let w = vec![0.0; 1000];
        let a = resampled_candidates(&w, 1000, &mut grid_rng(3, 500));
        let b = resampled_candidates(&w, 1000, &mut grid_rng(3, 500));
        let c = resampled_candidates(&w, 1000, &mut grid_rng(3, 1000));
        assert_eq!(a, b);
        assert_ne!(a, c);
    }
}
