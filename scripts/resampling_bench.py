"""The paper's resampling step on the CPU in PyTorch, for `resampling/examples/bench_step.rs`.

    python3 -m venv .venv-ref && .venv-ref/bin/pip install numpy==2.4.6 torch==2.15.0
    .venv-ref/bin/python scripts/resampling_bench.py --n-gen 20000 --dims 2048 --steps 3 --threads 2

One step = `resample_fid`'s loop body (SEED-SPEC §5.4): weighted mean and covariance of float64
features with per-image log-weights (`compute_weighted_mean_and_cov`), `wasserstein2_loss` with
`torch.linalg.eigvals(cov_gen @ cov_reals)` in place of the removed `torch.eig`, backward, plain SGD
(lr 10). Features are `fidlab_seeded.seeded_values` (identical to the Rust side). Prints one JSON
line: median seconds per step, peak resident memory, first loss.
"""
import argparse
import json
import os
import resource
import sys
import time

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from fidlab_seeded import seeded_values  # noqa: E402


def features(name, n, d):
    return seeded_values(name, 0, n * d, 1.0).reshape(n, d)


def weighted_mean_and_cov(f, w):
    p = torch.exp(w)
    total = p.sum()
    mean = (p * f).sum(dim=0, keepdim=True) / total
    centred = f - mean
    cov = centred.T @ (p * centred) / (total - 1)
    return mean, cov


def wasserstein2_loss(mean_reals, mean_gen, cov_reals, cov_gen):
    mean_term = ((mean_reals - mean_gen.squeeze(0)) ** 2).sum()
    eigvals = torch.linalg.eigvals(cov_gen @ cov_reals)
    cov_term = torch.trace(cov_reals) + torch.trace(cov_gen) - 2 * torch.sum(torch.sqrt(eigvals.real + 1e-12))
    return mean_term + cov_term


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--n-real", type=int, default=5000)
    ap.add_argument("--n-gen", type=int, default=20000)
    ap.add_argument("--dims", type=int, default=2048)
    ap.add_argument("--steps", type=int, default=3)
    ap.add_argument("--warmup", type=int, default=1)
    ap.add_argument("--threads", type=int, default=2)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    real = features("bench.real", args.n_real, args.dims).astype(np.float64)
    gen = features("bench.gen", args.n_gen, args.dims)  # float32 host array, as the paper keeps it
    mean_r = torch.from_numpy(real.mean(0))
    cov_r = torch.from_numpy(np.cov(real, rowvar=False))
    del real
    f = torch.from_numpy(gen).double()
    w = torch.zeros([args.n_gen, 1], dtype=torch.float64, requires_grad=True)
    opt = torch.optim.SGD([w], lr=10.0)
    times, losses = [], []
    for it in range(args.warmup + args.steps):
        t0 = time.perf_counter()
        opt.zero_grad()
        mean, cov = weighted_mean_and_cov(f, w)
        loss = wasserstein2_loss(mean_r, mean, cov_r, cov)
        loss.backward()
        opt.step()
        dt = time.perf_counter() - t0
        losses.append(float(loss.detach()))
        if it >= args.warmup:
            times.append(dt)
        print(f"torch step {it}: {dt:.2f}s loss {losses[-1]:.9f}", file=sys.stderr, flush=True)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    print(json.dumps({
        "median_s": float(np.median(times)),
        "times_s": times,
        "peak_rss_bytes": peak,
        "baseline_rss_bytes": rss_before,
        "losses": losses,
        "torch": torch.__version__,
        "threads": args.threads,
    }))


if __name__ == "__main__":
    main()
