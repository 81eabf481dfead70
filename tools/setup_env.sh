#!/usr/bin/env bash
# One idempotent set-up for everything mmaccel needs; tools/demo.sh and tools/test.sh
# both call it. Quick when everything is already there.
#
#   .venv/                         the environment (git-ignored)
#   ~/.cache/mmaccel/wheels/       the compiled mmcv wheel, reused by every clone
#   data/fashion-mnist/            Fashion-MNIST IDX files (git-ignored)
#
# Environment: PYTHON (default python3), MMACCEL_CACHE (default ~/.cache/mmaccel),
# MMACCEL_SKIP_DATA=1 to skip the data step.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
PYTHON="${PYTHON:-python3}"
VENV="$ROOT/.venv"
CACHE="${MMACCEL_CACHE:-$HOME/.cache/mmaccel}"
MMCV_VERSION=2.1.0

log() { echo "[setup_env] $*"; }

# ---------------------------------------------------------------- environment
# The stamp holds a hash of the requirement files and this script: when it matches,
# the Python side is complete and nothing is installed again.
stamp_value="$(cat requirements/*.txt tools/setup_env.sh setup.py 2>/dev/null | sha256sum | cut -c1-16)"
stamp_file="$VENV/.mmaccel-setup"

if [ -f "$stamp_file" ] && [ "$(cat "$stamp_file")" = "$stamp_value" ]; then
  log "environment up to date ($VENV)"
else
  if [ ! -x "$VENV/bin/python" ]; then
    log "creating $VENV"
    "$PYTHON" -m venv "$VENV"
  fi
  PIP=("$VENV/bin/python" -m pip --disable-pip-version-check)
  "${PIP[@]}" install -q --upgrade pip wheel 'setuptools<70'

  log "installing torch and torchvision (requirements/torch.txt)"
  "${PIP[@]}" install -q -r requirements/torch.txt 'numpy<2'

  torch_tag="$("$VENV/bin/python" -c 'import sys, torch; v = torch.__version__.split("+")[0]; print("torch%s-cp%d%d" % (v, *sys.version_info[:2]))')"
  cuda=0
  if command -v nvidia-smi >/dev/null 2>&1 && nvidia-smi -L >/dev/null 2>&1; then cuda=1; fi
  wheel_dir="$CACHE/wheels/$torch_tag-$([ $cuda = 1 ] && echo cuda || echo cpu)"
  mkdir -p "$wheel_dir"

  if ! "$VENV/bin/python" -c "import mmcv, mmcv.ops, sys; sys.exit(mmcv.__version__ != '$MMCV_VERSION')" 2>/dev/null; then
    wheel="$(ls "$wheel_dir"/mmcv-"$MMCV_VERSION"-*.whl 2>/dev/null | head -n1 || true)"
    if [ -z "$wheel" ]; then
      log "compiling mmcv $MMCV_VERSION with its ops (about 11 minutes on 2 cores; cached in $wheel_dir)"
      build="$(mktemp -d)"
      trap 'rm -rf "$build"' EXIT
      "${PIP[@]}" install -q ninja psutil
      MMCV_WITH_OPS=1 FORCE_CUDA=$cuda MAX_JOBS="$(nproc)" \
        "${PIP[@]}" wheel --no-build-isolation --no-deps --no-binary mmcv \
        -w "$build" "mmcv==$MMCV_VERSION"
      # Write the wheel under a temporary name first: an interrupted build never
      # leaves a half-written wheel in the cache.
      for w in "$build"/mmcv-*.whl; do
        cp "$w" "$wheel_dir/.$(basename "$w").part"
        mv "$wheel_dir/.$(basename "$w").part" "$wheel_dir/$(basename "$w")"
      done
      wheel="$(ls "$wheel_dir"/mmcv-"$MMCV_VERSION"-*.whl | head -n1)"
    else
      log "reusing the cached mmcv wheel $wheel"
    fi
    "${PIP[@]}" install -q --no-deps "$wheel"
  fi

  log "installing the OpenMMLab stack and test tools (requirements/runtime.txt, tests.txt)"
  "${PIP[@]}" install -q -r requirements/runtime.txt -r requirements/tests.txt "mmcv==$MMCV_VERSION"
  "${PIP[@]}" install -q --no-deps --no-build-isolation -e .

  "$VENV/bin/python" -c "import mmaccel, mmpretrain, mmdet, mmseg, mmcv.ops, torchvision"
  echo "$stamp_value" >"$stamp_file"
  log "environment ready"
fi

# ----------------------------------------------------------------------- data
if [ "${MMACCEL_SKIP_DATA:-0}" != 1 ]; then
  bash "$ROOT/tools/dataset_converters/prepare_fashion_mnist.sh"
fi
