//! Format detection and the entry points that read a whole file.

use std::path::Path;

use super::blob::Blob;
use super::context::{Context, NoPersistent};
use super::error::{PickleError, Result};
use super::limits::Limits;
use super::tree::{self, ModuleNode};
use super::{archive, legacy, machine};

/// The container format of a file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// A plain `pickle.dump` file.
    Pickle,
    /// A legacy (non-zip) `torch.save` file.
    LegacyTorchSave,
    /// A zip `torch.save` file.
    ZipTorchSave,
    /// A TorchScript archive (`torch.jit.save`).
    TorchScript,
}

impl Format {
    /// Human-readable name.
    pub fn name(self) -> &'static str {
        match self {
            Format::Pickle => "pickle",
            Format::LegacyTorchSave => "legacy torch.save",
            Format::ZipTorchSave => "zip torch.save",
            Format::TorchScript => "TorchScript archive",
        }
    }
}

/// A file read into a module tree.
#[derive(Debug, Clone)]
pub struct Checkpoint {
    /// The container format.
    pub format: Format,
    /// The top-level object.
    pub root: ModuleNode,
}

/// The entry a snapshot dict is converted by default: the generator with averaged weights.
pub const DEFAULT_KEY: &str = "G_ema";

impl Checkpoint {
    /// The network at dotted path `key`, or by default `G_ema` when the top level has it, else the top level.
    /// Returns the path used and the node.
    pub fn network(&self, key: Option<&str>) -> Result<(String, &ModuleNode)> {
        let key = match key {
            Some(k) => k.to_owned(),
            None if self.root.find(DEFAULT_KEY).is_some() => DEFAULT_KEY.to_owned(),
            None => String::new(),
        };
        match self.root.find(&key) {
            Some(node) => Ok((key, node)),
            None => Err(PickleError::MissingKey {
                key,
                available: self
                    .root
                    .children
                    .iter()
                    .map(|(n, _)| n.as_str())
                    .collect::<Vec<_>>()
                    .join(", "),
            }),
        }
    }
}

/// Reads a file (pickle, `torch.save` or TorchScript archive).
pub fn load_file(path: impl AsRef<Path>) -> Result<Checkpoint> {
    let path = path.as_ref();
    let bytes = std::fs::read(path).map_err(|source| PickleError::Io {
        path: path.to_owned(),
        source,
    })?;
    load_bytes(bytes)
}

/// Reads a file's bytes with [`Limits::for_input`].
pub fn load_bytes(bytes: Vec<u8>) -> Result<Checkpoint> {
    let limits = Limits::for_input(bytes.len());
    load_bytes_with(bytes, limits)
}

/// Reads a file's bytes with explicit limits.
pub fn load_bytes_with(bytes: Vec<u8>, limits: Limits) -> Result<Checkpoint> {
    let data = Blob::new(bytes);
    let mut ctx = Context::new(limits);
    let s = data.as_slice();
    if archive::looks_zip(s) {
        let contents = archive::load(&mut ctx, &data)?;
        let root = tree::build(&ctx, &contents.data, contents.constants.as_ref())?;
        let format = if contents.torchscript {
            Format::TorchScript
        } else {
            Format::ZipTorchSave
        };
        return Ok(Checkpoint { format, root });
    }
    if legacy::looks_legacy(s) {
        let v = legacy::load(&mut ctx, &data)?;
        let root = tree::build(&ctx, &v, None)?;
        return Ok(Checkpoint {
            format: Format::LegacyTorchSave,
            root,
        });
    }
    if !looks_pickle(s) {
        let head: Vec<String> = s.iter().take(8).map(|b| format!("{b:02x}")).collect();
        return Err(PickleError::NotAPickle(if head.is_empty() {
            "empty file".into()
        } else {
            head.join(" ")
        }));
    }
    let (v, _) = machine::unpickle(&mut ctx, &data, 0, &mut NoPersistent)?;
    let root = tree::build(&ctx, &v, None)?;
    Ok(Checkpoint {
        format: Format::Pickle,
        root,
    })
}

/// Protocol 2+ pickles start with `PROTO n`; protocol 0/1 ones with a container or `GLOBAL` opcode.
fn looks_pickle(s: &[u8]) -> bool {
    match s {
        [0x80, p, ..] => (2..=5).contains(p),
        [first, ..] => b"(}]c)".contains(first),
        [] => false,
    }
}
