//! Known weight files: a typed catalogue, a checksum-verified cache, and the reading of tensor files
//! (`.pth` state dicts, safetensors) into a name → [`TensorData`] map that every model loader takes.
//!
//! The cache directory is `$FIDLAB_CACHE` if set, else the user cache dir (`~/.cache/fidlab` on Linux).
//! A file lands in the cache only complete and verified: it is downloaded to a temporary file in the
//! same directory, hashed, and renamed into place.

use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};

use burn::tensor::{DType, TensorData};
use sha2::{Digest, Sha256};

/// A published weight file fidlab knows how to fetch and verify.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WeightsFile {
    /// Path relative to the cache directory (`<model>/<file>`).
    pub file_name: &'static str,
    /// Where it is downloaded from.
    pub url: &'static str,
    /// Lower-case hex SHA-256 of the file.
    pub sha256: &'static str,
    /// Size in bytes, for progress reporting and an early sanity check.
    pub size: u64,
    /// Licence of the weights.
    pub licence: &'static str,
    /// Where the file comes from and what it contains.
    pub provenance: &'static str,
}

/// Errors of the weights cache and of tensor-file reading.
#[derive(Debug, thiserror::Error)]
pub enum WeightsError {
    /// No cache directory could be determined.
    #[error("no cache directory: set FIDLAB_CACHE")]
    NoCacheDir,
    /// A file could not be read or written.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
    /// The file is not in the cache and this build cannot download it.
    #[error(
        "weights `{file_name}` are not in the cache and this build cannot download them. Download\n  {url}\n\
         to\n  {expected}\n(SHA-256 {sha256}), or pass the file with `{flag} FILE`"
    )]
    NotCached {
        /// Catalogue file name.
        file_name: &'static str,
        /// Download URL.
        url: &'static str,
        /// Where the cache expects it.
        expected: PathBuf,
        /// Expected checksum.
        sha256: &'static str,
        /// The command-line flag that takes a local file instead.
        flag: &'static str,
    },
    /// The download failed (offline, proxy, HTTP error).
    #[error(
        "downloading {url} failed: {message}\nDownload it by hand to\n  {expected}\n(SHA-256 {sha256}), or pass the file with `{flag} FILE`"
    )]
    Download {
        /// Download URL.
        url: &'static str,
        /// What went wrong.
        message: String,
        /// Where the cache expects the file.
        expected: PathBuf,
        /// Expected checksum.
        sha256: &'static str,
        /// The command-line flag that takes a local file instead.
        flag: &'static str,
    },
    /// A file's checksum differs from the catalogue's.
    #[error(
        "{path}: SHA-256 is {actual}, expected {expected}; the file is corrupt or not `{file_name}`"
    )]
    Checksum {
        /// The file.
        path: PathBuf,
        /// Catalogue file name.
        file_name: &'static str,
        /// What the catalogue says.
        expected: &'static str,
        /// What the file hashes to.
        actual: String,
    },
    /// A `.pth` file could not be parsed.
    #[error("reading PyTorch file {path}: {source}")]
    Pytorch {
        /// The file.
        path: PathBuf,
        /// The reader's error.
        #[source]
        source: burn_store::pytorch_reader::PytorchError,
    },
    /// A tensor in a `.pth` file could not be read.
    #[error("reading tensor `{name}` of {path}: {message}")]
    Tensor {
        /// The file.
        path: PathBuf,
        /// The tensor.
        name: String,
        /// What went wrong.
        message: String,
    },
    /// A safetensors file could not be parsed.
    #[error("reading safetensors file {path}: {source}")]
    Safetensors {
        /// The file.
        path: PathBuf,
        /// The parser's error.
        #[source]
        source: safetensors::SafeTensorError,
    },
    /// A tensor has an element type fidlab does not load.
    #[error("{path}: tensor `{name}` has unsupported element type {dtype}")]
    UnsupportedDtype {
        /// The file.
        path: PathBuf,
        /// The tensor.
        name: String,
        /// Its element type.
        dtype: String,
    },
}

/// Environment variable that overrides the weights cache directory.
pub const CACHE_ENV: &str = "FIDLAB_CACHE";

/// `$FIDLAB_CACHE`, else `<user cache dir>/fidlab` (`~/.cache/fidlab` on Linux).
pub fn cache_dir() -> Result<PathBuf, WeightsError> {
    cache_dir_from(std::env::var_os(CACHE_ENV))
}

/// [`cache_dir`] given the value of `$FIDLAB_CACHE`.
fn cache_dir_from(var: Option<std::ffi::OsString>) -> Result<PathBuf, WeightsError> {
    match var {
        Some(dir) if !dir.is_empty() => Ok(PathBuf::from(dir)),
        _ => dirs::cache_dir()
            .map(|d| d.join("fidlab"))
            .ok_or(WeightsError::NoCacheDir),
    }
}

/// Opens the body of a URL for reading, or says why it cannot.
pub(crate) type Downloader = fn(&str) -> Result<Box<dyn Read>, String>;

/// The HTTPS client of this build; `None` without the `download` feature.
#[cfg(feature = "download")]
const HTTP_GET: Option<Downloader> = Some(|url| {
    let response = ureq::get(url).call().map_err(|e| e.to_string())?;
    Ok(Box::new(response.into_body().into_reader()))
});
#[cfg(not(feature = "download"))]
const HTTP_GET: Option<Downloader> = None;

impl WeightsFile {
    /// Where this file lives in the cache.
    pub fn cache_path(&self) -> Result<PathBuf, WeightsError> {
        Ok(cache_dir()?.join(self.file_name))
    }

    /// The cached file, verified; downloaded first if missing and this build has the `download` feature.
    /// `flag` names the command-line option that takes a local file instead (used in error messages).
    ///
    /// A cached file whose checksum is wrong is an error, never silently replaced.
    pub fn fetch(&self, flag: &'static str) -> Result<PathBuf, WeightsError> {
        self.fetch_into(&cache_dir()?, flag)
    }

    /// [`fetch`](Self::fetch) with an explicit cache directory.
    pub fn fetch_into(&self, dir: &Path, flag: &'static str) -> Result<PathBuf, WeightsError> {
        self.fetch_with(dir, flag, HTTP_GET)
    }

    /// [`fetch_into`](Self::fetch_into) with the downloader spelled out (tests pass fakes).
    pub(crate) fn fetch_with(
        &self,
        dir: &Path,
        flag: &'static str,
        get: Option<Downloader>,
    ) -> Result<PathBuf, WeightsError> {
        let path = dir.join(self.file_name);
        if path.exists() {
            self.verify(&path)?;
            return Ok(path);
        }
        let Some(get) = get else {
            return Err(WeightsError::NotCached {
                file_name: self.file_name,
                url: self.url,
                expected: path,
                sha256: self.sha256,
                flag,
            });
        };
        let fail = |message: String| WeightsError::Download {
            url: self.url,
            message,
            expected: path.clone(),
            sha256: self.sha256,
            flag,
        };
        let mut reader = get(self.url).map_err(fail)?;
        write_verified(&path, self, &mut reader).map_err(|e| match e {
            WeightsError::Io { source, .. } => fail(source.to_string()),
            other => other,
        })?;
        Ok(path)
    }

    /// Checks a file against the catalogue checksum.
    pub fn verify(&self, path: &Path) -> Result<(), WeightsError> {
        let actual = sha256_file(path)?;
        if actual != self.sha256 {
            return Err(WeightsError::Checksum {
                path: path.to_path_buf(),
                file_name: self.file_name,
                expected: self.sha256,
                actual,
            });
        }
        Ok(())
    }
}

/// Streams `reader` into a temporary file beside `path`, checks its SHA-256 against `file`, then renames
/// it to `path`. On any error the temporary file is removed and `path` is untouched.
pub fn write_verified(
    path: &Path,
    file: &WeightsFile,
    reader: &mut dyn Read,
) -> Result<(), WeightsError> {
    let io = |source| WeightsError::Io {
        path: path.to_path_buf(),
        source,
    };
    let dir = path.parent().unwrap_or_else(|| Path::new("."));
    std::fs::create_dir_all(dir).map_err(io)?;
    let mut tmp = tempfile::NamedTempFile::new_in(dir).map_err(io)?;
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; 1 << 20];
    loop {
        let n = reader.read(&mut buf).map_err(io)?;
        if n == 0 {
            break;
        }
        hasher.update(&buf[..n]);
        tmp.write_all(&buf[..n]).map_err(io)?;
    }
    let actual = hex(&hasher.finalize());
    if actual != file.sha256 {
        return Err(WeightsError::Checksum {
            path: tmp.path().to_path_buf(),
            file_name: file.file_name,
            expected: file.sha256,
            actual,
        });
    }
    tmp.as_file().sync_all().map_err(io)?;
    tmp.persist(path).map_err(|e| io(e.error))?;
    Ok(())
}

/// Lower-case hex SHA-256 of a file's contents (the provenance fidlab records for weights).
pub fn sha256_file(path: &Path) -> Result<String, WeightsError> {
    let io = |source| WeightsError::Io {
        path: path.to_path_buf(),
        source,
    };
    let mut f = std::fs::File::open(path).map_err(io)?;
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; 1 << 20];
    loop {
        let n = f.read(&mut buf).map_err(io)?;
        if n == 0 {
            break;
        }
        hasher.update(&buf[..n]);
    }
    Ok(hex(&hasher.finalize()))
}

/// Lower-case hex of a digest.
pub(crate) fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// A checkpoint as a map from tensor name to its values, in the file's own element type.
pub type TensorMap = BTreeMap<String, TensorData>;

/// Reads every tensor of a `torch.save` state dict (zip or legacy format; nested dicts give dotted
/// names) with burn-store's PyTorch reader.
pub fn read_pth(path: &Path) -> Result<TensorMap, WeightsError> {
    let reader = burn_store::pytorch_reader::PytorchReader::new(path).map_err(|source| {
        WeightsError::Pytorch {
            path: path.to_path_buf(),
            source,
        }
    })?;
    reader
        .into_tensors()
        .into_iter()
        .map(|(name, tensor)| {
            let data = burn_store::bridge::into_data(burn_store::bridge::from_pytorch(tensor))
                .map_err(|e| WeightsError::Tensor {
                    path: path.to_path_buf(),
                    name: name.clone(),
                    message: e.to_string(),
                })?;
            Ok((name, data))
        })
        .collect()
}

/// Reads every tensor of a safetensors file (floating-point and integer element types).
pub fn read_safetensors(path: &Path) -> Result<TensorMap, WeightsError> {
    let bytes = std::fs::read(path).map_err(|source| WeightsError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    let st = safetensors::SafeTensors::deserialize(&bytes).map_err(|source| {
        WeightsError::Safetensors {
            path: path.to_path_buf(),
            source,
        }
    })?;
    st.tensors()
        .into_iter()
        .map(|(name, view)| {
            use safetensors::Dtype as S;
            let dtype = match view.dtype() {
                S::F64 => DType::F64,
                S::F32 => DType::F32,
                S::F16 => DType::F16,
                S::BF16 => DType::BF16,
                S::I64 => DType::I64,
                S::I32 => DType::I32,
                S::U8 => DType::U8,
                other => {
                    return Err(WeightsError::UnsupportedDtype {
                        path: path.to_path_buf(),
                        name,
                        dtype: format!("{other:?}"),
                    });
                }
            };
            let data =
                TensorData::from_bytes_vec(view.data().to_vec(), view.shape().to_vec(), dtype);
            Ok((name, data))
        })
        .collect()
}

/// Reads a `.safetensors` file (by extension or magic) or else a `torch.save` state dict.
pub fn read_tensor_file(path: &Path) -> Result<TensorMap, WeightsError> {
    if path
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("safetensors"))
    {
        read_safetensors(path)
    } else {
        read_pth(path)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const FAKE: WeightsFile = WeightsFile {
        file_name: "fake.bin",
        url: "https://example.invalid/fake.bin",
        // SHA-256 of b"abc".
        sha256: "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
        size: 3,
        licence: "none",
        provenance: "test",
    };

    #[test]
    fn verified_write_is_atomic_and_checked() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("sub").join("fake.bin");
        let err = write_verified(&path, &FAKE, &mut &b"abd"[..]).unwrap_err();
        assert!(matches!(err, WeightsError::Checksum { .. }), "{err}");
        assert!(!path.exists());
        assert_eq!(
            std::fs::read_dir(path.parent().unwrap()).unwrap().count(),
            0,
            "temporary file left behind"
        );
        write_verified(&path, &FAKE, &mut &b"abc"[..]).unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), b"abc");
        assert_eq!(sha256_file(&path).unwrap(), FAKE.sha256);
    }

    #[test]
    fn cache_dir_honours_env() {
        let dir = std::env::temp_dir().join("fidlab-cache-test");
        assert_eq!(
            cache_dir_from(Some(dir.clone().into_os_string())).unwrap(),
            dir
        );
        if let Ok(default) = cache_dir_from(None) {
            assert!(default.ends_with("fidlab"));
        }
    }

    fn offline(_url: &str) -> Result<Box<dyn Read>, String> {
        Err("connection refused".to_string())
    }

    /// Serves the bytes FAKE's checksum is of.
    fn serves_abc(_url: &str) -> Result<Box<dyn Read>, String> {
        Ok(Box::new(&b"abc"[..]))
    }

    /// Serves other bytes.
    fn serves_abd(_url: &str) -> Result<Box<dyn Read>, String> {
        Ok(Box::new(&b"abd"[..]))
    }

    #[test]
    fn offline_and_no_download_errors_name_url_path_and_flag() {
        let dir = tempfile::tempdir().unwrap();
        let expected = dir.path().join(FAKE.file_name);
        for get in [Some(offline as Downloader), None] {
            let err = FAKE
                .fetch_with(dir.path(), "--fake-weights", get)
                .unwrap_err()
                .to_string();
            for part in [
                FAKE.url,
                &expected.display().to_string(),
                FAKE.sha256,
                "--fake-weights FILE",
            ] {
                assert!(err.contains(part), "{part:?} missing from: {err}");
            }
            assert!(get.is_none() || err.contains("connection refused"), "{err}");
        }
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
    }

    #[test]
    fn download_lands_only_when_the_hash_matches_and_a_bad_cache_is_kept() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(FAKE.file_name);
        let err = FAKE
            .fetch_with(dir.path(), "--w", Some(serves_abd))
            .unwrap_err();
        assert!(matches!(err, WeightsError::Checksum { .. }), "{err}");
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
        let got = FAKE
            .fetch_with(dir.path(), "--w", Some(serves_abc))
            .unwrap();
        assert_eq!(got, path);
        assert_eq!(std::fs::read(&path).unwrap(), b"abc");
        // A cached, verified file is used without downloading.
        assert_eq!(
            FAKE.fetch_with(dir.path(), "--w", Some(offline)).unwrap(),
            path
        );
        // A corrupt cached file is an error and stays as it is.
        std::fs::write(&path, b"xyz").unwrap();
        let err = FAKE
            .fetch_with(dir.path(), "--w", Some(serves_abc))
            .unwrap_err();
        assert!(matches!(err, WeightsError::Checksum { .. }), "{err}");
        assert_eq!(std::fs::read(&path).unwrap(), b"xyz");
    }
}
