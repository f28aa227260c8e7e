"""Reference outputs for the CLIP ViT-B/32 image encoder (`burn-models/src/clip/`).

The reference network is open_clip's `ViT-B-32-quickgelu` (OpenAI's architecture) with *seeded* weights: every
`visual.*` tensor is generated from its key by `fidlab_seeded.py` with the scales of `clip_seeded_rule` below, which
`burn-models/src/clip/seeded.rs` reproduces bit for bit. No weights are committed, only small outputs.

    pip install torch==2.15.0 torchvision==0.29.2 open_clip_torch==3.3.0 pillow==13.0.0 numpy==2.4.6 safetensors==0.8.0
    pip download --no-deps scikit-image==0.26.0 -d /tmp/skimg && cd /tmp/skimg && unzip -o -q scikit_image-*.whl
    python scripts/clip_reference.py --skimage-data /tmp/skimg/skimage/data [--pth /tmp/clip_seeded.pth]

Writes (under tests/fixtures/clip/):
  astronaut_256.png, coffee_256.png, chelsea_320x213.png   photographs (licences: NOTICES)
  reference.json    per image: the embeddings under the `seed` and `clean` preprocessing, and views of the
                    preprocessed 224x224 image of each path; a random 3x37x53 image resized by torch (bicubic,
                    align_corners=False, no antialias) and by PIL (antialiased bicubic, uint8) to several sizes;
                    the same network at reduced width (`tiny`).
With --pth, also writes the seeded open_clip state dict (whole model; text tower left at open_clip's random init)
to that path, and a `visual.*`-only safetensors beside it, for the ignored test `clip_seeded_pth_matches_open_clip`.
"""
import argparse
import hashlib
import json
import os
import sys

import numpy as np
import open_clip
import torch
import torch.nn.functional as F
import torchvision.transforms as T
import torchvision.transforms.functional as TF
from PIL import Image

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from fidlab_seeded import seeded_tensor  # noqa: E402

SEED = 0
MEAN = (0.48145466, 0.4578275, 0.40821073)
STD = (0.26862954, 0.26130258, 0.27577711)
OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "fixtures", "clip")


def clip_seeded_rule(key: str, shape):
    """(scale, offset) of the seeded tensor for a `visual.*` key: value = offset + seeded(key, scale).

    Scales keep activations O(1) through the twelve blocks (uniform in [-s, s) has std s/sqrt(3)), so that the
    output is far from degenerate: the patch conv and every linear layer use s = sqrt(3 / fan_in)."""
    k = key[len("visual."):]
    if k in ("class_embedding", "positional_embedding"):
        return 0.5, 0.0
    if ".ln_" in k or k.startswith("ln_"):
        return (0.1, 1.0) if k.endswith(".weight") else (0.1, 0.0)
    if k.endswith("bias"):
        return 0.05, 0.0
    if k == "proj":
        fan_in = shape[0]
    else:
        fan_in = int(np.prod(shape[1:]))
    return float(np.sqrt(3.0 / fan_in)), 0.0


def seeded_visual(model):
    sd = {}
    for key, t in model.state_dict().items():
        if not key.startswith("visual."):
            continue
        scale, offset = clip_seeded_rule(key, tuple(t.shape))
        v = seeded_tensor(key, SEED, tuple(t.shape), scale)
        if offset != 0.0:
            v = (v + np.float32(offset)).astype(np.float32)
        sd[key] = torch.from_numpy(v)
    return sd


def load_seeded(model):
    sd = seeded_visual(model)
    missing, unexpected = model.load_state_dict(sd, strict=False)
    assert not unexpected and all(not k.startswith("visual.") for k in missing), (missing, unexpected)
    return model.eval()


def normalize(x01):
    return TF.normalize(x01, MEAN, STD)


def seed_preprocess(img_u8):
    """torchvision 0.9 on a tensor: x/255, Resize(224, bicubic, no antialias), CenterCrop(224)."""
    x = torch.from_numpy(img_u8).permute(2, 0, 1)[None].float() / 255.0
    x = TF.resize(x, 224, interpolation=T.InterpolationMode.BICUBIC, antialias=False)
    return TF.center_crop(x, 224)


def clean_preprocess(img_u8):
    """clean-fid's `img_preprocess_clip`: PIL uint8 Resize(224, BICUBIC) + CenterCrop(224), then /255."""
    pil = Image.fromarray(img_u8).convert("RGB")
    pil = T.Compose([T.Resize(224, interpolation=T.InterpolationMode.BICUBIC), T.CenterCrop(224)])(pil)
    u8 = np.asarray(pil).clip(0, 255).astype(np.uint8)
    return u8, torch.from_numpy(u8.transpose(2, 0, 1).copy())[None].float() / 255.0


def grid(x_chw, step=8):
    """Every `step`-th pixel of a [3, H, W] array, row-major, as a flat list."""
    return [float(v) for v in np.asarray(x_chw)[:, ::step, ::step].reshape(-1)]


def stats(x):
    x = np.asarray(x, dtype=np.float64)
    return {"min": x.min(), "max": x.max(), "mean": x.mean(), "sumsq": float((x * x).sum())}


def fixture_images(skimage_data):
    """Three photographs: two at 256x256, one non-square 320x213 (W x H)."""
    def load(name):
        return Image.open(os.path.join(skimage_data, name)).convert("RGB")

    astronaut = load("astronaut.png").resize((256, 256), Image.LANCZOS)
    coffee = load("coffee.png")  # 600x400
    coffee = coffee.crop((100, 0, 500, 400)).resize((256, 256), Image.LANCZOS)
    chelsea = load("chelsea.png").resize((320, 213), Image.LANCZOS)  # 451x300
    return {"astronaut_256": astronaut, "coffee_256": coffee, "chelsea_320x213": chelsea}


def resize_cases():
    rng = np.random.RandomState(0)
    img = rng.randint(0, 256, size=(37, 53, 3)).astype(np.uint8)  # H, W, C
    cases = []
    for h, w in [(29, 71), (11, 13), (224, 224), (37, 20)]:
        x = torch.from_numpy(img).permute(2, 0, 1)[None].float()
        t = F.interpolate(x, size=(h, w), mode="bicubic", align_corners=False)[0].numpy()
        p = np.asarray(Image.fromarray(img).resize((w, h), Image.BICUBIC)).transpose(2, 0, 1)
        case = {"height": h, "width": w}
        if h * w <= 2100:
            case["torch"] = [float(v) for v in t.reshape(-1)]
            case["pil"] = [int(v) for v in p.reshape(-1)]
        else:
            case["torch_grid8"] = grid(t)
            case["torch_stats"] = stats(t)
            case["pil_sha256"] = hashlib.sha256(np.ascontiguousarray(p).tobytes()).hexdigest()
        cases.append(case)
    return {"input_hwc": [int(v) for v in img.reshape(-1)], "height": 37, "width": 53, "cases": cases}


def tiny_model():
    """The same architecture at reduced width (see `ClipVisionConfig` in the Rust test)."""
    from open_clip.transformer import VisionTransformer

    m = VisionTransformer(image_size=224, patch_size=32, width=64, layers=2, heads=4, mlp_ratio=4.0,
                          output_dim=32, act_layer=open_clip.transformer.QuickGELU)

    class Wrap(torch.nn.Module):
        def __init__(self, visual):
            super().__init__()
            self.visual = visual

    w = Wrap(m)
    w.load_state_dict(seeded_visual(w))
    return w.eval()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--skimage-data", required=True)
    ap.add_argument("--pth", help="also write the seeded open_clip state dict here (.pth) and a safetensors beside it")
    args = ap.parse_args()
    os.makedirs(OUT, exist_ok=True)
    torch.manual_seed(0)
    model = load_seeded(open_clip.create_model("ViT-B-32-quickgelu", pretrained=None))
    tiny = tiny_model()

    ref = {"seed": SEED, "mean": MEAN, "std": STD, "images": [], "resize": resize_cases()}
    for name, pil in fixture_images(args.skimage_data).items():
        path = os.path.join(OUT, name + ".png")
        pil.save(path, optimize=True)
        img = np.asarray(Image.open(path).convert("RGB"))
        xs = seed_preprocess(img)
        cu8, xc = clean_preprocess(img)
        with torch.no_grad():
            es = model.encode_image(normalize(xs))[0].numpy()
            ec = model.encode_image(normalize(xc))[0].numpy()
            et = tiny.visual(normalize(xs))[0].numpy()
        ref["images"].append({
            "file": name + ".png",
            "height": int(img.shape[0]),
            "width": int(img.shape[1]),
            "seed_preprocessed_grid8": grid(xs[0].numpy()),
            "seed_preprocessed_stats": stats(xs[0].numpy()),
            "clean_u8_sha256": hashlib.sha256(np.ascontiguousarray(cu8.transpose(2, 0, 1)).tobytes()).hexdigest(),
            "clean_u8_grid8": grid(cu8.transpose(2, 0, 1)),
            "embedding_seed": [float(v) for v in es],
            "embedding_clean": [float(v) for v in ec],
            "embedding_tiny_seed": [float(v) for v in et],
        })
        print(f"{name}: |seed| {np.linalg.norm(es):.4f}  |clean| {np.linalg.norm(ec):.4f}  "
              f"max|seed| {np.abs(es).max():.4f}  seed-clean {np.abs(es - ec).max():.4f}")
    with open(os.path.join(OUT, "reference.json"), "w") as f:
        json.dump(ref, f, separators=(",", ":"))
        f.write("\n")

    if args.pth:
        torch.save(model.state_dict(), args.pth)
        from safetensors.torch import save_file

        vis = {k: v.contiguous() for k, v in model.state_dict().items() if k.startswith("visual.")}
        save_file(vis, os.path.splitext(args.pth)[0] + ".safetensors")
        print("wrote", args.pth)


if __name__ == "__main__":
    main()
