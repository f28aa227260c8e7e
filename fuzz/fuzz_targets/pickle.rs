//! Feeds arbitrary bytes to the pickle reader: it must return `Ok` or `Err`, never panic, overflow the stack,
//! or allocate without bound.
#![no_main]

use libfuzzer_sys::fuzz_target;

/// The Burn-free files of `burn_models::pickle`, included as they are.
#[allow(dead_code, unused_imports)]
#[path = "../../burn-models/src/pickle"]
mod pickle {
    pub mod archive;
    pub mod blob;
    pub mod context;
    pub mod dtype;
    pub mod error;
    pub mod globals;
    pub mod legacy;
    pub mod limits;
    pub mod load;
    pub mod machine;
    pub mod tensor;
    pub mod tree;
    pub mod value;
}

fuzz_target!(|data: &[u8]| {
    let mut limits = pickle::limits::Limits::for_input(data.len());
    // Keep libFuzzer's RSS limit meaningful: small inputs get a small copy budget.
    limits.max_alloc = (data.len() as u64) * 8 + (16 << 20);
    limits.max_expanded_tensor_bytes = 16 << 20;
    if let Ok(ckpt) = pickle::load::load_bytes_with(data.to_vec(), limits) {
        let _ = ckpt.root.render("root");
        let _ = ckpt.network(None);
        for (name, t) in ckpt.root.flat_tensors() {
            let _ = t.contiguous_bytes(&name, 16 << 20);
        }
    }
});
