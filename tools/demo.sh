#!/usr/bin/env bash
# The demo: sets everything up, then a short contrastive pre-training on
# Fashion-MNIST on CPU (a few minutes on 2 cores), logging every 10 iterations.
# Extra arguments go to tools/train.py, e.g. --cfg-options train_cfg.max_epochs=2.
#
# For now it runs the upstream MoCo v2 baseline on the tiny ResNet-18; it switches
# to the accelerated config once that exists.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
bash tools/setup_env.sh
export OMP_NUM_THREADS="${OMP_NUM_THREADS:-$(nproc)}"

CONFIG="${DEMO_CONFIG:-configs/mocov2/mocov2_resnet18-tiny_1xb256-coslr-50e_fmnist.py}"
WORK_DIR="${DEMO_WORK_DIR:-work_dirs/demo}"
# The config's batch of 256 on the first 20,480 images: 80 iterations an epoch,
# 5 epochs, 400 iterations in all.
exec .venv/bin/python tools/train.py "$CONFIG" --work-dir "$WORK_DIR" \
  --cfg-options \
  train_dataloader.dataset.indices=20480 \
  train_cfg.max_epochs=5 \
  default_hooks.checkpoint.interval=1 \
  "$@"
