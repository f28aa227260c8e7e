"""FID of two fixed image sets by pytorch-fid and torch-fidelity, for `tools/tests/cli_fid_sets.rs`.

The sets are exact pixel crops (and their mirror images) of the committed Inception photographs, so the Rust
test rebuilds them byte for byte without a resampling step (`fid_sets` there mirrors `fid_sets` here):

* set `a`: crops of `astronaut_299.png` and `chelsea_256.png`; set `b`: crops of `coffee_256.png` and
  `rocket_211x173.png`; each photo gives a 3 x 3 grid of 128 x 128 crops (offsets `i * (size - 128) // 2`),
  each crop also mirrored left to right: 36 images a set, 128 x 128, written as PNG in sorted order.

Both references read the folders themselves:

* pytorch-fid 0.3.0 `fid_score.calculate_fid_given_paths` (its own preprocessing: `x / 255`, half-pixel
  bilinear to 299, `2x - 1`), the value for `fidlab fid --preprocess pytorch-fid`;
* torch-fidelity 0.4.0 `calculate_metrics(fid=True)` (TF1 bilinear, `(x - 128) / 128`, NVIDIA's
  preprocessing), the value for `fidlab fid --preprocess tf`.

With the seeded parity weights (`burn_models::inception::seeded_state_dict(PARITY_SEED)`, the default) it
writes the committed `tests/fixtures/inception/fid_sets.json`; the weights themselves are never committed:

    pip install torch==2.15.0 torchvision pytorch-fid==0.3.0 torch-fidelity==0.4.0 numpy pillow scipy
    python scripts/fid_reference.py

With pytorch-fid's real weights (`pt_inception-2015-12-05-6726825d.pth`, 95 MB, never committed), for the
`#[ignore]` test `real_weights_fid_matches_pytorch_fid`:

    python scripts/fid_reference.py --weights pt_inception-2015-12-05-6726825d.pth --out /tmp/fid-real

`--out DIR` also keeps the image folders (`DIR/a`, `DIR/b`) and, for seeded weights, the `.pth` file
(`DIR/seeded-inception.pth`, a torch.save state dict in pytorch-fid's layout holding the seeded values).
"""
import argparse
import json
import os
import sys
import tempfile

import numpy as np
import torch
from PIL import Image

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from inception_reference import FIXTURES, SEED, seeded_state_dict  # noqa: E402

#: Crop side, grid steps per axis and the photographs of each set.
CROP = 128
GRID = 3
SETS = {
    "a": ["astronaut_299.png", "chelsea_256.png"],
    "b": ["coffee_256.png", "rocket_211x173.png"],
}


def fid_sets():
    """`{set: [(file name, HxWx3 uint8)]}`, in the order the Rust test builds them."""
    out = {}
    for name, photos in SETS.items():
        images = []
        for photo in photos:
            pixels = np.asarray(Image.open(os.path.join(FIXTURES, photo)).convert("RGB"))
            h, w, _ = pixels.shape
            stem = photo.split("_")[0]
            for i in range(GRID):
                for j in range(GRID):
                    y = i * (h - CROP) // (GRID - 1)
                    x = j * (w - CROP) // (GRID - 1)
                    crop = pixels[y:y + CROP, x:x + CROP]
                    images.append((f"{stem}_{i}{j}.png", crop))
                    images.append((f"{stem}_{i}{j}_mirror.png", crop[:, ::-1]))
        out[name] = images
    return out


def write_sets(root):
    dirs = {}
    for name, images in fid_sets().items():
        d = os.path.join(root, name)
        os.makedirs(d, exist_ok=True)
        for file, pixels in images:
            Image.fromarray(np.ascontiguousarray(pixels)).save(os.path.join(d, file))
        dirs[name] = d
    return dirs


def pytorch_fid_value(dirs, weights):
    import pytorch_fid.inception as pfi
    from pytorch_fid.fid_score import calculate_fid_given_paths

    real = pfi.load_state_dict_from_url
    pfi.load_state_dict_from_url = lambda *a, **k: torch.load(weights, map_location="cpu")
    try:
        return float(calculate_fid_given_paths([dirs["a"], dirs["b"]], batch_size=12, device="cpu", dims=2048,
                                               num_workers=0))
    finally:
        pfi.load_state_dict_from_url = real


def torch_fidelity_value(dirs, weights):
    import torch_fidelity

    metrics = torch_fidelity.calculate_metrics(
        input1=dirs["a"], input2=dirs["b"], fid=True, cuda=False, cache=False, verbose=False, batch_size=12,
        feature_extractor_weights_path=weights)
    return float(metrics["frechet_inception_distance"])


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--weights", help="a pytorch-fid-layout .pth (the real one); default: the seeded weights")
    ap.add_argument("--out", help="keep the folders (and the seeded .pth) here; required with --weights")
    args = ap.parse_args()
    if args.weights and not args.out:
        ap.error("--out DIR is required with --weights (the committed fixture holds seeded values only)")
    torch.set_num_threads(max(1, os.cpu_count() or 1))
    with tempfile.TemporaryDirectory() as tmp:
        root = args.out or tmp
        os.makedirs(root, exist_ok=True)
        dirs = write_sets(root)
        weights = args.weights
        if weights is None:
            weights = os.path.join(root, "seeded-inception.pth")
            torch.save(seeded_state_dict(), weights)
        import pytorch_fid
        import torch_fidelity

        result = {
            "weights": "seeded" if args.weights is None else os.path.basename(args.weights),
            "seed": SEED if args.weights is None else None,
            "sets": {k: len(v) for k, v in fid_sets().items()},
            "crop": CROP,
            "grid": GRID,
            "fid": {
                "pytorch-fid": pytorch_fid_value(dirs, weights),
                "tf": torch_fidelity_value(dirs, weights),
            },
            "versions": {"pytorch-fid": pytorch_fid.__version__, "torch-fidelity": torch_fidelity.__version__,
                         "torch": torch.__version__, "numpy": np.__version__},
        }
        path = os.path.join(args.out, "fid.json") if args.out else os.path.join(FIXTURES, "fid_sets.json")
        with open(path, "w") as f:
            json.dump(result, f, indent=2)
            f.write("\n")
        print(json.dumps(result, indent=2))
        print("wrote", path)


if __name__ == "__main__":
    main()
