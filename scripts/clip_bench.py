"""Throughput of the CLIP ViT-B/32 image encoder: fidlab (Burn, flex CPU backend) vs onnxruntime, same run.

Both run the same seeded network (`clip_reference.py`) on the same normalised [B, 3, 224, 224] batch; the ONNX
graph is exported from open_clip to /tmp. The timings alternate (onnxruntime, fidlab, onnxruntime) and the
ratio uses the mean of the two onnxruntime medians, so machine drift shows up in the spread.

    pip install torch==2.15.0 open_clip_torch==3.3.0 onnx==1.20.0 onnxruntime==1.32.0 numpy
    CARGO_TARGET_DIR=target cargo build --release -p burn-models --example clip_bench
    python scripts/clip_bench.py --bin target/release/examples/clip_bench [--threads 2] [--batch 16] [--iters 10]
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import time

import numpy as np
import onnxruntime as ort
import open_clip
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from clip_reference import load_seeded  # noqa: E402
from fidlab_seeded import seeded_tensor  # noqa: E402


def ort_median(sess, x, warmup, iters):
    feed = {sess.get_inputs()[0].name: x}
    for _ in range(warmup):
        sess.run(None, feed)
    times = []
    for _ in range(iters):
        t = time.perf_counter()
        sess.run(None, feed)
        times.append(time.perf_counter() - t)
    return statistics.median(times)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin", required=True, help="fidlab's clip_bench example binary")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--batch", type=int, default=16)
    ap.add_argument("--iters", type=int, default=10)
    ap.add_argument("--warmup", type=int, default=2)
    ap.add_argument("--onnx", default="/tmp/clip_vit_b32_seeded.onnx")
    args = ap.parse_args()

    torch.set_num_threads(args.threads)
    torch.backends.mha.set_fastpath_enabled(False)  # the fused MHA kernel has no ONNX export
    model = load_seeded(open_clip.create_model("ViT-B-32-quickgelu", pretrained=None)).visual.eval()
    # The benchmark input, generated identically by the Rust binary.
    x = seeded_tensor("clip_bench.input", 0, (args.batch, 3, 224, 224), 2.0)
    with torch.no_grad():
        ref = model(torch.from_numpy(x)).numpy()
        torch.onnx.export(model, (torch.from_numpy(x),), args.onnx, input_names=["x"], output_names=["y"],
                          opset_version=17, dynamo=False)
    opts = ort.SessionOptions()
    opts.intra_op_num_threads = args.threads
    opts.inter_op_num_threads = 1
    sess = ort.InferenceSession(args.onnx, opts, providers=["CPUExecutionProvider"])
    y = sess.run(None, {"x": x})[0]
    print(f"onnxruntime vs torch: max|diff| {np.abs(y - ref).max():.2e} (max|ref| {np.abs(ref).max():.3f})",
          file=sys.stderr)

    t_ort1 = ort_median(sess, x, args.warmup, args.iters)
    env = dict(os.environ, RAYON_NUM_THREADS=str(args.threads))
    out = subprocess.run([args.bin, "--batch", str(args.batch), "--iters", str(args.iters), "--warmup",
                          str(args.warmup), "--check"], env=env, check=True, capture_output=True, text=True)
    sys.stderr.write(out.stderr)
    ours = json.loads(out.stdout.strip().splitlines()[-1])
    t_ort2 = ort_median(sess, x, args.warmup, args.iters)
    ours_y = np.array(ours["first_row"], dtype=np.float32)
    print(f"fidlab vs torch, first row: max|diff| {np.abs(ours_y - ref[0]).max():.2e}", file=sys.stderr)

    ort_ips = args.batch / statistics.mean([t_ort1, t_ort2])
    fid_ips = args.batch / ours["median_s"]
    print(json.dumps({
        "batch": args.batch, "threads": args.threads, "iters": args.iters,
        "onnxruntime_img_s": round(ort_ips, 2),
        "onnxruntime_runs_img_s": [round(args.batch / t_ort1, 2), round(args.batch / t_ort2, 2)],
        "fidlab_img_s": round(fid_ips, 2),
        "fidlab_with_preprocess_img_s": round(args.batch / ours["median_u8_s"], 2),
        "ratio_fidlab_over_onnxruntime": round(fid_ips / ort_ips, 3),
        "profile_ms": ours.get("profile_ms"),
    }, indent=1))


if __name__ == "__main__":
    main()
