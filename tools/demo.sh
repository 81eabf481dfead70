#!/usr/bin/env bash
# The demo: sets everything up, then pre-trains MMPretrain's SimCLR and its
# accelerated twin (multi-exit ResNet-18, partial back-propagation with the ramp
# exit schedule, no pair selection; VARIANT in mmaccel/apis/demo_settings.py
# picks another) on Fashion-MNIST one after the other, evaluates both with kNN
# after every epoch, and ends with one side-by-side table (training time, images/s,
# peak memory, kNN top-1, speed-up) and a plot in work_dirs/demo/.
# Options go to tools/demo.py (--epochs, --subset, --methods mocov2,simclr,
# --gpus N, --baseline-config/--accel-config, --help); its defaults are at the
# top of mmaccel/apis/demo_settings.py.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
bash tools/setup_env.sh --tier core
exec .venv/bin/python tools/demo.py "$@"
