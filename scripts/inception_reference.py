"""Reference outputs of the FID Inception-v3 on seeded weights, for `burn-models/tests/inception_parity.rs`.

Both trusted implementations are run on the *same* counter-based seeded weights that the Rust tests rebuild
(`burn_models::inception::seeded_state_dict`, recipe in `seeded_inception_tensor` below):

* torch-fidelity 0.4.0 `FeatureExtractorInceptionV3` (TF1 bilinear resize, `(x - 128) / 128`): the `tf` preprocessing;
* pytorch-fid 0.3.0 `InceptionV3(use_fid_inception=True)` (torch bilinear, half-pixel centres, `2x - 1`): the
  `pytorch-fid` preprocessing. pytorch-fid has no classifier, so its logits are `fc(pool3)` with the same `fc`.

Only the outputs are written (pool3, logits, 16 channels of the Mixed_7c / mixed_10 activation), never the weights.

    pip install torch==2.15.0 torchvision pytorch-fid==0.3.0 torch-fidelity==0.4.0 numpy pillow safetensors
    # the photographs (CC0 / public domain, see NOTICES) come from the scikit-image wheel, not installed:
    pip download --no-deps scikit-image==0.26.0 -d /tmp/skimg && (cd /tmp/skimg && unzip -o -q *.whl 'skimage/data/*')
    python scripts/inception_reference.py --photos /tmp/skimg/skimage/data

`--photos` is only needed to (re)create the committed fixture images; without it the script reads them back from
`tests/fixtures/inception/`.

With the real weights (never committed), for the `#[ignore]` test `real_weights_match_pytorch_fid`:

    python scripts/inception_reference.py --real-weights pt_inception-2015-12-05-6726825d.pth --out /tmp/inception-real
"""
import argparse
import json
import math
import os
import sys
import tempfile
import types

import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from fidlab_seeded import seeded_tensor  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
FIXTURES = os.path.join(ROOT, "tests", "fixtures", "inception")

#: Seed of every tensor in the parity network (`burn_models::inception::PARITY_SEED`).
SEED = 2015

#: (fixture file, source photograph, width, height). One 299² (no resize), two 256² (upsampling, as in the
#: paper's FFHQ-256 setting), one odd non-square size (different scale factors on the two axes).
IMAGES = [
    ("astronaut_299.png", "astronaut.png", 299, 299),
    ("chelsea_256.png", "chelsea.png", 256, 256),
    ("coffee_256.png", "coffee.png", 256, 256),
    ("rocket_211x173.png", "rocket.jpg", 211, 173),
]

#: Channels of Mixed_7c written to the fixtures: 4 from each branch (1x1: 0..320, 3x3: 320..1088,
#: 3x3dbl: 1088..1856, max-pool: 1856..2048).
MIXED_10_CHANNELS = [0, 1, 2, 3, 320, 321, 322, 323, 1088, 1089, 1090, 1091, 1856, 1857, 1858, 1859]


def seeded_inception_tensor(name, shape, seed=SEED):
    """The parity weights, mirrored by `burn_models::inception::seeded_state_dict`.

    Scales keep activations O(1) through all 94 conv layers: He-uniform convs (`sqrt(6 / fan_in)`), batch norm
    with scale 1 ± 0.25, shift ±0.1, running mean ±0.1 and running variance 1 ± 0.5, and an fc with unit gain.
    """
    shape = tuple(int(s) for s in shape)
    one = np.float32(1)
    if name.endswith("conv.weight"):
        fan_in = int(np.prod(shape[1:]))
        return seeded_tensor(name, seed, shape, math.sqrt(6.0 / fan_in))
    if name.endswith("bn.weight"):
        return one + seeded_tensor(name, seed, shape, 0.25)
    if name.endswith("bn.bias") or name.endswith("bn.running_mean"):
        return seeded_tensor(name, seed, shape, 0.1)
    if name.endswith("bn.running_var"):
        return one + seeded_tensor(name, seed, shape, 0.5)
    if name == "fc.weight":
        return seeded_tensor(name, seed, shape, math.sqrt(3.0 / shape[1]))
    if name == "fc.bias":
        return seeded_tensor(name, seed, shape, 0.1)
    raise KeyError(name)


def seeded_state_dict(seed=SEED):
    """Seeded state dict with torchvision `Inception3` names (the layout of pytorch-fid's `.pth`), 472 tensors."""
    names = {k: tuple(v.shape) for k, v in _skeleton().state_dict().items()}
    sd = {}
    for k, shape in names.items():
        if k.endswith("num_batches_tracked"):
            continue
        sd[k] = torch.from_numpy(np.ascontiguousarray(seeded_inception_tensor(k, shape, seed)))
    return sd


def _skeleton():
    """pytorch-fid's FID Inception (torchvision `Inception3` with the FID blocks), weights untouched."""
    import pytorch_fid.inception as pfi

    real = pfi.load_state_dict_from_url
    real_load = torchvision_load_state_dict()
    try:
        pfi.load_state_dict_from_url = lambda *a, **k: {}
        import torchvision

        torchvision.models.Inception3.load_state_dict = lambda self, *a, **k: None
        net = pfi.fid_inception_v3()
    finally:
        pfi.load_state_dict_from_url = real
        import torchvision

        torchvision.models.Inception3.load_state_dict = real_load
    return net


def torchvision_load_state_dict():
    import torchvision

    return torchvision.models.Inception3.load_state_dict


def pytorch_fid_model(sd):
    """`InceptionV3([3], use_fid_inception=True)` with `sd` loaded (strictly) instead of the download."""
    import pytorch_fid.inception as pfi

    real = pfi.load_state_dict_from_url
    try:
        pfi.load_state_dict_from_url = lambda *a, **k: sd
        model = pfi.InceptionV3([3], use_fid_inception=True)
    finally:
        pfi.load_state_dict_from_url = real
    return model.eval()


def torch_fidelity_model(sd, tmpdir):
    """torch-fidelity's extractor reading `sd` from a local weights file."""
    from torch_fidelity.feature_extractor_inceptionv3 import FeatureExtractorInceptionV3

    path = os.path.join(tmpdir, "seeded-inception.pth")
    torch.save(sd, path)
    return FeatureExtractorInceptionV3("inception-v3-compat", ["2048", "logits"], feature_extractor_weights_path=path)


def make_fixture_images(photos):
    os.makedirs(FIXTURES, exist_ok=True)
    for out, src, w, h in IMAGES:
        im = Image.open(os.path.join(photos, src)).convert("RGB")
        # Centre-crop to the target aspect ratio, then a high-quality downscale.
        sw, sh = im.size
        target = w / h
        if sw / sh > target:
            cw = round(sh * target)
            box = ((sw - cw) // 2, 0, (sw - cw) // 2 + cw, sh)
        else:
            ch = round(sw / target)
            box = (0, (sh - ch) // 2, sw, (sh - ch) // 2 + ch)
        im.crop(box).resize((w, h), Image.LANCZOS).save(os.path.join(FIXTURES, out), optimize=True)


def load_fixture_images():
    """uint8 tensors [1, 3, H, W], one per image (the sizes differ)."""
    out = []
    for name, _, w, h in IMAGES:
        a = np.asarray(Image.open(os.path.join(FIXTURES, name)).convert("RGB"))
        assert a.shape == (h, w, 3), (name, a.shape)
        out.append(torch.from_numpy(a.copy()).permute(2, 0, 1).unsqueeze(0).contiguous())
    return out


def capture(module):
    box = {}

    def hook(_m, _i, o):
        box["out"] = o.detach().clone()

    return box, module.register_forward_hook(hook)


def run_torch_fidelity(model, images):
    box, h = capture(model.Mixed_7c)
    pool3, logits, mixed = [], [], []
    with torch.no_grad():
        for x in images:
            p, lg = model(x)
            pool3.append(p[0].numpy())
            logits.append(lg[0].numpy())
            mixed.append(box["out"][0, MIXED_10_CHANNELS].numpy())
    h.remove()
    return np.stack(pool3), np.stack(logits), np.stack(mixed)


def run_pytorch_fid(model, fc, images):
    box, h = capture(model.blocks[3][2])  # Mixed_7c
    pool3, logits, mixed = [], [], []
    with torch.no_grad():
        for x in images:
            p = model(x.to(torch.float32) / 255.0)[0][:, :, 0, 0]
            pool3.append(p[0].numpy())
            logits.append(F.linear(p, fc["weight"], fc["bias"])[0].numpy())
            mixed.append(box["out"][0, MIXED_10_CHANNELS].numpy())
    h.remove()
    return np.stack(pool3), np.stack(logits), np.stack(mixed)


def activation_report(model, x):
    """Per-layer std and fraction of exact zeros after every conv+bn+relu, to check nothing degenerates."""
    from torch_fidelity.feature_extractor_inceptionv3 import BasicConv2d

    stats = []
    hooks = []
    for name, m in model.named_modules():
        if isinstance(m, BasicConv2d):
            hooks.append(m.register_forward_hook(
                lambda _m, _i, o, name=name: stats.append((name, float(o.std()), float((o == 0).float().mean())))))
    with torch.no_grad():
        model(x)
    for h in hooks:
        h.remove()
    return stats


def quirk_effects(sd, images):
    """How much pool3 moves if a quirk is dropped (shows that the parity fixtures detect each one)."""
    import pytorch_fid.inception as pfi

    base = run_pytorch_fid(pytorch_fid_model(sd), {"weight": sd["fc.weight"], "bias": sd["fc.bias"]}, images)[0]
    effects = {}
    real_f = pfi.F

    def with_f(**overrides):
        shim = types.SimpleNamespace(**{k: getattr(real_f, k) for k in dir(real_f) if not k.startswith("__")})
        for k, v in overrides.items():
            setattr(shim, k, v)
        pfi.F = shim
        try:
            return run_pytorch_fid(pytorch_fid_model(sd), {"weight": sd["fc.weight"], "bias": sd["fc.bias"]},
                                   images)[0]
        finally:
            pfi.F = real_f

    def avg_incl(x, kernel_size, stride, padding, count_include_pad=True):
        return real_f.avg_pool2d(x, kernel_size, stride, padding, count_include_pad=True)

    effects["count_include_pad=True"] = with_f(avg_pool2d=avg_incl)

    def avg_instead_of_max(x, kernel_size, stride=None, padding=0, **_):
        if stride == 1:
            return real_f.avg_pool2d(x, kernel_size, stride, padding, count_include_pad=False)
        return real_f.max_pool2d(x, kernel_size, stride, padding)

    effects["E_2 avg-pool branch"] = with_f(max_pool2d=avg_instead_of_max)
    scale = float(np.abs(base).max())
    return {k: float(np.abs(v - base).max()) / scale for k, v in effects.items()}


def save_npy(name, arr):
    np.save(os.path.join(FIXTURES, name), np.ascontiguousarray(arr, dtype=np.float32))


def write_loader_fixtures(sd):
    """Tiny `.pth` / `.safetensors` files to test the loaders' key checks (a few kB, no full network)."""
    from safetensors.torch import save_file

    part = {k: v for k, v in sd.items() if k.startswith("Conv2d_1a_3x3.")}
    part["Conv2d_1a_3x3.bn.num_batches_tracked"] = torch.tensor(0, dtype=torch.int64)
    torch.save(part, os.path.join(FIXTURES, "stem_state_dict.pth"))
    save_file({k: v for k, v in part.items() if v.dtype == torch.float32},
              os.path.join(FIXTURES, "stem_state_dict.safetensors"))


def real_weights_reference(weights, out):
    """Outputs of both references with the real weights, into `out` (not the fixtures)."""
    assert out, "--out DIR is required with --real-weights"
    os.makedirs(out, exist_ok=True)
    images = load_fixture_images()
    sd = torch.load(weights, map_location="cpu")
    with tempfile.TemporaryDirectory():
        tf_out = run_torch_fidelity(torch_fidelity_model_from_file(weights), images)
    pt_out = run_pytorch_fid(pytorch_fid_model(sd), {"weight": sd["fc.weight"], "bias": sd["fc.bias"]}, images)
    for prefix, (pool3, logits, mixed) in (("tf", tf_out), ("pytorch-fid", pt_out)):
        for what, arr in (("pool3", pool3), ("logits", logits), ("mixed10", mixed)):
            np.save(os.path.join(out, f"{prefix}_{what}.npy"), np.ascontiguousarray(arr, dtype=np.float32))
    print("wrote", out)


def torch_fidelity_model_from_file(path):
    from torch_fidelity.feature_extractor_inceptionv3 import FeatureExtractorInceptionV3

    return FeatureExtractorInceptionV3("inception-v3-compat", ["2048", "logits"], feature_extractor_weights_path=path)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--photos", help="directory with scikit-image's astronaut.png, chelsea.png, coffee.png, rocket.jpg")
    ap.add_argument("--real-weights", help="pytorch-fid's pt_inception-2015-12-05-6726825d.pth; writes to --out only")
    ap.add_argument("--out", help="output directory for --real-weights")
    args = ap.parse_args()
    torch.set_num_threads(max(1, os.cpu_count() or 1))
    if args.real_weights:
        return real_weights_reference(args.real_weights, args.out)
    if args.photos:
        make_fixture_images(args.photos)
    images = load_fixture_images()

    sd = seeded_state_dict()
    assert len(sd) == 472, len(sd)
    fc = {"weight": sd["fc.weight"], "bias": sd["fc.bias"]}

    with tempfile.TemporaryDirectory() as tmp:
        tfid = torch_fidelity_model(sd, tmp)
        tf_out = run_torch_fidelity(tfid, images)
        report = activation_report(tfid, images[0])
    pfid = pytorch_fid_model(sd)
    pt_out = run_pytorch_fid(pfid, fc, images)

    for prefix, (pool3, logits, mixed) in (("tf", tf_out), ("pytorch-fid", pt_out)):
        save_npy(f"{prefix}_pool3.npy", pool3)
        save_npy(f"{prefix}_logits.npy", logits)
        save_npy(f"{prefix}_mixed10.npy", mixed)
    write_loader_fixtures(sd)

    stds = [s for _, s, _ in report]
    zeros = [z for _, _, z in report]
    pool3 = tf_out[0]
    meta = {
        "seed": SEED,
        "images": [{"file": f, "width": w, "height": h} for f, _, w, h in IMAGES],
        "mixed_10_channels": MIXED_10_CHANNELS,
        "versions": {"torch": torch.__version__, "numpy": np.__version__},
        "checks": {
            "layer_std_min": min(stds), "layer_std_max": max(stds),
            "layer_zero_fraction_max": max(zeros),
            "pool3_max": float(np.abs(pool3).max()),
            "pool3_spread_between_images_rel": float((pool3 - pool3.mean(0)).std() / np.abs(pool3).max()),
            "logits_std": float(tf_out[1].std()),
            "tf_vs_pytorch_fid_preprocessing_pool3_max_abs": float(np.abs(tf_out[0] - pt_out[0]).max()),
            "quirk_effect_on_pool3_rel": quirk_effects(sd, images),
        },
    }
    with open(os.path.join(FIXTURES, "reference.json"), "w") as f:
        json.dump(meta, f, indent=2)
        f.write("\n")
    print(json.dumps(meta["checks"], indent=2))


if __name__ == "__main__":
    main()
