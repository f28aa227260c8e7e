//! Folders of images, walked recursively like Python's `os.walk` (the seed's folder mode).

use std::fs;
use std::path::{Path, PathBuf};

use super::DatasetError;

/// Lists every file under `root` as `(name, full path)`, where `name` is the path relative to
/// `root` joined with `/`.
///
/// As `os.walk(root)` with its defaults: hidden files are included; symbolic links to files are
/// listed, symbolic links to folders are not followed. Names that are not valid UTF-8 are kept
/// for reading but shown (and sorted) lossily, with U+FFFD.
pub(super) fn list(root: &Path) -> Result<Vec<(String, PathBuf)>, DatasetError> {
    let mut files = Vec::new();
    let mut pending = vec![(String::new(), root.to_path_buf())];
    while let Some((prefix, dir)) = pending.pop() {
        let io_error = |source| DatasetError::io(&dir, source);
        for entry in fs::read_dir(&dir).map_err(io_error)? {
            let entry = entry.map_err(io_error)?;
            let name = format!("{prefix}{}", entry.file_name().to_string_lossy());
            let path = entry.path();
            // `file_type` does not follow links: a link to a folder is not descended into.
            if entry.file_type().map_err(io_error)?.is_dir() {
                pending.push((format!("{name}/"), path));
            } else {
                files.push((name, path));
            }
        }
    }
    Ok(files)
}

/// Reads one image file in full.
pub(super) fn read_file(path: &Path) -> Result<Vec<u8>, DatasetError> {
    fs::read(path).map_err(|source| DatasetError::io(path, source))
}
