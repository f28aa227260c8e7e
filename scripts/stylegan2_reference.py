"""Reference images from NVlabs stylegan2-ada-pytorch for the Burn port (burn-models/src/stylegan2).

The NVlabs code is not on PyPI and is never committed here: clone it anywhere and point
`--sg2ada` (or $SG2ADA) at it. It runs on modern torch on the CPU; its reference (non-CUDA)
`upfirdn2d` / `bias_act` paths are taken automatically for CPU tensors, and every block is forced
to FP32 (`force_fp32=True`), which is what the port computes.

    pip install torch numpy safetensors          # made with torch 2.15.0, numpy 2.4.6, safetensors 0.8.0
    git clone https://github.com/NVlabs/stylegan2-ada-pytorch /tmp/sg2ada   # d72cc7d
    python scripts/stylegan2_reference.py fixtures --sg2ada /tmp/sg2ada
        # writes tests/fixtures/stylegan2/<config>/{G.safetensors,G.json,cases.json,<case>_*.npy}
    python scripts/stylegan2_reference.py bench --sg2ada /tmp/sg2ada [--batch 4 --reps 5 --threads 2]
        # times paper256 (seeded weights) in the reference, then `cargo bench --bench stylegan2`
        # (burn-models/benches/stylegan2.rs) with the same threads, and prints both and the ratio
    python scripts/stylegan2_reference.py convert --sg2ada /tmp/sg2ada network.pkl OUT
        # writes OUT.safetensors + OUT.json (G_ema state dict and init_kwargs) for `fidlab generate`

Weights are the counter-based seeded values of `scripts/fidlab_seeded.py`, with the per-role
recipe `SEEDED_RECIPE` mirrored from `Role::seeded_recipe` in burn-models/src/stylegan2/params.rs.
"""
import argparse
import json
import os
import pickle
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
from fidlab_seeded import seeded_values  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "tests" / "fixtures" / "stylegan2"


def import_networks(sg2ada):
    sg2ada = sg2ada or os.environ.get("SG2ADA")
    if not sg2ada:
        sys.exit("give --sg2ada PATH (a clone of NVlabs/stylegan2-ada-pytorch) or set SG2ADA")
    sys.path.insert(0, str(Path(sg2ada).resolve()))
    import types
    import warnings

    # dnnlib.util imports `requests` for downloads only; a stub avoids installing it.
    try:
        import requests  # noqa: F401
    except ImportError:
        sys.modules["requests"] = types.ModuleType("requests")
    warnings.filterwarnings("ignore")  # conv2d_gradfix warns about the torch version
    from training import networks  # noqa: E402

    return networks


def seeded_recipe(key, mapping_lr):
    """(offset, scale) of a state-dict key; None for buffers kept as built (resample_filter)."""
    if key.endswith(".resample_filter"):
        return None
    lr = mapping_lr if key.startswith("mapping.fc") else 1.0
    if key == "mapping.w_avg":
        return 0.0, 1.0
    if key.endswith(".const") or key.endswith(".noise_const"):
        return 0.0, 1.5
    if key.endswith(".noise_strength"):
        return 0.0, 0.5
    if key.endswith(".weight"):
        return 0.0, 1.5 / lr
    if key.endswith(".bias"):
        return (1.0 if ".affine." in key else 0.0), 0.2 / lr
    raise KeyError(key)


def seed_generator(G, seed, mapping_lr):
    state = {}
    for key, tensor in G.state_dict().items():
        recipe = seeded_recipe(key, mapping_lr)
        if recipe is None:
            state[key] = tensor.clone()
            continue
        offset, scale = recipe
        v = seeded_values(key, seed, tensor.numel(), np.float32(scale))
        if offset != 0.0:
            v = np.float32(offset) + v
        state[key] = torch.from_numpy(v.astype(np.float32).reshape(tuple(tensor.shape)))
    G.load_state_dict(state)
    return G


def build(networks, init_kwargs, seed=0):
    G = networks.Generator(**init_kwargs).eval().requires_grad_(False)
    lr = init_kwargs.get("mapping_kwargs", {}).get("lr_multiplier", 0.01)
    return seed_generator(G, seed, lr)


# Small networks: every architecture, noise on/off, a conditional one, clamping active.
CONFIGS = {
    "skip32": dict(z_dim=64, c_dim=0, w_dim=32, img_resolution=32, img_channels=3,
                   mapping_kwargs=dict(num_layers=4),
                   synthesis_kwargs=dict(channel_base=256, channel_max=32, num_fp16_res=2,
                                         conv_clamp=256)),
    "resnet16_cond": dict(z_dim=32, c_dim=5, w_dim=32, img_resolution=16, img_channels=3,
                          mapping_kwargs=dict(num_layers=2),
                          synthesis_kwargs=dict(channel_base=256, channel_max=32,
                                                architecture="resnet", conv_clamp=2.0)),
    "orig16_nonoise": dict(z_dim=32, c_dim=0, w_dim=16, img_resolution=16, img_channels=3,
                           mapping_kwargs=dict(num_layers=2, activation="relu"),
                           synthesis_kwargs=dict(channel_base=128, channel_max=32,
                                                 architecture="orig", use_noise=False)),
}

# (name, latents, psi, cutoff, noise_mode). Latents: ("stream", seed, n) or ("seeds", [..]).
CASES = {
    "skip32": [
        ("stream0_const", ("stream", 0, 4), 1.0, None, "const"),
        ("seeds_none", ("seeds", [3, 1000]), 1.0, None, "none"),
        ("seeds_trunc", ("seeds", [5, 6]), 0.7, 4, "const"),
    ],
    "resnet16_cond": [
        ("stream1_onehot", ("stream", 1, 5), 1.0, None, "const"),
        ("stream1_trunc_all", ("stream", 1, 5), 0.5, None, "const"),
    ],
    "orig16_nonoise": [
        ("stream2", ("stream", 2, 3), 1.0, None, "const"),
    ],
}


def latents(spec, z_dim):
    if spec[0] == "stream":
        return np.random.RandomState(spec[1]).randn(spec[2], z_dim)
    return np.concatenate([np.random.RandomState(s).randn(1, z_dim) for s in spec[1]])


def labels(n, c_dim):
    """One-hot labels `i % c_dim` for conditional networks (exercises the embedding)."""
    c = np.zeros([n, c_dim], dtype=np.float32)
    if c_dim:
        c[np.arange(n), np.arange(n) % c_dim] = 1
    return torch.from_numpy(c)


def to_uint8(img):
    return (img * 127.5 + 128).clamp(0, 255).to(torch.uint8)


def fixtures(args):
    from safetensors.torch import save_file

    networks = import_networks(args.sg2ada)
    for name, init_kwargs in CONFIGS.items():
        out = FIXTURES / name
        out.mkdir(parents=True, exist_ok=True)
        G = build(networks, init_kwargs)
        save_file({k: v.contiguous() for k, v in G.state_dict().items()}, str(out / "G.safetensors"))
        (out / "G.json").write_text(json.dumps(init_kwargs, indent=1) + "\n")
        cases = []
        for case, spec, psi, cutoff, noise in CASES[name]:
            z = latents(spec, G.z_dim)
            c = labels(len(z), G.c_dim)
            with torch.no_grad():
                img = G(torch.from_numpy(z), c, truncation_psi=psi, truncation_cutoff=cutoff,
                        noise_mode=noise, force_fp32=True)
            np.save(out / f"{case}_z.npy", z)
            np.save(out / f"{case}_img.npy", img.numpy().astype(np.float32))
            np.save(out / f"{case}_u8.npy", to_uint8(img).numpy())
            cases.append(dict(name=case, latents=spec[0], seed=spec[1] if spec[0] == "stream" else None,
                              num=spec[2] if spec[0] == "stream" else None,
                              seeds=spec[1] if spec[0] == "seeds" else None,
                              truncation_psi=psi, truncation_cutoff=cutoff, noise_mode=noise,
                              one_hot_labels=G.c_dim > 0))
            u8 = to_uint8(img).numpy()
            print(f"{name}/{case}: img mean {img.mean():.3f} std {img.std():.3f} "
                  f"min {img.min():.3f} max {img.max():.3f}; uint8 0/255 fraction "
                  f"{np.mean((u8 == 0) | (u8 == 255)):.3f}")
        (out / "cases.json").write_text(json.dumps(cases, indent=1) + "\n")


PAPER256 = dict(z_dim=512, c_dim=0, w_dim=512, img_resolution=256, img_channels=3,
                mapping_kwargs=dict(num_layers=8),
                synthesis_kwargs=dict(channel_base=16384, channel_max=512, num_fp16_res=4,
                                      conv_clamp=256))


def bench(args):
    torch.set_num_threads(args.threads)
    networks = import_networks(args.sg2ada)
    G = build(networks, PAPER256)
    z = torch.from_numpy(np.random.RandomState(0).randn(args.batch, 512))
    c = torch.zeros([args.batch, 0])
    times = []
    with torch.no_grad():
        for i in range(args.reps + 1):
            t = time.perf_counter()
            G(z, c, noise_mode="const", force_fp32=True)
            if i > 0:  # the first call warms up
                times.append(time.perf_counter() - t)
    ref = args.batch / float(np.median(times))
    print(f"reference (NVlabs, torch {torch.__version__}, {args.threads} threads): "
          f"{ref:.3f} images/s (median of {args.reps}, batch {args.batch})")
    cmd = ["cargo", "bench", "-q", "-p", "burn-models", "--bench", "stylegan2",
           "--profile", args.profile, "--", "--batch", str(args.batch), "--reps", str(args.reps)]
    env = dict(os.environ, RAYON_NUM_THREADS=str(args.threads))
    res = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True)
    sys.stderr.write(res.stderr[-2000:])
    res.check_returncode()
    burn = float(json.loads(res.stdout.strip().splitlines()[-1])["images_per_s"])
    print(f"burn flex: {burn:.3f} images/s; ratio burn/reference = {burn / ref:.2f}")


def convert(args):
    from safetensors.torch import save_file

    import_networks(args.sg2ada)  # torch_utils / dnnlib must be importable to unpickle
    with open(args.pkl, "rb") as f:
        data = pickle.load(f)
    G = data["G_ema"] if isinstance(data, dict) else data
    kwargs = json.loads(json.dumps(dict(G.init_kwargs), default=dict))
    out = Path(args.out)
    save_file({k: v.detach().float().contiguous() for k, v in G.state_dict().items()},
              str(out.with_suffix(".safetensors")))
    out.with_suffix(".json").write_text(json.dumps(kwargs, indent=1) + "\n")


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="cmd", required=True)
    f = sub.add_parser("fixtures")
    f.add_argument("--sg2ada")
    b = sub.add_parser("bench")
    b.add_argument("--sg2ada")
    b.add_argument("--batch", type=int, default=4)
    b.add_argument("--reps", type=int, default=5)
    b.add_argument("--threads", type=int, default=2)
    b.add_argument("--profile", default="bench",
                   help="cargo profile of the Burn side (bench = release; dev also compiles Burn "
                        "and its kernels at opt-level 3, see Cargo.toml)")
    c = sub.add_parser("convert")
    c.add_argument("--sg2ada")
    c.add_argument("pkl")
    c.add_argument("out")
    args = p.parse_args()
    {"fixtures": fixtures, "bench": bench, "convert": convert}[args.cmd](args)


if __name__ == "__main__":
    main()
