//! Output files, written atomically (temporary file in the same directory, then rename) and never
//! replacing an existing file unless asked to.

use std::io::Write;
use std::path::Path;

use image::{ImageFormat, RgbImage};

use crate::error::HeatmapError;

/// Whether an existing file may be replaced.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Overwrite {
    /// Fail with [`HeatmapError::Exists`] if the file exists.
    #[default]
    Never,
    /// Replace it (atomically).
    Allow,
}

/// Writes `bytes` to `path` atomically.
pub fn write_atomic(path: &Path, bytes: &[u8], overwrite: Overwrite) -> Result<(), HeatmapError> {
    let io = |action| {
        move |source| HeatmapError::Io {
            action,
            path: path.to_path_buf(),
            source,
        }
    };
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    if overwrite == Overwrite::Never && path.exists() {
        return Err(HeatmapError::Exists(path.to_path_buf()));
    }
    let mut tmp = tempfile::Builder::new()
        .prefix(".fidlab-")
        .tempfile_in(dir)
        .map_err(io("creating a temporary file for"))?;
    tmp.write_all(bytes).map_err(io("writing"))?;
    tmp.as_file().sync_all().map_err(io("syncing"))?;
    match overwrite {
        Overwrite::Allow => tmp.persist(path).map(|_| ()),
        Overwrite::Never => tmp.persist_noclobber(path).map(|_| ()),
    }
    .map_err(|e| {
        if e.error.kind() == std::io::ErrorKind::AlreadyExists {
            HeatmapError::Exists(path.to_path_buf())
        } else {
            io("renaming into")(e.error)
        }
    })
}

/// Writes an RGB image as PNG.
pub fn write_png(path: &Path, image: &RgbImage, overwrite: Overwrite) -> Result<(), HeatmapError> {
    let mut buf = std::io::Cursor::new(Vec::new());
    image
        .write_to(&mut buf, ImageFormat::Png)
        .map_err(|source| HeatmapError::Encode {
            path: path.to_path_buf(),
            source,
        })?;
    write_atomic(path, buf.get_ref(), overwrite)
}

/// Writes a C-ordered `f32` array of the given shape as `.npy` (`<f4`).
///
/// # Panics
/// If `data.len()` is not the product of `shape` (a programmer error).
pub fn write_npy_f32(
    path: &Path,
    shape: &[u64],
    data: &[f32],
    overwrite: Overwrite,
) -> Result<(), HeatmapError> {
    use npyz::WriterBuilder;
    assert_eq!(
        shape.iter().product::<u64>(),
        data.len() as u64,
        "shape does not match the data"
    );
    let mut buf = Vec::new();
    let io = |source| HeatmapError::Io {
        action: "encoding",
        path: path.to_path_buf(),
        source,
    };
    {
        let mut writer = npyz::WriteOptions::<f32>::new()
            .default_dtype()
            .shape(shape)
            .writer(&mut buf)
            .begin_nd()
            .map_err(io)?;
        writer.extend(data.iter().copied()).map_err(io)?;
        writer.finish().map_err(io)?;
    }
    write_atomic(path, &buf, overwrite)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refuses_to_overwrite_unless_allowed() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("a.bin");
        write_atomic(&p, b"one", Overwrite::Never).unwrap();
        assert!(matches!(
            write_atomic(&p, b"two", Overwrite::Never),
            Err(HeatmapError::Exists(_))
        ));
        assert_eq!(std::fs::read(&p).unwrap(), b"one");
        write_atomic(&p, b"two", Overwrite::Allow).unwrap();
        assert_eq!(std::fs::read(&p).unwrap(), b"two");
        // No temporary files are left behind.
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
    }

    #[test]
    fn npy_round_trip() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("m.npy");
        let data: Vec<f32> = (0..6).map(|i| i as f32 * 0.5).collect();
        write_npy_f32(&p, &[2, 3], &data, Overwrite::Never).unwrap();
        let bytes = std::fs::read(&p).unwrap();
        let npy = npyz::NpyFile::new(&bytes[..]).unwrap();
        assert_eq!(npy.shape(), &[2, 3]);
        assert_eq!(npy.into_vec::<f32>().unwrap(), data);
    }
}
