"""Reference latents from numpy's legacy RandomState, for `burn-models/src/numpy_rng.rs`.

    pip install numpy            # any numpy >= 1.17 (legacy RandomState is frozen); made with 2.4.6
    python scripts/numpy_rng_reference.py    # writes tests/fixtures/numpy_rng/*.npy

The files are float64 `.npy` arrays, compared bit for bit by `cargo test -p burn-models numpy_rng`.
"""
from pathlib import Path

import numpy as np

OUT = Path(__file__).resolve().parent.parent / "tests" / "fixtures" / "numpy_rng"


def main():
    OUT.mkdir(parents=True, exist_ok=True)
    # The FID paper's statistics stream and a single visualised seed (SEED-SPEC §3.2, §10.2).
    np.save(OUT / "randn_seed0_2x512.npy", np.random.RandomState(0).randn(2, 512))
    np.save(OUT / "randn_seed107_1x512.npy", np.random.RandomState(107).randn(1, 512))
    # An odd count, then a second call: the cached second Gaussian must carry over.
    rs = np.random.RandomState(4294967295)
    first = rs.randn(3)
    second = rs.randn(1, 5)
    np.save(OUT / "randn_seed4294967295_3_then_1x5.npy", np.concatenate([first, second.ravel()]))
    # generate.py style: one fresh RandomState per seed.
    seeds = [3, 1000, 12345]
    np.save(OUT / "randn_per_seed_3_1000_12345_x16.npy",
            np.concatenate([np.random.RandomState(s).randn(1, 16) for s in seeds]))


if __name__ == "__main__":
    main()
