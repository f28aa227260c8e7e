//! Resource limits that keep hostile files from exhausting memory, stack or time.

/// Limits applied while reading. [`Limits::for_input`] scales the allocation budget with the file size.
#[derive(Debug, Clone)]
pub struct Limits {
    /// Maximum pickle stack depth (values on the stack at once).
    pub max_stack: usize,
    /// Maximum number of pending MARKs.
    pub max_marks: usize,
    /// Maximum number of memo entries.
    pub max_memo: usize,
    /// Maximum nesting of `torch.storage._load_from_bytes` blobs inside a pickle.
    pub max_nesting: usize,
    /// Maximum recursion depth when turning objects into the module tree.
    pub max_depth: usize,
    /// Maximum number of values visited when building the module tree (guards against shared-reference
    /// expansion).
    pub max_tree_values: usize,
    /// Maximum bytes copied while unpickling and materialising tensors (views never copy).
    pub max_alloc: u64,
    /// Maximum bytes of one tensor that reads its storage more than once (zero or overlapping strides).
    pub max_expanded_tensor_bytes: u64,
}

impl Limits {
    /// Limits for an input of `len` bytes: copies are bounded by `8 × len + 64 MiB`.
    pub fn for_input(len: usize) -> Self {
        Self {
            max_stack: 1 << 20,
            max_marks: 1 << 16,
            max_memo: 1 << 24,
            max_nesting: 4,
            max_depth: 200,
            max_tree_values: 4_000_000,
            max_alloc: (len as u64).saturating_mul(8).saturating_add(64 << 20),
            max_expanded_tensor_bytes: 256 << 20,
        }
    }
}
