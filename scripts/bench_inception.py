"""onnxruntime side of the Inception CPU benchmark (`scripts/bench_inception.sh` runs both sides).

Exports the seeded FID Inception (pytorch-fid architecture, weights of `inception_reference.seeded_state_dict`) to
ONNX once, from a preprocessed `[B, 3, 299, 299]` input to pool3 and logits, and times onnxruntime on it.

    pip install torch torchvision pytorch-fid==0.3.0 onnx onnxruntime==1.32.0 numpy
    python scripts/bench_inception.py --batch 16 --threads 2 --reps 5 --onnx /tmp/fidlab-inception-seeded.onnx

Prints one JSON line: {"backend": "onnxruntime", "img_per_s_median": ..., "seconds": [...]}.
"""
import argparse
import json
import os
import statistics
import sys
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))


def export(path):
    import torch

    from inception_reference import pytorch_fid_model, seeded_state_dict

    sd = seeded_state_dict()
    model = pytorch_fid_model(sd)

    class Net(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.blocks = model.blocks
            self.fc = torch.nn.Linear(2048, 1008)
            self.fc.load_state_dict({"weight": sd["fc.weight"], "bias": sd["fc.bias"]})

        def forward(self, x):
            for b in self.blocks:
                x = b(x)
            pool3 = torch.flatten(x, 1)
            return pool3, self.fc(pool3)

    net = Net().eval()
    x = torch.zeros(1, 3, 299, 299)
    torch.onnx.export(net, (x,), path, input_names=["x"], output_names=["pool3", "logits"],
                      dynamic_axes={"x": {0: "batch"}, "pool3": {0: "batch"}, "logits": {0: "batch"}},
                      opset_version=17, dynamo=False)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--batch", type=int, default=16)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--reps", type=int, default=5)
    ap.add_argument("--warmup", type=int, default=1)
    ap.add_argument("--onnx", default="/tmp/fidlab-inception-seeded.onnx")
    args = ap.parse_args()
    if not os.path.exists(args.onnx):
        export(args.onnx)

    import onnxruntime as ort

    opts = ort.SessionOptions()
    opts.intra_op_num_threads = args.threads
    opts.inter_op_num_threads = 1
    sess = ort.InferenceSession(args.onnx, opts, providers=["CPUExecutionProvider"])
    rng = np.random.default_rng(0)
    x = rng.uniform(-1, 1, size=(args.batch, 3, 299, 299)).astype(np.float32)
    for _ in range(args.warmup):
        sess.run(None, {"x": x})
    seconds = []
    for _ in range(args.reps):
        t = time.perf_counter()
        sess.run(None, {"x": x})
        seconds.append(time.perf_counter() - t)
    med = statistics.median(seconds)
    print(json.dumps({"backend": "onnxruntime", "batch": args.batch, "threads": args.threads,
                      "img_per_s_median": args.batch / med, "seconds": seconds}))


if __name__ == "__main__":
    main()
