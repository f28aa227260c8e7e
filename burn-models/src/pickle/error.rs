//! Errors of the pickle reader.

use std::path::PathBuf;

/// Everything that can go wrong while reading a pickle, a `torch.save` file or a TorchScript archive.
///
/// Malformed or hostile input always ends here: the reader never panics on file contents.
#[derive(Debug, thiserror::Error)]
pub enum PickleError {
    /// The file could not be read.
    #[error("cannot read {}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// The underlying error.
        #[source]
        source: std::io::Error,
    },
    /// The bytes are neither a pickle nor a zip archive.
    #[error("not a pickle, torch.save or TorchScript file (first bytes: {0})")]
    NotAPickle(String),
    /// The input ends before a value that an opcode announces.
    #[error("truncated input at offset {offset}: {what} needs {needed} bytes, {available} left")]
    Truncated {
        /// Offset of the value in the pickle stream.
        offset: usize,
        /// What was being read.
        what: &'static str,
        /// Bytes needed.
        needed: u64,
        /// Bytes left.
        available: usize,
    },
    /// An opcode that no pickle protocol defines.
    #[error("invalid pickle opcode 0x{opcode:02x} at offset {offset}")]
    BadOpcode {
        /// The byte.
        opcode: u8,
        /// Its offset.
        offset: usize,
    },
    /// A structurally invalid pickle (stack underflow, wrong operand type, …).
    #[error("malformed pickle at offset {offset}: {msg}")]
    Malformed {
        /// Offset of the opcode.
        offset: usize,
        /// What is wrong.
        msg: String,
    },
    /// A resource limit (stack, memo, nesting, allocation) was hit.
    #[error("limit exceeded: {0}")]
    Limit(String),
    /// Valid input that this reader does not handle.
    #[error("unsupported: {0}")]
    Unsupported(String),
    /// A malformed legacy `torch.save` blob.
    #[error("malformed torch.save data: {0}")]
    Legacy(String),
    /// The zip container could not be read.
    #[error("zip archive")]
    Zip(#[from] zip::result::ZipError),
    /// A zip archive that is not a `torch.save` / TorchScript archive.
    #[error("malformed archive: {0}")]
    Archive(String),
    /// A tensor whose view does not fit its storage, or an invalid dtype/shape.
    #[error("tensor `{name}`: {msg}")]
    Tensor {
        /// Dotted tensor name (empty while unpickling).
        name: String,
        /// What is wrong.
        msg: String,
    },
    /// No entry of that name in the module tree.
    #[error("no entry `{key}` in the file; top-level entries: {available}")]
    MissingKey {
        /// The requested key.
        key: String,
        /// Comma-separated available keys.
        available: String,
    },
}

/// Result alias of the pickle reader.
pub type Result<T> = std::result::Result<T, PickleError>;
