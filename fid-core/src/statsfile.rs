//! Statistics files: pytorch-fid's `.npz` (`mu`, `sigma`) and fidlab's mergeable superset.
//!
//! fidlab's `.npz` holds, besides `mu` (f64 `[D]`) and `sigma` (f64 `[D, D]`, ddof as recorded),
//! the exact sums `count` (int64 `[]`), `sum` (f64 `[D]`, Σx) and `sum_outer` (f64 `[D, D]`,
//! Σxxᵀ), so files of shards merge exactly, and `provenance_json` (uint8 `[L]`, UTF-8 JSON, see
//! [`Provenance`]). pytorch-fid reads it unchanged (`np.load(f)['mu']`); in Python the provenance is
//! `json.loads(bytes(np.load(f)['provenance_json']))`.

use std::path::Path;

use faer::Mat;
use serde::{Deserialize, Serialize};

use crate::error::FidError;
use crate::npz::{Npz, NpzWriter};
use crate::stats::{Gaussian, Moments};

/// Where statistics came from: enough to tell whether two files may be compared.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Provenance {
    /// Feature network, e.g. `inception-v3-tf-2015-12-05`, `clip-vit-b-32`, or `features` for a
    /// user-supplied matrix.
    pub network: String,
    /// SHA-256 of the network's weights file, when known.
    pub weights_sha256: Option<String>,
    /// Input preprocessing, e.g. `tf` or `pytorch-fid`.
    pub preprocess: Option<String>,
    /// Feature layer, e.g. `pool3` or `logits`.
    pub layer: String,
    /// Number of samples.
    pub count: u64,
    /// Delta degrees of freedom of `sigma`.
    pub ddof: u64,
    /// Version of fidlab that wrote the file.
    pub fidlab_version: String,
    /// What the samples were (paths of inputs, a generator), free-form.
    #[serde(default)]
    pub source: Vec<String>,
}

impl Provenance {
    /// Provenance for features of `network`/`layer` with the current fidlab version.
    pub fn new(network: impl Into<String>, layer: impl Into<String>) -> Self {
        Self {
            network: network.into(),
            weights_sha256: None,
            preprocess: None,
            layer: layer.into(),
            count: 0,
            ddof: 1,
            fidlab_version: env!("CARGO_PKG_VERSION").to_string(),
            source: Vec::new(),
        }
    }

    /// Differences that make two sets' statistics incomparable (network, weights, preprocessing,
    /// layer), as human-readable lines.
    pub fn incompatibilities(&self, other: &Provenance) -> Vec<String> {
        let mut out = Vec::new();
        let mut cmp = |what: &str, a: &str, b: &str| {
            if a != b {
                out.push(format!("{what}: {a} vs {b}"));
            }
        };
        cmp("network", &self.network, &other.network);
        cmp("layer", &self.layer, &other.layer);
        let none = "unknown".to_string();
        cmp(
            "preprocessing",
            self.preprocess.as_ref().unwrap_or(&none),
            other.preprocess.as_ref().unwrap_or(&none),
        );
        cmp(
            "weights sha256",
            self.weights_sha256.as_ref().unwrap_or(&none),
            other.weights_sha256.as_ref().unwrap_or(&none),
        );
        out
    }
}

/// The contents of a statistics file.
#[derive(Debug, Clone)]
pub struct StatsFile {
    /// Mean and covariance (and count, 0 when the file does not say).
    pub gaussian: Gaussian,
    /// Exact sums, present in fidlab files; needed to merge.
    pub moments: Option<Moments>,
    /// Provenance, present in fidlab files.
    pub provenance: Option<Provenance>,
}

impl StatsFile {
    /// Statistics of accumulated moments (`ddof = 1`).
    pub fn from_moments(moments: Moments, mut provenance: Provenance) -> Result<Self, FidError> {
        provenance.count = moments.count();
        provenance.ddof = 1;
        Ok(Self {
            gaussian: moments.gaussian()?,
            moments: Some(moments),
            provenance: Some(provenance),
        })
    }

    /// Reads a pytorch-fid or fidlab `.npz`.
    pub fn read(path: &Path) -> Result<Self, FidError> {
        let bad = |reason: String| FidError::BadFile {
            path: path.to_path_buf(),
            reason,
        };
        let npz = Npz::read(path)?;
        let get = |name: &str| npz.array(name).map_err(bad);
        let (Some(mu), Some(sigma)) = (get("mu")?, get("sigma")?) else {
            let names: Vec<&str> = npz.names().collect();
            return Err(bad(format!(
                "a statistics file needs arrays `mu` and `sigma`; found {names:?}"
            )));
        };
        let d = mu.data.len();
        if mu.shape.len() != 1 || sigma.shape != [d as u64, d as u64] {
            return Err(bad(format!(
                "`mu` has shape {:?} and `sigma` {:?}; expected [D] and [D, D]",
                mu.shape, sigma.shape
            )));
        }
        if mu.data.iter().chain(&sigma.data).any(|x| !x.is_finite()) {
            return Err(bad("`mu` or `sigma` contains NaN or infinity".into()));
        }
        let provenance = match npz.bytes("provenance_json").map_err(bad)? {
            Some(b) => Some(
                serde_json::from_slice::<Provenance>(&b)
                    .map_err(|e| bad(format!("unreadable provenance: {e}")))?,
            ),
            None => None,
        };
        let moments = match (get("count")?, get("sum")?, get("sum_outer")?) {
            (Some(count), Some(sum), Some(outer)) => {
                if sum.data.len() != d || outer.data.len() != d * d {
                    return Err(bad(
                        "`sum`/`sum_outer` do not match the dimension of `mu`".into()
                    ));
                }
                let outer = Mat::from_fn(d, d, |i, j| outer.data[i * d + j]);
                Some(Moments::from_parts(count.data[0] as u64, sum.data, outer)?)
            }
            _ => None,
        };
        let count = moments
            .as_ref()
            .map(Moments::count)
            .or(provenance.as_ref().map(|p| p.count))
            .unwrap_or(0);
        Ok(Self {
            gaussian: Gaussian {
                count,
                mean: mu.data,
                cov: Mat::from_fn(d, d, |i, j| sigma.data[i * d + j]),
            },
            moments,
            provenance,
        })
    }

    /// Writes the file atomically (temporary file in the same folder, then rename).
    pub fn write(&self, path: &Path) -> Result<(), FidError> {
        let d = self.gaussian.dim();
        let flat = |m: &Mat<f64>| -> Vec<f64> {
            (0..d)
                .flat_map(|i| (0..d).map(move |j| (i, j)))
                .map(|(i, j)| m[(i, j)])
                .collect()
        };
        let (dd, d2) = ([d as u64], [d as u64, d as u64]);
        let mut w = NpzWriter::default();
        w.f64("mu", &dd, &self.gaussian.mean);
        w.f64("sigma", &d2, &flat(&self.gaussian.cov));
        if let Some(m) = &self.moments {
            w.add("count", &[], &[m.count() as i64]);
            w.f64("sum", &dd, m.sum());
            w.f64("sum_outer", &d2, &flat(&m.sum_outer().to_owned()));
        }
        if let Some(p) = &self.provenance {
            let json = serde_json::to_vec(p).expect("provenance serialises");
            w.add("provenance_json", &[json.len() as u64], &json);
        }
        w.write(path)
    }

    /// Merges files of disjoint sample sets (shards) into the statistics of their union.
    ///
    /// Every file must carry exact sums (fidlab files do) and the same provenance (network, weights,
    /// preprocessing, layer).
    pub fn merge(files: &[(impl AsRef<Path>, StatsFile)]) -> Result<Self, FidError> {
        let Some(((first_path, first), rest)) = files.split_first() else {
            return Err(FidError::Shape("nothing to merge".into()));
        };
        let need_moments = |p: &Path, f: &StatsFile| -> Result<Moments, FidError> {
            f.moments.clone().ok_or_else(|| FidError::BadFile {
                path: p.to_path_buf(),
                reason: "holds only `mu` and `sigma` (pytorch-fid format); merging needs the exact sums of a fidlab stats file".into(),
            })
        };
        let mut moments = need_moments(first_path.as_ref(), first)?;
        let mut provenance = first
            .provenance
            .clone()
            .unwrap_or_else(|| Provenance::new("unknown", "unknown"));
        for (path, f) in rest {
            let m = need_moments(path.as_ref(), f)?;
            if let (Some(a), Some(b)) = (&first.provenance, &f.provenance) {
                let diff = a.incompatibilities(b);
                if !diff.is_empty() {
                    return Err(FidError::Provenance(format!(
                        "{} and {}: {}",
                        first_path.as_ref().display(),
                        path.as_ref().display(),
                        diff.join("; ")
                    )));
                }
                provenance.source.extend(b.source.iter().cloned());
            }
            moments.merge(&m)?;
        }
        Self::from_moments(moments, provenance)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn moments(seed: u64) -> Moments {
        let data: Vec<f64> = (0..40)
            .map(|k| ((k * 7 + seed as usize * 13) % 11) as f64 * 0.25)
            .collect();
        let mut m = Moments::new(4);
        m.push_rows_f64(&data);
        m
    }

    #[test]
    fn round_trip_keeps_everything() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("s.npz");
        let mut prov = Provenance::new("inception-v3-tf-2015-12-05", "pool3");
        prov.weights_sha256 = Some("abc".into());
        prov.preprocess = Some("tf".into());
        let file = StatsFile::from_moments(moments(1), prov).unwrap();
        file.write(&path).unwrap();
        let back = StatsFile::read(&path).unwrap();
        assert_eq!(back.gaussian, file.gaussian);
        assert_eq!(back.moments, file.moments);
        assert_eq!(back.provenance, file.provenance);
        assert_eq!(back.provenance.unwrap().count, 10);
    }

    #[test]
    fn merging_different_networks_is_refused() {
        let a = StatsFile::from_moments(moments(1), Provenance::new("inception", "pool3")).unwrap();
        let b = StatsFile::from_moments(moments(2), Provenance::new("clip", "embedding")).unwrap();
        let err = StatsFile::merge(&[("a.npz", a.clone()), ("b.npz", b)])
            .unwrap_err()
            .to_string();
        assert!(err.contains("network: inception vs clip"), "{err}");
        let merged = StatsFile::merge(&[("a.npz", a.clone()), ("a2.npz", a)]).unwrap();
        assert_eq!(merged.gaussian.count, 20);
    }

    #[test]
    fn missing_arrays_are_named() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("x.npz");
        let mut w = NpzWriter::default();
        w.f64("mean", &[2], &[0.0, 1.0]);
        w.write(&path).unwrap();
        let err = StatsFile::read(&path).unwrap_err().to_string();
        assert!(
            err.contains("`mu` and `sigma`") && err.contains("mean"),
            "{err}"
        );
        std::fs::write(&path, b"PK not really").unwrap();
        assert!(
            StatsFile::read(&path)
                .unwrap_err()
                .to_string()
                .contains("not an .npz")
        );
    }
}
