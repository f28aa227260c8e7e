"""Reference Fréchet distances and KID values for fid-core's parity tests.

    python3 -m venv .venv-ref && .venv-ref/bin/pip install numpy==2.4.6 scipy==1.17.1
    .venv-ref/bin/python scripts/frechet_reference.py tests/fixtures/frechet

Writes small float32 feature matrices and, as JSON, the Fréchet distance computed the way
pytorch-fid's `calculate_frechet_distance` does it (scipy.linalg.sqrtm of the non-symmetric
product, real part) on float64 statistics, plus KID on fixed subsets exactly as the paper's
`compute_kid` evaluates each subset (here in float64, with the subset indices written out).
"""
import json
import os
import sys

import numpy as np
import scipy.linalg


def frechet_scipy(mu1, s1, mu2, s2):
    diff = mu1 - mu2
    covmean = scipy.linalg.sqrtm(s1.dot(s2))  # pytorch-fid passes disp=False (deprecated in SciPy 1.17)
    if not np.isfinite(covmean).all():
        raise RuntimeError("sqrtm failed")
    covmean = covmean.real
    return float(diff.dot(diff) + np.trace(s1) + np.trace(s2) - 2 * np.trace(covmean))


def kid_subset(x, y):
    n = x.shape[1]
    m = x.shape[0]
    a = (x @ x.T / n + 1) ** 3 + (y @ y.T / n + 1) ** 3
    b = (x @ y.T / n + 1) ** 3
    return ((a.sum() - np.diag(a).sum()) / (m - 1) - b.sum() * 2 / m) / m


def features(rng, n, d, shift, scale):
    mix = rng.standard_normal((d, d)) / np.sqrt(d)
    x = rng.standard_normal((n, d)) @ mix * scale + shift
    return np.maximum(x, 0).astype(np.float32)  # post-ReLU, like pool3


def main(out):
    os.makedirs(out, exist_ok=True)
    rng = np.random.RandomState(2023)
    cases = {}
    for name, (na, nb, d) in {"d64": (500, 400, 64), "d16_small": (40, 30, 16), "rank_deficient": (20, 25, 48)}.items():
        a = features(rng, na, d, 0.5, 1.0)
        b = features(rng, nb, d, 0.6, 1.1)
        np.save(f"{out}/{name}_a.npy", a)
        np.save(f"{out}/{name}_b.npy", b)
        a64, b64 = a.astype(np.float64), b.astype(np.float64)
        case = {
            "mu_a_0": float(a64.mean(0)[0]),
            "sigma_a_00": float(np.cov(a64, rowvar=False)[0, 0]),
        }
        if name != "rank_deficient":
            case["fid_scipy_sqrtm"] = frechet_scipy(a64.mean(0), np.cov(a64, rowvar=False), b64.mean(0), np.cov(b64, rowvar=False))
        eig = np.linalg.eigvals(np.cov(a64, rowvar=False) @ np.cov(b64, rowvar=False))
        case["fid_eigvals"] = float(((a64.mean(0) - b64.mean(0)) ** 2).sum() + np.trace(np.cov(a64, rowvar=False)) + np.trace(np.cov(b64, rowvar=False)) - 2 * np.sqrt(np.maximum(eig.real, 0)).sum())
        m = min(na, nb, 20)
        subsets = [(rng.choice(na, m, replace=False).tolist(), rng.choice(nb, m, replace=False).tolist()) for _ in range(5)]
        vals = [kid_subset(a64[x], b64[y]) for x, y in subsets]
        case["kid_subsets"] = subsets
        case["kid_mean"] = float(np.mean(vals))
        case["kid_std"] = float(np.std(vals, ddof=1))
        cases[name] = case
    with open(f"{out}/reference.json", "w") as f:
        json.dump(cases, f, indent=1)
    print(json.dumps({k: {kk: v for kk, v in c.items() if kk != "kid_subsets"} for k, c in cases.items()}, indent=1))


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "tests/fixtures/frechet")
