//! State shared by every pickle stream of one file: the arena, the limits and the allocation budget.

use std::collections::HashMap;

use super::error::{PickleError, Result};
use super::limits::Limits;
use super::value::{Arena, Value};

/// Resolves persistent ids (`PERSID` / `BINPERSID`), which differ between file formats.
pub trait PersistentLoad {
    /// Turns the persistent id `pid` into a value (usually a storage).
    fn load(&mut self, ctx: &mut Context, pid: Value) -> Result<Value>;
}

/// Rejects every persistent id: plain `pickle.dump` files have none.
pub struct NoPersistent;

impl PersistentLoad for NoPersistent {
    fn load(&mut self, _ctx: &mut Context, _pid: Value) -> Result<Value> {
        Err(PickleError::Unsupported(
            "persistent id in a plain pickle (the file needs a torch.load context)".into(),
        ))
    }
}

/// Unpickling state for one file.
pub struct Context {
    /// Containers and objects.
    pub arena: Arena,
    /// Resource limits.
    pub limits: Limits,
    /// Bytes copied so far.
    alloc_used: u64,
    /// Current nesting of embedded `torch.save` blobs.
    pub nesting: usize,
    /// Embedded blobs already parsed, by identity: each is parsed once however often it is referenced.
    pub blob_cache: HashMap<(usize, usize, usize), Value>,
}

impl Context {
    /// A fresh context.
    pub fn new(limits: Limits) -> Self {
        Self {
            arena: Arena::default(),
            limits,
            alloc_used: 0,
            nesting: 0,
            blob_cache: HashMap::new(),
        }
    }

    /// Accounts for `bytes` copied bytes; fails once the budget is exhausted.
    pub fn charge(&mut self, bytes: u64) -> Result<()> {
        self.alloc_used = self.alloc_used.saturating_add(bytes);
        if self.alloc_used > self.limits.max_alloc {
            return Err(PickleError::Limit(format!(
                "more than {} bytes allocated while reading",
                self.limits.max_alloc
            )));
        }
        Ok(())
    }
}
