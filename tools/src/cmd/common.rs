//! What `fid`, `kid` and `stats` share: reading a set from a path.

use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use fid_core::{FeatureMatrix, Gaussian, Moments, Provenance, StatsFile};

/// A set as given on the command line, resolved to statistics.
pub struct SetStats {
    /// Where it came from.
    pub path: PathBuf,
    /// Mean, covariance, count.
    pub gaussian: Gaussian,
    /// Provenance, when the source records it.
    pub provenance: Option<Provenance>,
}

/// What kind of input a path is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InputKind {
    /// A `.npz` statistics file.
    Stats,
    /// A `.npy` feature matrix `[N, D]`.
    Features,
    /// A folder or `.zip` of images.
    Images,
}

/// Classifies a path by existence and extension.
pub fn input_kind(path: &Path) -> anyhow::Result<InputKind> {
    if !path.exists() {
        bail!("{}: no such file or folder", path.display());
    }
    if path.is_dir() {
        return Ok(InputKind::Images);
    }
    let ext = path
        .extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase)
        .unwrap_or_default();
    match ext.as_str() {
        "npz" => Ok(InputKind::Stats),
        "npy" => Ok(InputKind::Features),
        "zip" => Ok(InputKind::Images),
        _ => bail!(
            "{}: expected a statistics file (.npz), a feature matrix (.npy), a folder or a .zip of images",
            path.display()
        ),
    }
}

/// Reads a `.npy` feature matrix and checks it (finite, at least 2 rows).
pub fn read_features(path: &Path) -> anyhow::Result<FeatureMatrix> {
    let f = FeatureMatrix::read_npy(path)?;
    if let Some((row, col)) = f.first_non_finite() {
        bail!(
            "{}: non-finite value (NaN or infinity) at row {row}, column {col}",
            path.display()
        );
    }
    if f.rows() < 2 {
        bail!(
            "{}: {} sample(s); a covariance needs at least 2",
            path.display(),
            f.rows()
        );
    }
    Ok(f)
}

/// Provenance of a user-supplied feature matrix.
pub fn features_provenance(path: &Path, count: u64) -> Provenance {
    let mut p = Provenance::new("features", "user");
    p.count = count;
    p.source.push(path.display().to_string());
    p
}

/// Statistics of a stats file or a feature matrix.
pub fn load_stats(path: &Path) -> anyhow::Result<SetStats> {
    match input_kind(path)? {
        InputKind::Stats => {
            let f = StatsFile::read(path)?;
            Ok(SetStats {
                path: path.to_path_buf(),
                gaussian: f.gaussian,
                provenance: f.provenance,
            })
        }
        InputKind::Features => {
            let feats = read_features(path)?;
            let gaussian = Moments::from_features(&feats)
                .gaussian()
                .with_context(|| format!("{}", path.display()))?;
            Ok(SetStats {
                path: path.to_path_buf(),
                provenance: Some(features_provenance(path, gaussian.count)),
                gaussian,
            })
        }
        InputKind::Images => bail!(
            "{}: image folders and zips need a feature network; this build computes statistics from .npy features and .npz files",
            path.display()
        ),
    }
}
