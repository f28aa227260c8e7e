//! Deterministic, counter-based "random" weights, reproduced bit for bit by `scripts/fidlab_seeded.py`.
//!
//! Parity tests need the *same* weights in our Burn modules and in the PyTorch references, and the
//! full-size networks are far too large to commit. Both sides therefore generate every tensor from
//! its checkpoint key: element `i` of tensor `name` is
//!
//! ```text
//! state = fnv1a64(name) ^ seed
//! bits  = splitmix64(state + (i + 1) · 0x9E3779B97F4A7C15)      (wrapping u64 arithmetic)
//! k     = bits >> 40                                              (24 random bits)
//! value = f32((k − 2²³) / 2²³) · f32(scale)                       ∈ [−scale, scale)
//! ```
//!
//! The unit value has at most 24 significant bits, so it is exact in f32, and the one f32
//! multiplication by `scale` rounds the same way in numpy and in Rust.

const GOLDEN: u64 = 0x9E37_79B9_7F4A_7C15;

/// FNV-1a, 64-bit, of the UTF-8 bytes of `name`.
pub fn fnv1a64(name: &str) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in name.bytes() {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    h
}

/// The splitmix64 finaliser.
pub fn splitmix64(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// `n` values in `[-1, 1)` for tensor `name`, exact in f32.
pub fn unit_values(name: &str, seed: u64, n: usize) -> Vec<f32> {
    let state = fnv1a64(name) ^ seed;
    (0..n as u64)
        .map(|i| {
            let bits = splitmix64(state.wrapping_add((i + 1).wrapping_mul(GOLDEN)));
            let k = (bits >> 40) as i64 - (1 << 23);
            k as f32 / (1u32 << 23) as f32
        })
        .collect()
}

/// `n` values in `[-scale, scale)` for tensor `name` (see the module docs for the exact recipe).
pub fn seeded_values(name: &str, seed: u64, n: usize, scale: f32) -> Vec<f32> {
    let mut v = unit_values(name, seed, n);
    v.iter_mut().for_each(|x| *x *= scale);
    v
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Values printed by `python scripts/fidlab_seeded.py` (its `__main__` block).
    #[test]
    fn matches_python_reference() {
        let v = seeded_values("conv.weight", 0, 4, 0.5);
        let expected: [f32; 4] = EXPECTED_CONV_WEIGHT;
        assert_eq!(v, expected);
        assert_eq!(fnv1a64(""), 0xcbf2_9ce4_8422_2325);
    }

    const EXPECTED_CONV_WEIGHT: [f32; 4] = [-0.311_131_48, 0.160_079_9, 0.364_119_35, 0.105_524_9];

    #[test]
    fn values_are_in_range_and_spread() {
        let v = unit_values("x", 7, 10_000);
        assert!(v.iter().all(|x| (-1.0..1.0).contains(x)));
        let mean = v.iter().map(|&x| x as f64).sum::<f64>() / v.len() as f64;
        assert!(mean.abs() < 0.03, "{mean}");
    }
}
