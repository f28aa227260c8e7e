//! Zip archives (StyleGAN2-ADA `dataset_tool.py` layout or any zip of images).
//!
//! The central directory is parsed once; decoding threads each hold a cheap clone of the archive
//! (shared directory, own file cursor) that reads with positional reads (`pread`), so members are
//! read and inflated in parallel without reopening or re-parsing the archive.

use std::fs::File;
use std::io::{self, Read, Seek, SeekFrom};
use std::path::Path;
use std::sync::Arc;

use ::zip::ZipArchive;

use super::DatasetError;
use super::error::DecodeSource;

/// A zip archive whose readers can be cloned per thread.
pub(super) type SharedZip = ZipArchive<SharedFile>;

/// Opens `path` as a zip and lists its members as `(name, member index)` in archive order.
pub(super) fn open(path: &Path) -> Result<(SharedZip, Vec<(String, usize)>), DatasetError> {
    let not_a_zip = |source| DatasetError::NotAZip {
        path: path.to_path_buf(),
        source,
    };
    let file = File::open(path)
        .and_then(SharedFile::new)
        .map_err(|source| DatasetError::io(path, source))?;
    let archive = ZipArchive::new(file).map_err(not_a_zip)?;
    let mut members = Vec::with_capacity(archive.len());
    for index in 0..archive.len() {
        // Names are UTF-8 when the archive says so, CP437 otherwise (as Python's zipfile).
        let name = archive
            .name_for_index(index)
            .ok_or(::zip::result::ZipError::FileNotFound)
            .and_then(|name| name)
            .map_err(not_a_zip)?;
        members.push((name.into_owned(), index));
    }
    Ok((archive, members))
}

/// Reads (and inflates, checking the CRC) member `index` in full.
pub(super) fn read_member(archive: &mut SharedZip, index: usize) -> Result<Vec<u8>, DecodeSource> {
    let mut member = archive.by_index(index)?;
    // The size comes from the archive: trust it for a first allocation only.
    let mut bytes = Vec::with_capacity(member.size().min(1 << 26) as usize);
    member.read_to_end(&mut bytes)?;
    Ok(bytes)
}

/// A `Read + Seek` view of a shared file with its own cursor, reading with positional reads so
/// clones on several threads never disturb each other.
#[derive(Clone, Debug)]
pub(super) struct SharedFile {
    file: Arc<File>,
    pos: u64,
    len: u64,
}

impl SharedFile {
    fn new(file: File) -> io::Result<Self> {
        let len = file.metadata()?.len();
        Ok(Self {
            file: Arc::new(file),
            pos: 0,
            len,
        })
    }
}

impl Read for SharedFile {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = read_at(&self.file, buf, self.pos)?;
        self.pos += n as u64;
        Ok(n)
    }
}

impl Seek for SharedFile {
    fn seek(&mut self, to: SeekFrom) -> io::Result<u64> {
        let (base, delta) = match to {
            SeekFrom::Start(offset) => (offset, 0),
            SeekFrom::End(delta) => (self.len, delta),
            SeekFrom::Current(delta) => (self.pos, delta),
        };
        self.pos = base.checked_add_signed(delta).ok_or_else(|| {
            io::Error::new(
                io::ErrorKind::InvalidInput,
                "seek before the start of the file",
            )
        })?;
        Ok(self.pos)
    }
}

#[cfg(unix)]
fn read_at(file: &File, buf: &mut [u8], offset: u64) -> io::Result<usize> {
    std::os::unix::fs::FileExt::read_at(file, buf, offset)
}

#[cfg(windows)]
fn read_at(file: &File, buf: &mut [u8], offset: u64) -> io::Result<usize> {
    // `seek_read` moves the OS cursor, which no reader here relies on.
    std::os::windows::fs::FileExt::seek_read(file, buf, offset)
}
