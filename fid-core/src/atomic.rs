//! Writing user files atomically: a temporary file in the same folder, then a rename.

use std::io::Write;
use std::path::Path;

use crate::error::FidError;

/// Writes `bytes` to `path` so that readers see either the old file or the complete new one,
/// never a partial write (the data is synced before the rename).
pub fn write(path: &Path, bytes: &[u8]) -> Result<(), FidError> {
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    let mut tmp = tempfile::Builder::new()
        .prefix(".fidlab-tmp-")
        .tempfile_in(dir)
        .map_err(|e| FidError::io(path, e))?;
    tmp.write_all(bytes).map_err(|e| FidError::io(path, e))?;
    tmp.as_file()
        .sync_all()
        .map_err(|e| FidError::io(path, e))?;
    tmp.persist(path).map_err(|e| FidError::io(path, e.error))?;
    Ok(())
}
