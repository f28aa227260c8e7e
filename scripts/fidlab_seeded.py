"""Counter-based seeded weights, bit-identical to `burn-models/src/seeded.rs`.

Parity fixtures are made by loading these values into the PyTorch reference networks; the Rust
tests rebuild the same weights, so no weight file is ever committed.

    pip install numpy
    python scripts/fidlab_seeded.py     # prints the test vector used by seeded.rs
"""
import numpy as np

GOLDEN = np.uint64(0x9E3779B97F4A7C15)


def fnv1a64(name: str) -> int:
    h = 0xCBF29CE484222325
    for b in name.encode("utf-8"):
        h ^= b
        h = (h * 0x100000001B3) & 0xFFFFFFFFFFFFFFFF
    return h


def _splitmix64(z):
    z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    return z ^ (z >> np.uint64(31))


def unit_values(name: str, seed: int, n: int) -> np.ndarray:
    """`n` float32 values in [-1, 1) for tensor `name`."""
    state = np.uint64(fnv1a64(name) ^ seed)
    with np.errstate(over="ignore"):
        i = np.arange(1, n + 1, dtype=np.uint64)
        bits = _splitmix64(state + i * GOLDEN)
    k = (bits >> np.uint64(40)).astype(np.int64) - (1 << 23)
    return k.astype(np.float32) / np.float32(1 << 23)


def seeded_values(name: str, seed: int, n: int, scale: float) -> np.ndarray:
    """`n` float32 values in [-scale, scale) for tensor `name`."""
    return unit_values(name, seed, n) * np.float32(scale)


def seeded_tensor(name: str, seed: int, shape, scale: float) -> np.ndarray:
    """Row-major tensor of the given shape (the same order as Burn's `TensorData`)."""
    n = int(np.prod(shape)) if len(shape) else 1
    return seeded_values(name, seed, n, scale).reshape(shape)


if __name__ == "__main__":
    print([float(x) for x in seeded_values("conv.weight", 0, 4, 0.5)])
