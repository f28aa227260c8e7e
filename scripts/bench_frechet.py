"""Fréchet distance on 2048-d statistics: fidlab (faer) vs scipy sqrtm (pytorch-fid) vs numpy eigvalsh.

    python3 -m venv .venv-ref && .venv-ref/bin/pip install numpy==2.4.6 scipy==1.17.1
    .venv-ref/bin/python scripts/bench_frechet.py [--n 10000] [--dim 2048] [--repeats 3]

Makes two feature sets of N × D with a decaying spectrum, writes their statistics to .npz, then,
in the same run, times (1) pytorch-fid's formula (scipy.linalg.sqrtm of the non-symmetric
product), (2) the symmetric numpy route (eigh square root of Σ_a, eigvalsh of Σ_a^½ Σ_b Σ_a^½),
and (3) fidlab's Cholesky + eigenvalue route through `cargo run --example bench_frechet`.
Prints a Markdown table of medians and ratios. Threads: whatever numpy/OpenBLAS and rayon use
by default on this machine (printed).
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile
import time

import numpy as np
import scipy.linalg


def features(rng, n, d, shift):
    spectrum = 1.0 / (1.0 + np.arange(d)) ** 0.8
    basis, _ = np.linalg.qr(rng.standard_normal((d, d)))
    z = rng.standard_normal((n, d)) * np.sqrt(spectrum)
    return (z @ basis.T + shift).astype(np.float32)


def fid_scipy(m1, s1, m2, s2):
    covmean = scipy.linalg.sqrtm(s1.dot(s2)).real
    d = m1 - m2
    return d.dot(d) + np.trace(s1) + np.trace(s2) - 2 * np.trace(covmean)


def fid_eigh(m1, s1, m2, s2):
    w, v = np.linalg.eigh(s1)
    r = (v * np.sqrt(np.maximum(w, 0))) @ v.T
    lam = np.linalg.eigvalsh(r @ s2 @ r)
    d = m1 - m2
    return d.dot(d) + np.trace(s1) + np.trace(s2) - 2 * np.sqrt(np.maximum(lam, 0)).sum()


def timed(fn, repeats):
    times, value = [], None
    for _ in range(repeats):
        t = time.perf_counter()
        value = fn()
        times.append(time.perf_counter() - t)
    return float(value), float(np.median(times)), float(np.min(times))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=10000)
    ap.add_argument("--dim", type=int, default=2048)
    ap.add_argument("--repeats", type=int, default=3)
    args = ap.parse_args()
    rng = np.random.RandomState(0)
    a = features(rng, args.n, args.dim, 0.0).astype(np.float64)
    b = features(rng, args.n, args.dim, 0.05).astype(np.float64)
    m1, s1 = a.mean(0), np.cov(a, rowvar=False)
    m2, s2 = b.mean(0), np.cov(b, rowvar=False)
    with tempfile.TemporaryDirectory() as tmp:
        pa, pb = os.path.join(tmp, "a.npz"), os.path.join(tmp, "b.npz")
        np.savez(pa, mu=m1, sigma=s1)
        np.savez(pb, mu=m2, sigma=s2)
        root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
        subprocess.run(["cargo", "build", "-q", "--example", "bench_frechet"], cwd=root, check=True)
        exe = os.path.join(os.environ.get("CARGO_TARGET_DIR", os.path.join(root, "target")), "debug", "examples", "bench_frechet")
        rows = []
        v, med, mn = timed(lambda: fid_scipy(m1, s1, m2, s2), args.repeats)
        rows.append(("scipy.linalg.sqrtm (pytorch-fid)", v, med, mn))
        ref = v
        v, med, mn = timed(lambda: fid_eigh(m1, s1, m2, s2), args.repeats)
        rows.append(("numpy eigh + eigvalsh (symmetric)", v, med, mn))
        out = subprocess.run([exe, pa, pb, str(args.repeats)], check=True, capture_output=True, text=True).stdout
        r = json.loads(out)
        rows.append((f"fidlab faer Cholesky + eigvalsh ({r['threads']} threads)", r["fid"], r["median_s"], r["min_s"]))
    np_threads = os.environ.get("OMP_NUM_THREADS", "default")
    print(f"N = {args.n}, D = {args.dim}, repeats = {args.repeats}, numpy {np.__version__}, scipy {scipy.__version__}, OMP_NUM_THREADS={np_threads}\n")
    print("| route | FID | rel. diff vs scipy | median s | min s | speed-up vs scipy (median) |")
    print("| --- | --- | --- | --- | --- | --- |")
    for name, v, med, mn in rows:
        print(f"| {name} | {v:.10f} | {abs(v - ref) / abs(ref):.1e} | {med:.2f} | {mn:.2f} | {rows[0][2] / med:.1f}× |")


if __name__ == "__main__":
    sys.exit(main())
