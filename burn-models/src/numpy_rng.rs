//! numpy's legacy `np.random.RandomState`, bit for bit: MT19937 seeded by `init_genrand`, doubles
//! from two 32-bit draws, and Gaussians by the Marsaglia polar method with its cached second value.
//!
//! StyleGAN2-ADA and the FID paper draw their latents as `np.random.RandomState(seed).randn(n, z_dim)`
//! (float64, row-major). [`RandomState::randn`] reproduces those values exactly, so the same seeds
//! give the same images:
//!
//! ```
//! use burn_models::numpy_rng::RandomState;
//! let z = RandomState::new(0).randn(2 * 512); // np.random.RandomState(0).randn(2, 512).ravel()
//! assert_eq!(z[0], 1.764052345967664);
//! ```
//!
//! Upstream: numpy `numpy/random/src/mt19937/mt19937.c` (`mt19937_seed`, `mt19937_gen`),
//! `numpy/random/src/legacy/legacy-distributions.c` (`legacy_gauss`, `legacy_double`), and
//! `_legacy_seeding` in `numpy/random/mtrand.pyx` (an integer seed in `0..2³²` goes to `mt19937_seed`).
//! The one libm call is `ln`; numpy and Rust both take it from the platform's C library.

const N: usize = 624;
const M: usize = 397;
const MATRIX_A: u32 = 0x9908_b0df;
const UPPER_MASK: u32 = 0x8000_0000;
const LOWER_MASK: u32 = 0x7fff_ffff;

/// A legacy numpy random state (`np.random.RandomState(seed)` with an integer seed).
///
/// The state includes the cached second Gaussian of the polar method, so consecutive calls to
/// [`randn`](Self::randn) continue one stream exactly as numpy's consecutive calls do.
#[derive(Clone)]
pub struct RandomState {
    key: [u32; N],
    pos: usize,
    gauss: Option<f64>,
}

impl std::fmt::Debug for RandomState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RandomState")
            .field("pos", &self.pos)
            .field("gauss", &self.gauss)
            .finish_non_exhaustive()
    }
}

impl RandomState {
    /// `np.random.RandomState(seed)`: MT19937 `init_genrand(seed)` (multiplier 1812433253).
    pub fn new(seed: u32) -> Self {
        let mut key = [0u32; N];
        let mut s = seed;
        for (pos, k) in key.iter_mut().enumerate() {
            *k = s;
            s = 1_812_433_253u32
                .wrapping_mul(s ^ (s >> 30))
                .wrapping_add(pos as u32 + 1);
        }
        Self {
            key,
            pos: N,
            gauss: None,
        }
    }

    /// Regenerates the 624-word block (`mt19937_gen`).
    fn generate(&mut self) {
        let twist = |a: u32, b: u32, m: u32| {
            let y = (a & UPPER_MASK) | (b & LOWER_MASK);
            m ^ (y >> 1) ^ if y & 1 == 1 { MATRIX_A } else { 0 }
        };
        for i in 0..N - M {
            self.key[i] = twist(self.key[i], self.key[i + 1], self.key[i + M]);
        }
        for i in N - M..N - 1 {
            self.key[i] = twist(self.key[i], self.key[i + 1], self.key[i + M - N]);
        }
        self.key[N - 1] = twist(self.key[N - 1], self.key[0], self.key[M - 1]);
        self.pos = 0;
    }

    /// The next 32-bit output, tempered (`mt19937_next32`).
    pub fn next_u32(&mut self) -> u32 {
        if self.pos == N {
            self.generate();
        }
        let mut y = self.key[self.pos];
        self.pos += 1;
        y ^= y >> 11;
        y ^= (y << 7) & 0x9d2c_5680;
        y ^= (y << 15) & 0xefc6_0000;
        y ^ (y >> 18)
    }

    /// A double in `[0, 1)` with 53 random bits (`legacy_double` / `random_sample`).
    pub fn random_sample(&mut self) -> f64 {
        let a = self.next_u32() >> 5;
        let b = self.next_u32() >> 6;
        (f64::from(a) * 67_108_864.0 + f64::from(b)) / 9_007_199_254_740_992.0
    }

    /// One standard normal value (`legacy_gauss`): the polar method, returning `f·x2` and keeping
    /// `f·x1` for the next call.
    pub fn gauss(&mut self) -> f64 {
        if let Some(g) = self.gauss.take() {
            return g;
        }
        loop {
            let x1 = 2.0 * self.random_sample() - 1.0;
            let x2 = 2.0 * self.random_sample() - 1.0;
            let r2 = x1 * x1 + x2 * x2;
            if r2 < 1.0 && r2 != 0.0 {
                let f = (-2.0 * r2.ln() / r2).sqrt();
                self.gauss = Some(f * x1);
                return f * x2;
            }
        }
    }

    /// `randn(n)`: `n` standard normal values, continuing this state's stream. For a
    /// `randn(rows, cols)` call ask for `rows · cols` values; they fill the array row-major.
    pub fn randn(&mut self, n: usize) -> Vec<f64> {
        (0..n).map(|_| self.gauss()).collect()
    }
}

/// `np.random.RandomState(seed).randn(rows, cols)`, row-major: one stream of `rows` latents.
///
/// This is how the FID paper draws its statistics set (`RandomState(0).randn(N, 512)`).
pub fn randn_stream(seed: u32, rows: usize, cols: usize) -> Vec<f64> {
    RandomState::new(seed).randn(rows * cols)
}

/// One latent per seed, each `np.random.RandomState(seed).randn(1, cols)`, concatenated in the
/// order given: what StyleGAN2-ADA's `generate.py --seeds` feeds the generator.
pub fn randn_per_seed(seeds: &[u32], cols: usize) -> Vec<f64> {
    seeds
        .iter()
        .flat_map(|&s| RandomState::new(s).randn(cols))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The reference MT19937 output for `init_genrand(5489)` (the 10000th value is 4123659995).
    #[test]
    fn mt19937_reference_sequence() {
        let mut rs = RandomState::new(5489);
        assert_eq!(rs.next_u32(), 3_499_211_612);
        let last = (1..10_000).map(|_| rs.next_u32()).last();
        assert_eq!(last, Some(4_123_659_995));
    }

    /// `np.random.RandomState(0).random_sample(2)` (printed with `float.hex`).
    #[test]
    fn random_sample_matches_numpy() {
        let mut rs = RandomState::new(0);
        assert_eq!(rs.random_sample(), f64::from_bits(0x3fe1_8fe1_565f_12a8));
        assert_eq!(rs.random_sample(), 0.7151893663724195);
    }

    /// Reads a float64 `.npy` written by `scripts/numpy_rng_reference.py`.
    fn fixture(name: &str) -> Vec<f64> {
        let path = format!(
            "{}/../tests/fixtures/numpy_rng/{name}",
            env!("CARGO_MANIFEST_DIR")
        );
        let bytes = std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
        npyz::NpyFile::new(&bytes[..])
            .and_then(|f| f.into_vec::<f64>())
            .unwrap_or_else(|e| panic!("{path}: {e}"))
    }

    /// Exact f64 bits against numpy 2.4.6 (`scripts/numpy_rng_reference.py`; regenerate with
    /// `python scripts/numpy_rng_reference.py`).
    #[test]
    fn randn_matches_numpy_bit_for_bit() {
        let bits = |v: &[f64]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
        let expected = fixture("randn_seed0_2x512.npy");
        assert_eq!(expected.len(), 1024);
        assert_eq!(bits(&randn_stream(0, 2, 512)), bits(&expected));
        let expected = fixture("randn_seed107_1x512.npy");
        assert_eq!(bits(&randn_stream(107, 1, 512)), bits(&expected));
        // Odd count then a second call: the cached Gaussian carries over; largest seed.
        let mut rs = RandomState::new(u32::MAX);
        let mut got = rs.randn(3);
        got.extend(rs.randn(5));
        assert_eq!(
            bits(&got),
            bits(&fixture("randn_seed4294967295_3_then_1x5.npy"))
        );
        let expected = fixture("randn_per_seed_3_1000_12345_x16.npy");
        assert_eq!(
            bits(&randn_per_seed(&[3, 1000, 12345], 16)),
            bits(&expected)
        );
    }

    #[test]
    fn cached_value_continues_across_calls() {
        let all = RandomState::new(3).randn(5);
        let mut rs = RandomState::new(3);
        let mut parts = rs.randn(3);
        parts.extend(rs.randn(2));
        assert_eq!(all, parts);
    }

    #[test]
    fn per_seed_rows_are_fresh_states() {
        let z = randn_per_seed(&[7, 0], 4);
        assert_eq!(&z[4..], &randn_stream(0, 1, 4)[..]);
        assert_eq!(&z[..4], &RandomState::new(7).randn(4)[..]);
    }
}
