//! The legacy (non-zip) `torch.save` format, used for whole files written with
//! `_use_new_zipfile_serialization=False` and for every storage pickled by plain `pickle`
//! (`torch.storage._load_from_bytes(<blob>)`).
//!
//! Layout (torch/serialization.py `_legacy_save`): five consecutive pickles — the magic number
//! `0x1950a86a20f9469cfc6c`, the protocol version `1001`, a `sys_info` dict, the object (storages replaced by
//! persistent ids `('storage', torch.<T>Storage, key, location, numel, view_metadata)`), the list of storage
//! keys — then, for each key in that order, a little-endian `u64` element count and the raw bytes.

use std::collections::HashMap;
use std::sync::Arc;

use super::blob::Blob;
use super::context::{Context, NoPersistent, PersistentLoad};
use super::dtype::Dtype;
use super::error::{PickleError, Result};
use super::machine::unpickle;
use super::value::{Obj, ObjId, Storage, StorageData, Value};

/// `0x1950a86a20f9469cfc6c` as little-endian bytes (how `LONG1` stores it).
const MAGIC: [u8; 10] = [0x6c, 0xfc, 0x9c, 0x46, 0xf9, 0x20, 0x6a, 0xa8, 0x50, 0x19];
const PROTOCOL_VERSION: i64 = 1001;

/// Whether `data` starts like a legacy `torch.save` file (a pickle of the magic number).
pub fn looks_legacy(data: &[u8]) -> bool {
    let skip = if data.first() == Some(&0x80) { 2 } else { 0 };
    data.get(skip..skip + 2) == Some(&[0x8a, 10][..])
        && data.get(skip + 2..skip + 12) == Some(&MAGIC[..])
}

/// Parses a blob embedded by `torch.storage._load_from_bytes`; each distinct blob is parsed once.
pub fn load_embedded(ctx: &mut Context, blob: &Blob) -> Result<Value> {
    if let Some(v) = ctx.blob_cache.get(&blob.identity()) {
        return Ok(v.clone());
    }
    if ctx.nesting >= ctx.limits.max_nesting {
        return Err(PickleError::Limit(format!(
            "torch.save blobs nested deeper than {}",
            ctx.limits.max_nesting
        )));
    }
    ctx.nesting += 1;
    let result = load(ctx, blob);
    ctx.nesting -= 1;
    let v = result?;
    ctx.blob_cache.insert(blob.identity(), v.clone());
    Ok(v)
}

/// Parses a whole legacy `torch.save` blob and returns its object.
pub fn load(ctx: &mut Context, data: &Blob) -> Result<Value> {
    let (magic, pos) = unpickle(ctx, data, 0, &mut NoPersistent)?;
    match magic {
        Value::BigInt(b) if *b == MAGIC => {}
        _ => {
            return Err(PickleError::Legacy(
                "bad magic number (not a legacy torch.save file)".into(),
            ));
        }
    }
    let (version, pos) = unpickle(ctx, data, pos, &mut NoPersistent)?;
    if !matches!(version, Value::Int(PROTOCOL_VERSION)) {
        return Err(PickleError::Legacy(format!(
            "unsupported protocol version {version:?}"
        )));
    }
    let (sys_info, pos) = unpickle(ctx, data, pos, &mut NoPersistent)?;
    if let Some(d) = ctx.arena.dict(&sys_info)
        && matches!(d.get_str("little_endian"), Some(Value::Bool(false)))
    {
        return Err(PickleError::Unsupported(
            "big-endian torch.save file".into(),
        ));
    }
    let mut storages = LegacyStorages::default();
    let (obj, pos) = unpickle(ctx, data, pos, &mut storages)?;
    let (keys, mut pos) = unpickle(ctx, data, pos, &mut NoPersistent)?;
    let keys: Vec<Value> = ctx
        .arena
        .seq(&keys)
        .map(<[Value]>::to_vec)
        .ok_or_else(|| PickleError::Legacy("storage key list is not a list".into()))?;
    for key in keys {
        let key = key_string(&key)
            .ok_or_else(|| PickleError::Legacy("storage key is not a string".into()))?;
        let id = *storages.by_key.get(&key).ok_or_else(|| {
            PickleError::Legacy(format!("storage `{key}` listed but never referenced"))
        })?;
        let header = data.slice(pos, 8).ok_or_else(|| {
            PickleError::Legacy(format!("storage `{key}`: truncated size header"))
        })?;
        let mut n = [0u8; 8];
        n.copy_from_slice(header.as_slice());
        let numel = u64::from_le_bytes(n);
        pos += 8;
        let Some(Obj::Storage(storage)) = ctx.arena.get_mut(id) else {
            return Err(PickleError::Legacy(format!(
                "storage `{key}` is not a storage"
            )));
        };
        if numel != storage.numel as u64 {
            return Err(PickleError::Legacy(format!(
                "storage `{key}`: {numel} elements in the data, {} in the pickle",
                storage.numel
            )));
        }
        let nbytes = storage
            .numel
            .checked_mul(storage.dtype.size())
            .ok_or_else(|| PickleError::Legacy(format!("storage `{key}`: size overflows")))?;
        let bytes = data.slice(pos, nbytes).ok_or_else(|| {
            PickleError::Legacy(format!(
                "storage `{key}`: {nbytes} bytes announced, {} left",
                data.len() - pos
            ))
        })?;
        pos += nbytes;
        storage.data = StorageData::Ready(bytes);
    }
    Ok(obj)
}

fn key_string(v: &Value) -> Option<String> {
    match v {
        Value::Str(s) => Some(s.to_string()),
        Value::Bytes(b) => String::from_utf8(b.as_slice().to_vec()).ok(),
        Value::Int(i) => Some(i.to_string()),
        _ => None,
    }
}

/// Persistent ids of the legacy format: storages whose bytes follow the pickle.
#[derive(Default)]
struct LegacyStorages {
    by_key: HashMap<String, ObjId>,
}

impl PersistentLoad for LegacyStorages {
    fn load(&mut self, ctx: &mut Context, pid: Value) -> Result<Value> {
        let (dtype, key, numel) = parse_storage_pid(ctx, &pid)?;
        if let Some(&id) = self.by_key.get(&key) {
            return Ok(Value::Ref(id));
        }
        let v = ctx.arena.alloc(Obj::Storage(Storage {
            dtype,
            numel,
            key: Arc::from(key.as_str()),
            data: StorageData::Pending,
        }));
        if let Value::Ref(id) = v {
            self.by_key.insert(key, id);
        }
        Ok(v)
    }
}

/// `('storage', torch.<T>Storage, key, location, numel[, view_metadata])` → (dtype, key, numel).
pub fn parse_storage_pid(ctx: &Context, pid: &Value) -> Result<(Dtype, String, usize)> {
    let bad = |msg: &str| PickleError::Legacy(format!("persistent id: {msg}"));
    let items = ctx.arena.seq(pid).ok_or_else(|| bad("not a tuple"))?;
    match items.first() {
        Some(Value::Str(s)) if &**s == "storage" => {}
        Some(Value::Bytes(b)) if b.as_slice() == b"storage" => {}
        _ => return Err(bad("not a storage")),
    }
    if items.len() < 5 {
        return Err(bad("too short"));
    }
    let dtype = match &items[1] {
        Value::Global(g) => Dtype::from_storage_class(&g.module, &g.name)
            .ok_or_else(|| PickleError::Unsupported(format!("storage type {}", g.dotted())))?,
        _ => return Err(bad("storage type is not a class")),
    };
    let key = key_string(&items[2]).ok_or_else(|| bad("key is not a string"))?;
    let numel = match &items[4] {
        Value::Int(n) => usize::try_from(*n).map_err(|_| bad("negative size"))?,
        _ => return Err(bad("size is not an integer")),
    };
    if let Some(view) = items.get(5)
        && !matches!(view, Value::None)
    {
        return Err(PickleError::Unsupported(
            "storage views (torch < 0.4 files)".into(),
        ));
    }
    Ok((dtype, key, numel))
}
