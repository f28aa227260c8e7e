//! Zip containers: `torch.save` files (PyTorch ≥ 1.6) and TorchScript archives (`torch.jit.save`).
//!
//! Both hold `<prefix>/data.pkl`, whose persistent ids `('storage', torch.<T>Storage, key, location, numel)`
//! name the member `<prefix>/data/<key>`; TorchScript archives add `<prefix>/constants.pkl` (storages in
//! `<prefix>/constants/<key>`) and `<prefix>/code/` (never read). Members are looked up by names we build
//! from validated keys and nothing is ever extracted to disk, so member paths cannot escape anywhere.

use std::collections::HashMap;
use std::io::{Cursor, Read};
use std::sync::Arc;

use zip::ZipArchive;

use super::blob::Blob;
use super::context::{Context, PersistentLoad};
use super::error::{PickleError, Result};
use super::legacy::parse_storage_pid;
use super::machine::unpickle;
use super::value::{Obj, Storage, StorageData, Value};

/// Deflate cannot expand data more than about 1032×; a larger declared size is a lie.
const MAX_DEFLATE_RATIO: u64 = 1100;

/// Whether the bytes start with a zip local-file header.
pub fn looks_zip(data: &[u8]) -> bool {
    data.starts_with(b"PK\x03\x04")
}

/// What a zip archive held.
pub struct ZipContents {
    /// The object of `data.pkl`.
    pub data: Value,
    /// The object of `constants.pkl` (TorchScript archives only).
    pub constants: Option<Value>,
    /// Whether the archive has TorchScript code (`<prefix>/code/`).
    pub torchscript: bool,
}

/// Reads a zip archive.
pub fn load(ctx: &mut Context, file: &Blob) -> Result<ZipContents> {
    let mut zip = ZipArchive::new(Cursor::new(file.as_slice()))?;
    let names: Vec<String> = zip
        .file_names()
        .filter_map(|n| n.ok().map(|n| n.into_owned()))
        .collect();
    let prefix = names
        .iter()
        .filter_map(|n| n.strip_suffix("/data.pkl"))
        .find(|p| !p.is_empty() && !p.contains('/'))
        .map(str::to_owned)
        .ok_or_else(|| PickleError::Archive("no <name>/data.pkl member".into()))?;
    let torchscript = names
        .iter()
        .any(|n| n.starts_with(&format!("{prefix}/code/")));
    if let Some(order) = names.iter().find(|n| **n == format!("{prefix}/byteorder")) {
        let order = read_member(ctx, &mut zip, order, file.len())?;
        if order.as_slice() != b"little" {
            return Err(PickleError::Unsupported(
                "big-endian torch.save archive".into(),
            ));
        }
    }
    let pkl = read_member(ctx, &mut zip, &format!("{prefix}/data.pkl"), file.len())?;
    let mut loader = ZipStorages {
        zip: &mut zip,
        prefix: format!("{prefix}/data"),
        file_len: file.len(),
        seen: HashMap::new(),
    };
    let (data, _) = unpickle(ctx, &pkl, 0, &mut loader)?;
    let constants_name = format!("{prefix}/constants.pkl");
    let constants = if names.contains(&constants_name) {
        let pkl = read_member(ctx, &mut zip, &constants_name, file.len())?;
        let mut loader = ZipStorages {
            zip: &mut zip,
            prefix: format!("{prefix}/constants"),
            file_len: file.len(),
            seen: HashMap::new(),
        };
        Some(unpickle(ctx, &pkl, 0, &mut loader)?.0)
    } else {
        None
    };
    Ok(ZipContents {
        data,
        constants,
        torchscript,
    })
}

/// Reads one member, refusing sizes that the archive cannot hold.
fn read_member(
    ctx: &mut Context,
    zip: &mut ZipArchive<Cursor<&[u8]>>,
    name: &str,
    file_len: usize,
) -> Result<Blob> {
    let member = zip.by_name(name)?;
    let size = member.size();
    let bound = match member.compression() {
        zip::CompressionMethod::Stored => member.compressed_size(),
        _ => member.compressed_size().saturating_mul(MAX_DEFLATE_RATIO),
    };
    if size > bound
        || (member.compression() == zip::CompressionMethod::Stored && size > file_len as u64)
    {
        return Err(PickleError::Archive(format!(
            "member {name}: declared size {size} exceeds what the archive holds"
        )));
    }
    ctx.charge(size)?;
    let mut buf = Vec::with_capacity(size as usize);
    member
        .take(size)
        .read_to_end(&mut buf)
        .map_err(|e| PickleError::Archive(format!("member {name}: {e}")))?;
    if buf.len() as u64 != size {
        return Err(PickleError::Archive(format!(
            "member {name}: {} bytes instead of {size}",
            buf.len()
        )));
    }
    Ok(Blob::new(buf))
}

/// Persistent ids of zip archives: storages in `<prefix>/data/<key>`, each read once.
struct ZipStorages<'z, 'a> {
    zip: &'z mut ZipArchive<Cursor<&'a [u8]>>,
    prefix: String,
    file_len: usize,
    seen: HashMap<String, Value>,
}

impl PersistentLoad for ZipStorages<'_, '_> {
    fn load(&mut self, ctx: &mut Context, pid: Value) -> Result<Value> {
        let (dtype, key, numel) = parse_storage_pid(ctx, &pid)?;
        if let Some(v) = self.seen.get(&key) {
            return Ok(v.clone());
        }
        if key.is_empty() || !key.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_') {
            return Err(PickleError::Archive(format!("invalid storage key {key:?}")));
        }
        let name = format!("{}/{key}", self.prefix);
        let blob = read_member(ctx, self.zip, &name, self.file_len)?;
        let nbytes = numel
            .checked_mul(dtype.size())
            .ok_or_else(|| PickleError::Archive(format!("storage {key}: size overflows")))?;
        let data = blob.slice(0, nbytes).ok_or_else(|| {
            PickleError::Archive(format!(
                "storage {key}: {nbytes} bytes announced, member has {}",
                blob.len()
            ))
        })?;
        let v = ctx.arena.alloc(Obj::Storage(Storage {
            dtype,
            numel,
            key: Arc::from(key.as_str()),
            data: StorageData::Ready(data),
        }));
        self.seen.insert(key, v.clone());
        Ok(v)
    }
}
