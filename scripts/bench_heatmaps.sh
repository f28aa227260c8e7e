#!/usr/bin/env bash
# Seconds per FID sensitivity heatmap on the CPU: fidlab (Burn flex) and the paper's formula in
# torch (torch-fidelity Inception, torch.linalg.eigvals loss), same seeded weights and statistics,
# measured back to back in one session. Needs the reference venv (pip line in
# scripts/heatmap_reference.py) and writes nothing but the fixtures that script always rewrites.
#
#     scripts/bench_heatmaps.sh [RUNS]
set -euo pipefail
runs="${1:-3}"
cd "$(dirname "$0")/.."
python="${PYTHON:-/work/main/.venv-ref/bin/python}"
cargo bench -p heatmaps --bench heatmap -- "$runs"
"$python" scripts/heatmap_reference.py --bench "$runs" | tail -1
