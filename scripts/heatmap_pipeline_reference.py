"""Reference outputs for the image-side steps of the FID sensitivity heatmap.

Covers everything after the gradient: the Grad-CAM-style channel weighting, the min-max
quantisation of the 8x8 map, Pillow's float (mode 'F') Lanczos upscale and its 'F' -> 'L'
conversion, OpenCV's PARULA colour map and the overlay arithmetic of the paper's
`show_sensitivity_on_image`, plus the parsed ImageNet label file. Each step is written here with
numpy / Pillow / OpenCV exactly as the paper's pipeline performs it (dtypes included), and the
outputs are saved as small `.npy` / text files under `heatmaps/tests/fixtures/pipeline/`.
`heatmaps/tests/pipeline_parity.rs` compares the Rust implementation against them, offline.

Environment (a throwaway venv; nothing here needs torch or a network at run time):

    python3 -m venv /tmp/venv-heatmaps-cv
    /tmp/venv-heatmaps-cv/bin/pip install numpy==2.4.6 pillow==13.0.0 \
        opencv-python-headless==5.1.0.95 PyYAML==6.0.4
    /tmp/venv-heatmaps-cv/bin/python scripts/heatmap_pipeline_reference.py

Run from the repository root. Re-running rewrites the fixtures byte for byte.
"""
import os
import sys

import cv2
import numpy as np
import PIL
import PIL.Image
import yaml

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(ROOT, "heatmaps", "tests", "fixtures", "pipeline")
LUT_PATH = os.path.join(ROOT, "heatmaps", "data", "opencv-parula-rgb-lut.txt")
LABELS_PATH = os.path.join(ROOT, "heatmaps", "data", "imagenet-2012-labels-tf2015.yml")


def save(name, array):
    np.save(os.path.join(OUT, name + ".npy"), np.ascontiguousarray(array))


# ---------------------------------------------------------------------------------------------
# The pipeline steps, with the dtypes of the paper's code.


def unit_range(x):
    """Global min-max scaling to [0, 1] in float32; an all-zero input is returned unchanged."""
    if np.all(x == 0):
        return x
    x = x.astype(np.float32)
    return (x - x.min()) / (x.max() - x.min())


def channel_weighted_map(activation, gradient):
    """[1, C, h, w] float32 activation and gradient -> [1, h, w] float32 map.

    Channel weight = spatial mean of the squared gradient; map = weighted channel sum.
    """
    alpha = np.mean(gradient ** 2, axis=(2, 3), keepdims=True)
    return (alpha * activation).sum(axis=1)


def quantise(m):
    """[1, 8, 8] float32 map -> [8, 8] float64 holding integers 0..255 (np.clip returns float64)."""
    m = unit_range(m)
    m = np.clip((m * 255.0).astype(np.uint8), 0.0, 255.0)
    return m[0]


def upscale(m_float, width, height):
    """Pillow mode 'F' Lanczos resize; returns (float32 result, uint8 after convert('L'))."""
    img = PIL.Image.fromarray(m_float)
    assert img.mode == "F", img.mode
    big = img.resize((width, height), resample=PIL.Image.LANCZOS)
    return np.asarray(big, dtype=np.float32), np.asarray(big.convert("L"))


def overlay(image_chw, map_u8):
    """uint8 [3, H, W] image and uint8 [H, W] map -> uint8 [3, H, W] overlay."""
    heat = cv2.applyColorMap(map_u8, cv2.COLORMAP_PARULA)
    heat = cv2.cvtColor(heat, cv2.COLOR_BGR2RGB).astype(np.float32) / 255
    mixed = 2.0 * heat.transpose(2, 0, 1) + unit_range(image_chw)
    mixed = unit_range(mixed)
    return np.clip(mixed * 255, 0.0, 255.0).astype(np.uint8)


# ---------------------------------------------------------------------------------------------


def parula_fixture():
    ramp = np.arange(256, dtype=np.uint8).reshape(16, 16)
    rgb = cv2.cvtColor(cv2.applyColorMap(ramp, cv2.COLORMAP_PARULA), cv2.COLOR_BGR2RGB)
    rgb = rgb.reshape(256, 3)
    lut = np.loadtxt(LUT_PATH, dtype=np.uint8)
    assert (lut == rgb).all(), "shipped LUT differs from OpenCV's PARULA"
    save("parula_cv2_rgb", rgb)


def map_fixtures():
    rng = np.random.RandomState(11)
    # Grad-CAM weighting on a reduced channel count (the formula does not depend on C).
    act = np.maximum(rng.randn(1, 64, 8, 8), 0).astype(np.float32)
    grad = (rng.randn(1, 64, 8, 8) * 1e-3).astype(np.float32)
    save("cam_activation", act)
    save("cam_gradient", grad)
    save("cam_map", channel_weighted_map(act, grad))
    # Quantisation of many float maps, including tiny and huge scales.
    scales = np.array([1e-12, 1e-6, 1.0, 3.7, 1e3, 1e9], dtype=np.float32)
    maps = np.abs(rng.randn(len(scales) * 4, 1, 8, 8)).astype(np.float32)
    maps *= np.repeat(scales, 4)[:, None, None, None]
    save("quantise_input", maps[:, 0])
    save("quantise_output", np.stack([quantise(m).astype(np.uint8) for m in maps]))


def lanczos_fixtures():
    rng = np.random.RandomState(5)
    maps = {
        "rand": rng.randint(0, 256, (8, 8)).astype(np.float64),
        "onehot": np.zeros((8, 8)),
        "ramp": (np.arange(64) * 4).reshape(8, 8).astype(np.float64),
        "float": (rng.randn(8, 8) * 100).astype(np.float64),
        "zeros": np.zeros((8, 8)),
    }
    maps["onehot"][3, 5] = 255.0
    # (map, width, height, keep the float result too)
    cases = [
        ("rand", 256, 256, True),
        ("rand", 299, 299, False),
        ("onehot", 300, 200, True),
        ("ramp", 61, 47, True),
        ("float", 61, 47, True),
        ("float", 5, 3, True),
        ("rand", 8, 8, True),
        ("zeros", 64, 64, False),
    ]
    for name, m in maps.items():
        save(f"lanczos_in_{name}", m.astype(np.float32))
    for name, w, h, keep_float in cases:
        f, l = upscale(maps[name], w, h)
        if keep_float:
            save(f"lanczos_{name}_{w}x{h}_f", f)
        save(f"lanczos_{name}_{w}x{h}_l", l)


def overlay_fixtures():
    rng = np.random.RandomState(7)
    # (case name, image, 8x8 float map). Image sizes are W x H = 64x48 and 96x80.
    smooth = np.linspace(0, 255, 80 * 96 * 3).reshape(80, 96, 3)
    cases = {
        "a": (rng.randint(0, 256, (48, 64, 3)).astype(np.uint8),
              np.abs(rng.randn(1, 8, 8)).astype(np.float32)),
        "b": ((smooth * 0.6 + rng.randint(0, 90, smooth.shape)).astype(np.uint8),
              (np.abs(rng.randn(1, 8, 8)) * 1e-4).astype(np.float32)),
        "zeromap": (rng.randint(10, 200, (48, 64, 3)).astype(np.uint8),
                    np.zeros((1, 8, 8), np.float32)),
        "zeroimage": (np.zeros((48, 64, 3), np.uint8),
                      np.abs(rng.randn(1, 8, 8)).astype(np.float32)),
    }
    for name, (image_hwc, m) in cases.items():
        h, w, _ = image_hwc.shape
        q = quantise(m)
        _, big = upscale(q, w, h)
        out = overlay(image_hwc.transpose(2, 0, 1), big)
        save(f"overlay_{name}_image", image_hwc)
        save(f"overlay_{name}_map", m[0])
        save(f"overlay_{name}_map_u8", q.astype(np.uint8))
        save(f"overlay_{name}_map_big", big)
        save(f"overlay_{name}_out", out.transpose(1, 2, 0))


def labels_fixture():
    with open(LABELS_PATH, "r") as f:
        labels = yaml.safe_load(f)
    assert sorted(labels) == list(range(1008))
    with open(os.path.join(OUT, "labels_reference.tsv"), "w", newline="\n") as f:
        for i in range(1008):
            full = labels[i]
            f.write(f"{i}\t{full}\t{full.split(',')[0].capitalize()}\n")


def main():
    os.makedirs(OUT, exist_ok=True)
    parula_fixture()
    map_fixtures()
    lanczos_fixtures()
    overlay_fixtures()
    labels_fixture()
    print(f"numpy {np.__version__}, Pillow {PIL.__version__}, OpenCV {cv2.__version__}",
          file=sys.stderr)


if __name__ == "__main__":
    main()
