"""Pillow-decoded reference images for `fid-core/tests/dataset.rs`.

Writes `fid-core/tests/fixtures/dataset/`:
  pil/           a nested folder of small PNG / JPEG files of every colour mode the loader must handle,
                 plus files it must ignore (`notes.txt`, `c.bmp`, a file named `.png`, `a/.jpg`)
  pil.zip        the same files, stored and deflated members mixed, with a directory entry
  pil_names.txt  the image names in the order of Python's `sorted()` (the seed's file order)
  pil_expected.npy  uint8 [N, 3, 20, 24]: each image as the seed reads it (`np.array(PIL.Image.open(f))`,
                 pyspng-like palette expansion), put into our 3-channel convention: grey repeated,
                 alpha dropped, 16 bits rounded `round(v * 255 / 65535)`

    pip install numpy pillow        # measured with numpy 2.4.6, Pillow 13.0.0 (libjpeg-turbo)
    python scripts/dataset_fixture.py
"""
import io
import os
import shutil
import zipfile

import numpy as np
from PIL import Image

OUT = os.path.join(os.path.dirname(__file__), "..", "fid-core", "tests", "fixtures", "dataset")
H, W = 20, 24  # width != height catches transposes


def base_rgb(seed):
    """Smooth gradients plus seeded noise: texture for JPEG, every channel different."""
    rng = np.random.RandomState(seed)
    y, x = np.mgrid[0:H, 0:W]
    rgb = np.stack([x * 255 / (W - 1), y * 255 / (H - 1), (x + y) * 255 / (W + H - 2)], axis=-1)
    rgb = rgb + rng.randint(-40, 41, size=rgb.shape)
    return np.clip(rgb, 0, 255).astype(np.uint8)


def encode(image, fmt, **kw):
    buf = io.BytesIO()
    image.save(buf, format=fmt, **kw)
    return buf.getvalue()


def png(image, **kw):
    return encode(image, "PNG", **kw)


def jpeg(image, **kw):
    return encode(image, "JPEG", **kw)


def images():
    rgb = Image.fromarray(base_rgb(0), "RGB")
    grey = Image.fromarray(base_rgb(1)[..., 0], "L")
    rgba = Image.fromarray(np.dstack([base_rgb(2), base_rgb(3)[..., 0]]), "RGBA")
    la = Image.fromarray(np.dstack([base_rgb(4)[..., 1], base_rgb(5)[..., 2]]), "LA")
    palette = Image.fromarray(base_rgb(6), "RGB").quantize(colors=16)
    bits = Image.fromarray(base_rgb(7)[..., 0] > 127).convert("1")
    grey16 = Image.fromarray(
        np.random.RandomState(8).randint(0, 65536, size=(H, W)).astype(np.uint16)
    )
    return {
        "B.png": png(rgb),
        "a.png": png(grey),
        "a/b.png": png(palette),
        "a0.png": png(rgba),
        "a_.png": png(la),
        "a.JPG": jpeg(Image.fromarray(base_rgb(9), "RGB"), quality=90),  # 4:2:0
        "Z/deep/x.jpeg": jpeg(Image.fromarray(base_rgb(10), "RGB"), quality=95, subsampling=0),
        "é.png": png(bits),
        "10.png": png(grey16),
        "9.jpg": jpeg(Image.fromarray(base_rgb(11)[..., 2], "L"), quality=85),
        "b.Jpeg": jpeg(Image.fromarray(base_rgb(12), "RGB"), quality=80, progressive=True),
    }


def ignored():
    """Files the loader must not list, although PIL could read the last three."""
    return {
        "notes.txt": b"not an image\n",
        "c.bmp": encode(Image.fromarray(base_rgb(13)), "BMP"),
        ".png": png(Image.fromarray(base_rgb(14))),  # splitext('.png') == ('.png', '')
        "a/.jpg": jpeg(Image.fromarray(base_rgb(15))),
    }


def seed_view(data):
    """The seed's decode, then our 3-channel convention."""
    image = Image.open(io.BytesIO(data))
    if image.mode == "P":
        image = image.convert("RGB")  # pyspng expands palettes; np.array(P) would be indices
    array = np.array(image)
    if array.dtype == np.bool_:
        array = array.astype(np.uint8) * 255
    if array.dtype == np.uint16:
        array = ((array.astype(np.uint32) * 255 + 32767) // 65535).astype(np.uint8)
    if array.ndim == 2:
        array = array[:, :, None]
    if array.shape[2] in (2, 4):
        array = array[:, :, :-1]  # drop alpha
    if array.shape[2] == 1:
        array = np.repeat(array, 3, axis=2)
    assert array.dtype == np.uint8 and array.shape == (H, W, 3), (array.dtype, array.shape)
    return array.transpose(2, 0, 1)


def main():
    files = images()

    if os.path.isdir(OUT):
        shutil.rmtree(OUT)
    folder = os.path.join(OUT, "pil")
    everything = {**files, **ignored()}
    for name, data in everything.items():
        path = os.path.join(folder, name)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "wb") as f:
            f.write(data)

    with zipfile.ZipFile(os.path.join(OUT, "pil.zip"), "w") as z:
        z.writestr(zipfile.ZipInfo("a/", date_time=(2020, 1, 1, 0, 0, 0)), b"")  # a directory entry
        for i, (name, data) in enumerate(sorted(everything.items(), reverse=True)):
            method = zipfile.ZIP_DEFLATED if i % 2 else zipfile.ZIP_STORED
            info = zipfile.ZipInfo(name, date_time=(2020, 1, 1, 0, 0, 0))  # reproducible bytes
            z.writestr(info, data, compress_type=method)

    names = sorted(files)  # the seed: sorted(fname for fname in names if ext in PIL.Image.EXTENSION)
    with open(os.path.join(OUT, "pil_names.txt"), "w", encoding="utf-8") as f:
        f.write("\n".join(names) + "\n")
    expected = np.stack([seed_view(files[n]) for n in names])
    np.save(os.path.join(OUT, "pil_expected.npy"), expected)
    print(names)
    print(expected.shape, sum(len(d) for d in everything.values()), "bytes of images")


if __name__ == "__main__":
    main()
