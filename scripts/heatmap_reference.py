"""Reference FID sensitivity heatmaps on seeded weights, for `heatmaps/tests/heatmap_parity.rs`.

The paper's formula (SEED-SPEC §4 steps 7.2-7.7, `compute_sensitivity_heatmap`) run with torch
autograd through torch-fidelity 0.4.0's `FeatureExtractorInceptionV3` carrying the seeded parity
weights of `scripts/inception_reference.py` (seed 2015, the network `burn_models::inception`
rebuilds in Rust), on the four fixture photographs of `tests/fixtures/inception/`.

Statistics are synthetic and seeded, so that the Rust test rebuilds them bit for bit instead of
reading 2 × 32 MB of covariances (see `seeded_statistics`): `N − 1 = 49 999` generated samples,
`D = 2048`, each covariance a rank-64 term plus a positive diagonal (full rank).

Two variants of the loss are evaluated per image:

* `seed`: the paper's dtypes and route. Means in float32, covariances in float64, the visualised
  image's outer product in float32, `Σ sqrt(real(eig(C_gen @ C_real)) + 1e-12)` with the general
  eigen-decomposition (`torch.eig` in torch 1.8; `torch.linalg.eigvals` here, same values and
  the same derivative for real spectra);
* `f64`: everything in float64 and the symmetric route `Σ sqrt(eigh(S C S))`, `S = Σ_r^{1/2}`,
  which is what fidlab computes.

The 8×8 maps of both, the Fréchet distances, the pool3 features and the overlays (from the `seed`
map, with the paper's quantise / Pillow-'F'-Lanczos / PARULA overlay steps; the PARULA table is
`heatmaps/data/opencv-parula-rgb-lut.txt`, checked against OpenCV by
`scripts/heatmap_pipeline_reference.py`) are written to `heatmaps/tests/fixtures/fid_heatmap/`.

    pip install torch==2.15.0 torchvision pytorch-fid==0.3.0 torch-fidelity==0.4.0 numpy pillow
    python scripts/heatmap_reference.py            # writes the fixtures (about a minute on 2 cores)
    python scripts/heatmap_reference.py --bench 3  # also times the paper's per-image step on CPU
"""
import argparse
import json
import os
import sys
import tempfile
import time

import numpy as np
import PIL
import PIL.Image
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from fidlab_seeded import seeded_values  # noqa: E402
import inception_reference as inc  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(ROOT, "heatmaps", "tests", "fixtures", "fid_heatmap")
LUT_PATH = os.path.join(ROOT, "heatmaps", "data", "opencv-parula-rgb-lut.txt")

#: Seed of the synthetic statistics (`heatmaps/tests/heatmap_parity.rs: STATS_SEED`).
STATS_SEED = 7
DIM = 2048
RANK = 64
#: Generated statistics come from `N - 1` samples; the visualised image is the `N`-th.
NUM_IMAGES = 50_000


def seeded_statistics(tag):
    """Mean [D] and covariance [D, D] (float64) of the synthetic `tag` set ("real" / "gen").

    mean = 0.9 + u(0.5); cov = X Xᵀ / 64 + diag(0.02 (1 + u(0.5))), X = u(0.3) as [D, 64],
    with u(s) = `seeded_values(f"heatmap.{tag}.<part>", 7, n, s)` widened to float64.
    """
    def u(part, n, scale):
        return seeded_values(f"heatmap.{tag}.{part}", STATS_SEED, n, scale).astype(np.float64)

    mean = 0.9 + u("mean", DIM, 0.5)
    x = u("factor", DIM * RANK, 0.3).reshape(DIM, RANK)
    diag = 0.02 * (1.0 + u("diag", DIM, 0.5))
    cov = x @ x.T / RANK + np.diag(diag)
    return mean, cov


# ---------------------------------------------------------------------------------------------
# Losses


def loss_seed(mean_reals32, cov_reals, mean_gen32, cov_gen, f):
    """The paper's dtypes: float32 means and outer product, float64 covariances, eig route."""
    n = NUM_IMAGES
    mean = ((n - 1) / n) * mean_gen32 + (1 / n) * f
    d = f - mean_gen32
    cov = ((n - 2) / (n - 1)) * cov_gen + (1 / n) * torch.mm(d.T, d)
    mean_term = ((mean_reals32 - mean.squeeze(0)) ** 2).sum()
    eig = torch.linalg.eigvals(cov @ cov_reals)
    cov_term = torch.trace(cov_reals) + torch.trace(cov) - 2 * torch.sum(torch.sqrt(eig.real + 1e-12))
    return mean_term + cov_term


def loss_f64(mean_reals, sqrt_reals, tr_reals, mean_gen, cov_gen, f):
    """All float64, symmetric route: tr Σ_r + tr C − 2 Σ sqrt(eigh(S C S))."""
    n = NUM_IMAGES
    f = f.to(torch.float64)
    mean = ((n - 1) / n) * mean_gen + (1 / n) * f
    d = f - mean_gen
    cov = ((n - 2) / (n - 1)) * cov_gen + (1 / n) * torch.mm(d.T, d)
    mean_term = ((mean_reals - mean.squeeze(0)) ** 2).sum()
    k = sqrt_reals @ cov @ sqrt_reals
    k = 0.5 * (k + k.T)
    mu = torch.linalg.eigvalsh(k)
    cov_term = tr_reals + torch.trace(cov) - 2 * torch.sum(torch.sqrt(mu.clamp(min=0)))
    return mean_term + cov_term


def sym_sqrt(a):
    w, v = np.linalg.eigh(a)
    return (v * np.sqrt(np.clip(w, 0, None))) @ v.T


# ---------------------------------------------------------------------------------------------
# Map and pictures (same steps as scripts/heatmap_pipeline_reference.py, LUT instead of cv2)


def channel_weighted_map(activation, gradient):
    alpha = np.mean(gradient ** 2, axis=(2, 3), keepdims=True)
    return (alpha * activation).sum(axis=1)


def unit_range(x):
    if np.all(x == 0):
        return x
    x = x.astype(np.float32)
    return (x - x.min()) / (x.max() - x.min())


def picture(image_chw, m):
    _, h, w = image_chw.shape
    q = np.clip((unit_range(m) * 255.0).astype(np.uint8), 0.0, 255.0)
    big = np.array(PIL.Image.fromarray(q[0]).resize((w, h), resample=PIL.Image.LANCZOS).convert("L"))
    lut = np.loadtxt(LUT_PATH, dtype=np.uint8)
    heat = lut[big].astype(np.float32) / 255
    mixed = unit_range(2.0 * heat.transpose(2, 0, 1) + unit_range(image_chw))
    return np.clip(mixed * 255, 0.0, 255.0).astype(np.uint8).transpose(1, 2, 0)


# ---------------------------------------------------------------------------------------------


def heatmap(model, x, loss_fn):
    """(map [8, 8] float32, loss, pool3 [2048]) for uint8 x [1, 3, H, W]."""
    box = {}

    def hook(_m, _i, o):
        o.retain_grad()
        box["a"] = o

    h = model.Mixed_7c.register_forward_hook(hook)
    try:
        pool3, _ = model(x)
    finally:
        h.remove()
    loss = loss_fn(pool3)
    loss.backward()
    a = box["a"].detach().numpy()
    g = box["a"].grad.detach().numpy()
    return channel_weighted_map(a, g)[0], float(loss.detach()), pool3.detach()[0].numpy()


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--bench", type=int, default=0, help="time this many repeats of the per-image step")
    args = ap.parse_args()
    torch.set_num_threads(max(1, os.cpu_count() or 1))
    os.makedirs(OUT, exist_ok=True)

    mean_r, cov_r = seeded_statistics("real")
    mean_g, cov_g = seeded_statistics("gen")
    t = lambda a: torch.from_numpy(np.ascontiguousarray(a))  # noqa: E731
    mean_r32, mean_g32 = t(mean_r.astype(np.float32)), t(mean_g.astype(np.float32))
    cov_r_t, cov_g_t = t(cov_r), t(cov_g)
    sqrt_r = t(sym_sqrt(cov_r))
    tr_r = torch.trace(cov_r_t)

    seed_fn = lambda f: loss_seed(mean_r32, cov_r_t, mean_g32, cov_g_t, f)  # noqa: E731
    f64_fn = lambda f: loss_f64(t(mean_r), sqrt_r, tr_r, t(mean_g), cov_g_t, f)  # noqa: E731

    images = inc.load_fixture_images()
    with tempfile.TemporaryDirectory() as tmp:
        model = inc.torch_fidelity_model(inc.seeded_state_dict(), tmp)
    for p in model.parameters():
        p.requires_grad_(True)

    maps_seed, maps_f64, losses_seed, losses_f64, pool3s = [], [], [], [], []
    for (name, _, _, _), x in zip(inc.IMAGES, images):
        m_seed, l_seed, pool3 = heatmap(model, x, seed_fn)
        m_f64, l_f64, _ = heatmap(model, x, f64_fn)
        maps_seed.append(m_seed)
        maps_f64.append(m_f64)
        losses_seed.append(l_seed)
        losses_f64.append(l_f64)
        pool3s.append(pool3)
        over = picture(x[0].numpy(), m_seed[None])
        PIL.Image.fromarray(over).save(os.path.join(OUT, "overlay_" + os.path.splitext(name)[0] + ".png"))

    maps_seed, maps_f64 = np.stack(maps_seed).astype(np.float32), np.stack(maps_f64).astype(np.float32)
    np.save(os.path.join(OUT, "maps_seed.npy"), maps_seed)
    np.save(os.path.join(OUT, "maps_f64.npy"), maps_f64)
    np.save(os.path.join(OUT, "pool3.npy"), np.stack(pool3s).astype(np.float32))

    rel = lambda a, b: float(np.abs(a - b).max() / np.abs(b).max())  # noqa: E731
    meta = {
        "stats_seed": STATS_SEED, "dim": DIM, "rank": RANK, "num_images": NUM_IMAGES,
        "inception_seed": inc.SEED,
        "images": [n for n, _, _, _ in inc.IMAGES],
        "fid_seed": losses_seed, "fid_f64": losses_f64,
        "versions": {"torch": torch.__version__, "numpy": np.__version__, "pillow": PIL.__version__},
        "checks": {
            "map_seed_vs_f64_rel": [rel(a, b) for a, b in zip(maps_seed, maps_f64)],
            "map_min": float(maps_seed.min()),
            "fid_seed_vs_f64_abs": float(np.abs(np.array(losses_seed) - np.array(losses_f64)).max()),
        },
    }
    bench = None
    if args.bench:
        x = images[1]  # 256x256, the paper's FFHQ size
        heatmap(model, x, seed_fn)  # warm-up
        times = []
        for _ in range(args.bench):
            t0 = time.perf_counter()
            m, _, _ = heatmap(model, x, seed_fn)
            picture(x[0].numpy(), m[None])
            times.append(time.perf_counter() - t0)
        bench = {"seconds_per_heatmap_median": float(np.median(times)), "runs": times,
                 "threads": torch.get_num_threads(), "image": inc.IMAGES[1][0]}
    with open(os.path.join(OUT, "reference.json"), "w") as f:
        json.dump(meta, f, indent=2)
        f.write("\n")
    print(json.dumps(meta["checks"], indent=2))
    if bench is not None:
        print(json.dumps(bench))


if __name__ == "__main__":
    main()
