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
            "{}: image folders and zips are read through a feature network (see `fidlab fid --help`)",
            path.display()
        ),
    }
}

/// Statistics of any input: a stats file, a feature matrix, or a folder/zip of images (through the
/// feature network of `net`, loaded on first use into `extractor`).
pub fn load_set(
    path: &Path,
    net: &super::extract::NetworkArgs,
    extractor: &mut Option<super::extract::Extractor>,
    device: &burn::tensor::Device,
) -> anyhow::Result<SetStats> {
    if input_kind(path)? != InputKind::Images {
        return load_stats(path);
    }
    if extractor.is_none() {
        *extractor = Some(super::extract::Extractor::load(net, device)?);
    }
    let e = extractor.as_ref().expect("loaded above");
    let x = super::extract::from_dataset(path, net, e, false, device)?;
    Ok(SetStats {
        path: path.to_path_buf(),
        gaussian: x.moments.gaussian()?,
        provenance: Some(x.provenance),
    })
}

/// A generator's uint8 output `[B, C, H, W]` (C = 1 or 3; see `burn_models::stylegan2::to_uint8`) as B RGB
/// images; a single channel is repeated as grey.
pub fn rgb_images(pixels: &burn::tensor::TensorData) -> anyhow::Result<Vec<image::RgbImage>> {
    let [n, c, h, w] = <[usize; 4]>::try_from(pixels.shape().to_vec())
        .map_err(|s| anyhow::anyhow!("generator output has shape {s:?}, expected [B, C, H, W]"))?;
    if !matches!(c, 1 | 3) {
        bail!("cannot show generated images of shape [{n}, {c}, {h}, {w}]: need 1 or 3 channels");
    }
    let values: &[u8] = pixels
        .as_slice()
        .map_err(|e| anyhow::anyhow!("reading generated pixels: {e:?}"))?;
    let plane = h * w;
    Ok(values
        .chunks_exact(c * plane)
        .map(|chw| {
            let rgb = (0..plane)
                .flat_map(|p| (0..3).map(move |k| chw[(k % c) * plane + p]))
                .collect();
            image::RgbImage::from_raw(w as u32, h as u32, rgb).expect("3·H·W values")
        })
        .collect())
}
