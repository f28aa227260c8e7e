//! Comparing the Top-1 class histograms of two sets (`fidlab classes A B`).
//!
//! Both sets' Top-1 predictions (argmax of the Inception logits) become class shares `p_A`, `p_B`
//! over the network's 1008 outputs. Reported: the total variation `½ Σ |p_A − p_B|`, the
//! Kullback–Leibler divergence `KL(p_A ‖ p_B̃)` where `p_B̃` adds half a count to every
//! ImageNet class (Jeffreys smoothing, so a class absent from B gives a finite value), and the
//! classes whose share differs most in either direction.

use fid_core::FeatureMatrix;

use crate::error::ResampleError;
use crate::run::top1;

/// One class's counts in the two sets.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct ClassShare {
    /// Class index (network output).
    pub class: usize,
    /// Top-1 count in A.
    pub count_a: usize,
    /// Top-1 count in B.
    pub count_b: usize,
    /// `count_b / N_B − count_a / N_A`.
    pub difference: f64,
}

/// The comparison of two Top-1 histograms.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct ClassReport {
    /// Samples in A.
    pub n_a: usize,
    /// Samples in B.
    pub n_b: usize,
    /// `½ Σ |p_A − p_B|` ∈ [0, 1].
    pub total_variation: f64,
    /// `KL(p_A ‖ p_B̃)` in nats (B smoothed with half a count per ImageNet class).
    pub kl_a_b: f64,
    /// Classes more frequent in B than in A, largest difference first.
    pub over_in_b: Vec<ClassShare>,
    /// Classes less frequent in B than in A, largest difference first.
    pub under_in_b: Vec<ClassShare>,
}

/// Compares the Top-1 histograms of two logit matrices `[N, C]` (same `C`), listing `top` classes
/// each way.
pub fn compare(
    a: &FeatureMatrix,
    b: &FeatureMatrix,
    top: usize,
) -> Result<ClassReport, ResampleError> {
    if a.cols() != b.cols() {
        return Err(ResampleError::Invalid(format!(
            "the logits have {} and {} classes",
            a.cols(),
            b.cols()
        )));
    }
    if a.rows() == 0 || b.rows() == 0 {
        return Err(ResampleError::Invalid("a set is empty".into()));
    }
    let classes = a.cols();
    let (ta, tb) = (top1(a), top1(b));
    let hist = |t: &[usize]| {
        let mut h = vec![0usize; classes];
        t.iter().for_each(|&c| h[c] += 1);
        h
    };
    let (ha, hb) = (hist(&ta), hist(&tb));
    let (na, nb) = (a.rows() as f64, b.rows() as f64);
    let real_class = |c: usize| {
        classes != burn_models::labels::NUM_CLASSES || !burn_models::labels::is_placeholder(c)
    };
    let smoothed_classes = (0..classes).filter(|&c| real_class(c)).count() as f64;
    let mut tv = 0.0;
    let mut kl = 0.0;
    for c in 0..classes {
        let (pa, pb) = (ha[c] as f64 / na, hb[c] as f64 / nb);
        tv += (pa - pb).abs();
        if ha[c] > 0 {
            let extra = if real_class(c) { 0.5 } else { 0.0 };
            let q = (hb[c] as f64 + extra) / (nb + 0.5 * smoothed_classes);
            kl += pa * (pa / q).ln();
        }
    }
    let mut shares: Vec<ClassShare> = (0..classes)
        .filter(|&c| ha[c] + hb[c] > 0)
        .map(|c| ClassShare {
            class: c,
            count_a: ha[c],
            count_b: hb[c],
            difference: hb[c] as f64 / nb - ha[c] as f64 / na,
        })
        .collect();
    shares.sort_by(|x, y| {
        y.difference
            .total_cmp(&x.difference)
            .then(x.class.cmp(&y.class))
    });
    let over_in_b: Vec<ClassShare> = shares
        .iter()
        .filter(|s| s.difference > 0.0)
        .take(top)
        .cloned()
        .collect();
    let under_in_b: Vec<ClassShare> = shares
        .iter()
        .rev()
        .filter(|s| s.difference < 0.0)
        .take(top)
        .cloned()
        .collect();
    Ok(ClassReport {
        n_a: a.rows(),
        n_b: b.rows(),
        total_variation: 0.5 * tv,
        kl_a_b: kl,
        over_in_b,
        under_in_b,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn one_hot_logits(classes: &[usize]) -> FeatureMatrix {
        let c = 1008;
        let mut data = vec![0f32; classes.len() * c];
        for (i, &k) in classes.iter().enumerate() {
            data[i * c + k] = 5.0;
        }
        FeatureMatrix::from_f32(classes.len(), c, data).unwrap()
    }

    #[test]
    fn identical_sets_have_zero_distance() {
        let a = one_hot_logits(&[1, 2, 2, 3]);
        let r = compare(&a, &a, 5).unwrap();
        assert_eq!(r.total_variation, 0.0);
        assert!(r.over_in_b.is_empty() && r.under_in_b.is_empty());
    }

    #[test]
    fn disjoint_sets_have_total_variation_one() {
        let a = one_hot_logits(&[1, 1, 2, 2]);
        let b = one_hot_logits(&[3, 3, 3, 4]);
        let r = compare(&a, &b, 5).unwrap();
        assert!((r.total_variation - 1.0).abs() < 1e-15);
        assert_eq!(r.over_in_b[0].class, 3);
        assert_eq!(r.under_in_b.len(), 2);
        assert!(r.kl_a_b.is_finite() && r.kl_a_b > 0.0);
    }
}
