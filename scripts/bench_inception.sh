#!/usr/bin/env bash
# Inception-v3 CPU throughput: Burn (flex) against onnxruntime on the same seeded network, in one run.
#
#   pip install torch torchvision pytorch-fid==0.3.0 onnx onnxruntime==1.32.0 numpy   # for scripts/bench_inception.py
#   PYTHON=.venv-ref/bin/python scripts/bench_inception.sh [BATCH] [REPS]
#
# PROFILE=dev reuses the test build (dependencies are compiled with opt-level 3 there too) instead of a release build.
#
# Alternates onnxruntime, Burn, onnxruntime, Burn (both with 2 threads, batch 16 by default, 299² inputs already
# preprocessed) so that machine load drifts affect both, then prints the medians and the ratio Burn / onnxruntime.
set -euo pipefail
cd "$(dirname "$0")/.."
BATCH=${1:-16}
REPS=${2:-3}
THREADS=${THREADS:-2}
PYTHON=${PYTHON:-python3}
PROFILE=${PROFILE:-release}
export RAYON_NUM_THREADS=$THREADS

cargo bench --profile "$PROFILE" -p burn-models --bench inception --no-run >&2
ort() { "$PYTHON" scripts/bench_inception.py --batch "$BATCH" --threads "$THREADS" --reps "$REPS"; }
burn() { cargo bench -q --profile "$PROFILE" -p burn-models --bench inception -- --batch "$BATCH" --reps "$REPS"; }

out=$(mktemp)
trap 'rm -f "$out"' EXIT
for _ in 1 2; do
  ort | tail -n 1 | tee -a "$out"
  burn | tail -n 1 | tee -a "$out"
done
"$PYTHON" - "$out" <<'EOF'
import json, statistics, sys
rows = [json.loads(l) for l in open(sys.argv[1]) if l.startswith("{")]
med = {}
for backend in ("onnxruntime", "burn-flex"):
    secs = [s for r in rows if r["backend"] == backend for s in r["seconds"]]
    med[backend] = rows[0]["batch"] / statistics.median(secs)
    print(f"{backend:12s} {med[backend]:7.2f} img/s (median of {len(secs)} runs)")
print(f"ratio burn-flex / onnxruntime = {med['burn-flex'] / med['onnxruntime']:.2f}")
EOF
