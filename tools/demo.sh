#!/usr/bin/env bash
# The demo: sets everything up, then the main job on real data: accelerated MoCo v2
# (multi-exit tiny ResNet-18, partial back-propagation, hard pair selection) on the
# 60,000 Fashion-MNIST training images for 3 epochs on CPU, with kNN top-1 on the
# 10,000 test images before training and after every epoch (a few minutes on 2
# cores). Extra arguments go to tools/train.py, e.g. --cfg-options train_cfg.max_epochs=1.
# DEMO_CONFIG=configs/benchmarks/mocov2_resnet18-tiny_1xb256-coslr-3e_fmnist-knn.py
# runs the upstream MoCo v2 baseline the same way, for comparison.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
bash tools/setup_env.sh
export OMP_NUM_THREADS="${OMP_NUM_THREADS:-$(nproc)}"

CONFIG="${DEMO_CONFIG:-configs/benchmarks/accel-mocov2_resnet18-tiny_1xb256-coslr-3e_fmnist-knn.py}"
WORK_DIR="${DEMO_WORK_DIR:-work_dirs/demo}"
.venv/bin/python tools/train.py "$CONFIG" --work-dir "$WORK_DIR" "$@"
echo "[demo] logs, kNN top-1 and checkpoints are in $WORK_DIR"
