//! Top-N and Middle-N class indicators (the paper's `binarize_features`, SEED-SPEC §5.3).
//!
//! Each image's logits `[1008]` are ranked in descending order; `top_n` selects ranks `0..N`,
//! `middle_n` the `N` ranks centred on rank `1008 / 2 = 504` (even `N`: `504 − N/2 .. 504 + N/2`,
//! odd `N`: `504 − (N−1)/2 ..= 504 + (N−1)/2`). The features are multi-hot f32 rows; columns that
//! are empty in the real *or* the generated set are dropped. Ties (impossible for real logits) go
//! to the higher class index, as a stable ascending sort reversed (`argsort(x)[::-1]`) would.

use fid_core::FeatureMatrix;

use crate::error::ResampleError;

/// Which ranks of each image's logits become indicators.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Selection {
    /// The `N` highest-ranked classes.
    TopN(usize),
    /// `N` classes centred on the middle rank.
    MiddleN(usize),
}

impl Selection {
    /// The rank range selected among `classes` ranks.
    pub fn ranks(self, classes: usize) -> Result<std::ops::Range<usize>, ResampleError> {
        let r = match self {
            Self::TopN(n) => 0..n,
            Self::MiddleN(n) => {
                let mid = classes / 2;
                let below = if n % 2 == 0 { n / 2 } else { (n - 1) / 2 };
                if below > mid {
                    return Err(ResampleError::Invalid(format!(
                        "middle_n with N = {n} does not fit in {classes} classes"
                    )));
                }
                mid - below..mid - below + n
            }
        };
        let n = r.len();
        if n == 0 || r.end > classes {
            return Err(ResampleError::Invalid(format!(
                "--num-dims must be between 1 and {classes}, got {n}"
            )));
        }
        Ok(r)
    }
}

/// The selected class indices of every row (ascending within a row), `[N][n]`.
pub fn selected_classes(
    logits: &FeatureMatrix,
    selection: Selection,
) -> Result<Vec<Vec<usize>>, ResampleError> {
    let classes = logits.cols();
    let ranks = selection.ranks(classes)?;
    let mut order: Vec<usize> = (0..classes).collect();
    Ok((0..logits.rows())
        .map(|i| {
            let row = logits.row_f64(i);
            // Descending by value; among equal values the higher index first.
            order.sort_by(|&a, &b| row[b].total_cmp(&row[a]).then(b.cmp(&a)));
            let mut sel = order[ranks.clone()].to_vec();
            sel.sort_unstable();
            sel
        })
        .collect())
}

/// Binarised real and generated features and the kept class columns.
#[derive(Debug, Clone)]
pub struct Binarized {
    /// Real indicators, `[N_r, kept]`, f32.
    pub real: FeatureMatrix,
    /// Generated indicators, `[N_g, kept]`, f32.
    pub gen_: FeatureMatrix,
    /// Class index of each kept column.
    pub kept_columns: Vec<usize>,
}

/// Multi-hot indicators of the selected classes, keeping columns non-empty in both sets.
pub fn binarize(
    real_logits: &FeatureMatrix,
    gen_logits: &FeatureMatrix,
    selection: Selection,
) -> Result<Binarized, ResampleError> {
    let classes = real_logits.cols();
    if gen_logits.cols() != classes {
        return Err(ResampleError::Invalid(format!(
            "real logits have {classes} columns, generated logits {}",
            gen_logits.cols()
        )));
    }
    let real_sel = selected_classes(real_logits, selection)?;
    let gen_sel = selected_classes(gen_logits, selection)?;
    let present = |sel: &[Vec<usize>]| {
        let mut hit = vec![false; classes];
        sel.iter().flatten().for_each(|&c| hit[c] = true);
        hit
    };
    let (pr, pg) = (present(&real_sel), present(&gen_sel));
    let kept_columns: Vec<usize> = (0..classes).filter(|&c| pr[c] && pg[c]).collect();
    if kept_columns.is_empty() {
        return Err(ResampleError::Invalid(
            "no class is selected in both the real and the generated set".into(),
        ));
    }
    let mut column_of = vec![usize::MAX; classes];
    kept_columns
        .iter()
        .enumerate()
        .for_each(|(k, &c)| column_of[c] = k);
    let hot = |sel: &[Vec<usize>]| {
        let k = kept_columns.len();
        let mut data = vec![0f32; sel.len() * k];
        for (i, row) in sel.iter().enumerate() {
            for &c in row {
                if column_of[c] != usize::MAX {
                    data[i * k + column_of[c]] = 1.0;
                }
            }
        }
        FeatureMatrix::from_f32(sel.len(), k, data)
    };
    Ok(Binarized {
        real: hot(&real_sel)?,
        gen_: hot(&gen_sel)?,
        kept_columns,
    })
}
