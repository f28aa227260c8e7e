"""Dataset decoding throughput: fid_core::dataset against the seed's Python loader, same run.

Builds a StyleGAN2-ADA-style zip (`dataset_tool.py` writes PNGs with `compress_level=0` into a
ZIP_STORED archive) of N 256x256 images in a temporary folder, times the seed's decode loop
(`sorted` names, `np.array(PIL.Image.open(zip.open(name)))`, HWC->CHW, one process, as
`training/dataset.py` without pyspng) and then `dataset_bench` on the same file.

    pip install numpy pillow        # measured with numpy 2.4.6, Pillow 13.0.0
    cargo build -p fid-core --example dataset_bench
    python scripts/bench_dataset.py [N] [--deflate]
"""
import io
import os
import statistics
import subprocess
import sys
import tempfile
import time
import zipfile

import numpy as np
from PIL import Image

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
BENCH = os.path.join(os.environ.get("CARGO_TARGET_DIR", os.path.join(ROOT, "target")), "debug", "examples", "dataset_bench")


def make_zip(path, n, deflate):
    rng = np.random.RandomState(0)
    y, x = np.mgrid[0:256, 0:256]
    method = zipfile.ZIP_DEFLATED if deflate else zipfile.ZIP_STORED
    with zipfile.ZipFile(path, "w", compression=method) as z:
        for i in range(n):
            base = np.stack([(x + 3 * i) % 256, (y + 5 * i) % 256, (x + y + i) % 256], axis=-1)
            image = np.clip(base + rng.randint(-20, 21, size=base.shape), 0, 255).astype(np.uint8)
            buf = io.BytesIO()
            Image.fromarray(image).save(buf, format="png", compress_level=0, optimize=False)
            z.writestr(f"{i // 1000:05d}/img{i:08d}.png", buf.getvalue())


def seed_pass(path):
    with zipfile.ZipFile(path) as z:
        names = sorted(n for n in z.namelist() if os.path.splitext(n)[1].lower() in (".png", ".jpg", ".jpeg"))
        for name in names:
            with z.open(name) as f:
                image = np.array(Image.open(f))
            image = image.transpose(2, 0, 1)
    return len(names)


def main():
    n = int(sys.argv[1]) if len(sys.argv) > 1 and sys.argv[1].isdigit() else 2000
    deflate = "--deflate" in sys.argv
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "bench.zip")
        make_zip(path, n, deflate)
        seed_pass(path)  # warm-up
        times = []
        for _ in range(5):
            start = time.perf_counter()
            seed_pass(path)
            times.append(time.perf_counter() - start)
        seed_rate = n / statistics.median(times)
        out = subprocess.run([BENCH, path, "32", "5"], check=True, capture_output=True, text=True).stdout
        fields = dict(kv.split("=") for kv in out.split())
        ours = float(fields["images_per_s"])
        print(f"| {n} x 256x256 PNG, {'deflated' if deflate else 'stored'} zip | seed loop {seed_rate:.0f} img/s "
              f"| fid_core {ours:.0f} img/s ({fields['threads']} threads, open {float(fields['open_s'])*1e3:.1f} ms) "
              f"| ratio {ours / seed_rate:.2f} |")


if __name__ == "__main__":
    main()
