"""Reference numbers for the resampling probe's parity tests.

    python3 -m venv .venv-ref && .venv-ref/bin/pip install numpy==2.4.6 scipy==1.17.1 torch==2.15.0
    .venv-ref/bin/python scripts/resampling_reference.py tests/fixtures/resampling

Writes small float32 feature matrices (from `fidlab_seeded.seeded_values`, so Rust can rebuild the
logits without a committed file) and `reference.json` with:

* `fd_whole`: the Fréchet distance between the real set and the whole generated set, as
  pytorch-fid's `calculate_frechet_distance` computes it (float64 `np.mean`/`np.cov`,
  `scipy.linalg.sqrtm` of the non-symmetric product, real part): the loss the resampling loop
  must log at its first step (uniform weights);
* the paper's loss (`resample_utils.compute_weighted_mean_and_cov` + `wasserstein2_loss`) in float64
  torch autograd at random log-weights, with `torch.linalg.eigvals` in place of the removed
  `torch.eig`: the loss, dL/dw, and the loss's gradient with respect to the weighted mean and
  covariance taken as leaves;
* Top-N / Middle-N binarisation (`binarize_features`) of seeded logits: kept columns and, per row,
  the selected classes.
"""
import json
import os
import sys

import numpy as np
import scipy.linalg
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from fidlab_seeded import seeded_values  # noqa: E402

D = 8
N_REAL, N_GEN = 120, 300
D_CLIP = 4
NUM_CLASSES = 1008


def features(name, n, d, shift, stretch):
    """Correlated features with a non-zero mean, float32, deterministic from `name`."""
    u = seeded_values(name, 0, n * d, 1.0).reshape(n, d).astype(np.float64)
    x = shift + stretch * (u + 0.4 * np.roll(u, -1, axis=1)) + 0.1 * np.arange(d)
    return x.astype(np.float32)


def logits(name, n):
    """Seeded logits [n, 1008]; rebuilt bit-identically in Rust (`seeded_values(name, 0, n·1008, 4)`)."""
    return seeded_values(name, 0, n * NUM_CLASSES, 4.0).reshape(n, NUM_CLASSES)


def frechet_scipy(mu1, s1, mu2, s2):
    diff = mu1 - mu2
    covmean = scipy.linalg.sqrtm(s1.dot(s2)).real
    return float(diff.dot(diff) + np.trace(s1) + np.trace(s2) - 2 * np.trace(covmean))


def weighted_mean_and_cov(f, w):
    """`compute_weighted_mean_and_cov` of the paper's code: f [N, D] float64, w [N, 1]."""
    p = torch.exp(w)
    total = p.sum()
    mean = (p * f).sum(dim=0, keepdim=True) / total
    centred = f - mean
    cov = centred.T @ (p * centred) / (total - 1)
    return mean, cov


def wasserstein2_loss(mean_reals, mean_gen, cov_reals, cov_gen):
    """`wasserstein2_loss` of the paper's code with torch.linalg.eigvals for torch.eig."""
    mean_term = ((mean_reals - mean_gen.squeeze(0)) ** 2).sum()
    eigvals = torch.linalg.eigvals(cov_gen @ cov_reals)
    cov_term = torch.trace(cov_reals) + torch.trace(cov_gen) - 2 * torch.sum(torch.sqrt(eigvals.real + 1e-12))
    return mean_term + cov_term


def loss_case(real, gen, w0):
    fr = torch.from_numpy(real.astype(np.float64))
    mean_r = fr.mean(0)
    cov_r = torch.from_numpy(np.cov(real.astype(np.float64), rowvar=False))
    f = torch.from_numpy(gen.astype(np.float64))
    w = torch.tensor(w0.reshape(-1, 1), dtype=torch.float64, requires_grad=True)
    mean, cov = weighted_mean_and_cov(f, w)
    loss = wasserstein2_loss(mean_r, mean, cov_r, cov)
    loss.backward()
    # The same loss with the weighted statistics as leaves: dL/dμ and dL/dC.
    mean_leaf = mean.detach().clone().requires_grad_(True)
    cov_leaf = cov.detach().clone().requires_grad_(True)
    loss2 = wasserstein2_loss(mean_r, mean_leaf, cov_r, cov_leaf)
    loss2.backward()
    return {
        "w": w0.tolist(),
        "loss": float(loss.detach()),
        "grad_w": w.grad.reshape(-1).tolist(),
        "mean": mean.detach().reshape(-1).tolist(),
        "cov": cov.detach().reshape(-1).tolist(),
        "grad_mean": mean_leaf.grad.reshape(-1).tolist(),
        "grad_cov": cov_leaf.grad.reshape(-1).tolist(),
    }


def binarize(real_logits, gen_logits, mode, n):
    """`binarize_features` of the paper's code; returns kept columns and per-row selected classes."""

    def selected(lg):
        # The paper's code uses the default (unstable) quicksort; a stable sort reversed makes ties
        # (seeded values are multiples of 2^-21) go to the higher class index, as fidlab does.
        order = np.argsort(lg, axis=1, kind="stable")[:, ::-1]
        if mode == "top_n":
            return order[:, :n]
        mid = NUM_CLASSES // 2
        if n % 2 == 0:
            return order[:, mid - n // 2: mid + n // 2]
        return order[:, mid - (n - 1) // 2: mid + (n - 1) // 2 + 1]

    out = {}
    hot = {}
    for name, lg in (("real", real_logits), ("gen", gen_logits)):
        sel = selected(lg)
        h = np.zeros_like(lg, dtype=np.float32)
        np.put_along_axis(h, sel, 1.0, axis=1)
        hot[name] = h
        out[f"{name}_selected"] = np.sort(sel, axis=1).tolist()
    mask = np.any(hot["real"], axis=0) & np.any(hot["gen"], axis=0)
    out["kept_columns"] = np.nonzero(mask)[0].tolist()
    out["mode"] = mode
    out["n"] = n
    return out


def main(outdir):
    os.makedirs(outdir, exist_ok=True)
    real = features("resampling.real_pool3", N_REAL, D, 0.5, 1.0)
    gen = features("resampling.gen_pool3", N_GEN, D, 0.6, 1.2)
    real_clip = features("resampling.real_clip", N_REAL, D_CLIP, 0.0, 1.0)
    gen_clip = features("resampling.gen_clip", N_GEN, D_CLIP, 0.1, 1.1)
    for name, arr in (("real_pool3", real), ("gen_pool3", gen), ("real_clip", real_clip), ("gen_clip", gen_clip)):
        np.save(os.path.join(outdir, f"{name}.npy"), arr)

    r64, g64 = real.astype(np.float64), gen.astype(np.float64)
    fd_whole = frechet_scipy(r64.mean(0), np.cov(r64, rowvar=False), g64.mean(0), np.cov(g64, rowvar=False))

    w_rand = seeded_values("resampling.w", 0, N_GEN, 0.5).astype(np.float64)
    cases = {
        "uniform": loss_case(real, gen, np.zeros(N_GEN)),
        "random": loss_case(real, gen, w_rand),
    }

    rl = logits("resampling.real_logits", 40)
    gl = logits("resampling.gen_logits", 60)
    binar = [binarize(rl, gl, "top_n", 3), binarize(rl, gl, "middle_n", 10), binarize(rl, gl, "middle_n", 1)]

    ref = {
        "generator": "scripts/resampling_reference.py",
        "versions": {"numpy": np.__version__, "scipy": scipy.__version__, "torch": torch.__version__},
        "n_real": N_REAL,
        "n_gen": N_GEN,
        "dims": D,
        "fd_whole": fd_whole,
        "loss_cases": cases,
        "logits": {"real": ["resampling.real_logits", 40], "gen": ["resampling.gen_logits", 60], "scale": 4.0},
        "binarize": binar,
    }
    with open(os.path.join(outdir, "reference.json"), "w") as fh:
        json.dump(ref, fh, indent=1)
    print(f"fd_whole = {fd_whole!r}; uniform loss = {cases['uniform']['loss']!r}; random loss = {cases['random']['loss']!r}")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "tests/fixtures/resampling")
