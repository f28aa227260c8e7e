//! Minimal `.npz` support: a zip of `.npy` members, as `np.savez` writes it (stored, not deflated).

use std::collections::BTreeMap;
use std::io::{Cursor, Read, Write};
use std::path::Path;

use npyz::WriterBuilder;

use crate::error::FidError;

/// Writes one `.npy` array (`shape`, row-major `data`) to `w`.
pub fn write_npy_to<T: npyz::AutoSerialize + Copy>(
    w: &mut Vec<u8>,
    shape: &[u64],
    data: &[T],
) -> std::io::Result<()> {
    let mut writer = npyz::WriteOptions::new()
        .default_dtype()
        .shape(shape)
        .writer(w)
        .begin_nd()?;
    writer.extend(data.iter().copied())?;
    writer.finish()
}

/// The numpy type code of a dtype without byte order or quotes, e.g. `f4`, `i8`.
pub fn dtype_code(dtype: &npyz::DType) -> String {
    dtype
        .descr()
        .trim_matches(|c| c == '\'' || c == '"')
        .trim_start_matches(['<', '>', '=', '|'])
        .to_string()
}

/// An array read from an `.npz` member, widened to f64.
#[derive(Debug, Clone, PartialEq)]
pub struct Array {
    /// Shape as stored.
    pub shape: Vec<u64>,
    /// Values, row-major, as f64.
    pub data: Vec<f64>,
}

/// The members of an `.npz` file, by name without the `.npy` suffix.
#[derive(Debug, Default)]
pub struct Npz {
    members: BTreeMap<String, Vec<u8>>,
}

impl Npz {
    /// Reads every member of an `.npz` file into memory.
    pub fn read(path: &Path) -> Result<Self, FidError> {
        let bad = |reason: String| FidError::BadFile {
            path: path.to_path_buf(),
            reason,
        };
        let file = std::fs::File::open(path).map_err(|e| FidError::io(path, e))?;
        let size = file.metadata().map_err(|e| FidError::io(path, e))?.len();
        let mut zip =
            zip::ZipArchive::new(file).map_err(|e| bad(format!("not an .npz (zip) file: {e}")))?;
        let mut members = BTreeMap::new();
        for i in 0..zip.len() {
            let mut f = zip
                .by_index(i)
                .map_err(|e| bad(format!("corrupt member {i}: {e}")))?;
            let name = f
                .name()
                .map_err(|e| bad(format!("member {i}: {e}")))?
                .trim_end_matches(".npy")
                .to_string();
            if f.size() > size.saturating_mul(1100) {
                return Err(bad(format!("member {name} claims an implausible size")));
            }
            let mut buf = Vec::with_capacity(f.size() as usize);
            f.read_to_end(&mut buf)
                .map_err(|e| bad(format!("member {name}: {e}")))?;
            members.insert(name, buf);
        }
        Ok(Self { members })
    }

    /// Names of the arrays.
    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.members.keys().map(String::as_str)
    }

    /// True if the array exists.
    pub fn contains(&self, name: &str) -> bool {
        self.members.contains_key(name)
    }

    /// A numeric array widened to f64 (f32, f64, integer and bool dtypes).
    pub fn array(&self, name: &str) -> Result<Option<Array>, String> {
        let Some(bytes) = self.members.get(name) else {
            return Ok(None);
        };
        let npy = npyz::NpyFile::new(&bytes[..]).map_err(|e| format!("array {name}: {e}"))?;
        if npy.order() != npyz::Order::C && npy.shape().len() > 1 {
            return Err(format!("array {name}: Fortran order is not supported"));
        }
        let shape = npy.shape().to_vec();
        let err = |e: std::io::Error| format!("array {name}: {e}");
        let data: Vec<f64> = match dtype_code(&npy.dtype()).as_str() {
            "f8" => npy.into_vec::<f64>().map_err(err)?,
            "f4" => npy
                .into_vec::<f32>()
                .map_err(err)?
                .into_iter()
                .map(f64::from)
                .collect(),
            "i8" => npy
                .into_vec::<i64>()
                .map_err(err)?
                .into_iter()
                .map(|x| x as f64)
                .collect(),
            "u8" => npy
                .into_vec::<u64>()
                .map_err(err)?
                .into_iter()
                .map(|x| x as f64)
                .collect(),
            "i4" => npy
                .into_vec::<i32>()
                .map_err(err)?
                .into_iter()
                .map(f64::from)
                .collect(),
            other => return Err(format!("array {name}: unsupported dtype {other}")),
        };
        Ok(Some(Array { shape, data }))
    }

    /// Raw bytes of a `uint8` array (used for JSON text).
    pub fn bytes(&self, name: &str) -> Result<Option<Vec<u8>>, String> {
        let Some(bytes) = self.members.get(name) else {
            return Ok(None);
        };
        let npy = npyz::NpyFile::new(&bytes[..]).map_err(|e| format!("array {name}: {e}"))?;
        npy.into_vec::<u8>()
            .map(Some)
            .map_err(|e| format!("array {name}: {e}"))
    }
}

/// Builds an `.npz` in memory.
#[derive(Default)]
pub struct NpzWriter {
    members: Vec<(String, Vec<u8>)>,
}

impl NpzWriter {
    /// Adds an f64 array.
    pub fn f64(&mut self, name: &str, shape: &[u64], data: &[f64]) -> &mut Self {
        self.add(name, shape, data)
    }

    /// Adds an array of any numpy-serialisable scalar type.
    pub fn add<T: npyz::AutoSerialize + Copy>(
        &mut self,
        name: &str,
        shape: &[u64],
        data: &[T],
    ) -> &mut Self {
        let mut buf = Vec::new();
        write_npy_to(&mut buf, shape, data).expect("writing to a Vec cannot fail");
        self.members.push((format!("{name}.npy"), buf));
        self
    }

    /// The `.npz` bytes.
    pub fn finish(&self) -> Vec<u8> {
        let mut zip = zip::ZipWriter::new(Cursor::new(Vec::new()));
        let options = zip::write::SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Stored)
            .large_file(
                self.members
                    .iter()
                    .any(|(_, b)| b.len() as u64 >= u32::MAX as u64),
            );
        for (name, bytes) in &self.members {
            zip.start_file(name.as_str(), options)
                .expect("in-memory zip");
            zip.write_all(bytes).expect("in-memory zip");
        }
        zip.finish().expect("in-memory zip").into_inner()
    }

    /// Writes the `.npz` atomically.
    pub fn write(&self, path: &Path) -> Result<(), FidError> {
        crate::atomic::write(path, &self.finish())
    }
}
