#!/usr/bin/env bash
# One idempotent set-up for everything mmaccel needs, in one of two tiers:
#
#   bash tools/setup_env.sh [--tier core|full]      (or MMACCEL_TIER=core|full; default full)
#
#   core  pre-training, the demo, kNN and linear probes: torch and torchvision
#         (requirements/torch.txt), mmengine, mmcv-lite (mmcv without its compiled ops),
#         mmpretrain and kornia (requirements/core.txt). A minute or two.
#   full  the core tier with mmcv compiled with its ops in place of mmcv-lite, MMDetection
#         and MMSegmentation for the transfer benchmarks (requirements/full.txt), and the
#         test tools (requirements/tests.txt). mmcv compiles once (the time it takes:
#         docs/training.md, "Installing") and its wheel is cached for every later clone.
#
# tools/demo.sh asks for core, tools/test.sh for full. A full environment serves the core
# tier as it is; asking for full in a core one uninstalls mmcv-lite (both provide the
# `mmcv` module) and installs the compiled mmcv. Machines without network: tools/install/.
#
#   .venv/                          the environment (git-ignored)
#   .venv/.mmaccel-setup-{core,full} the tier's stamp: a hash of the requirement files,
#                                   this script and setup.py; when it matches, nothing is
#                                   installed again
#   ~/.cache/mmaccel/wheels/        the compiled mmcv wheel, reused by every clone
#   data/fashion-mnist/             Fashion-MNIST IDX files (git-ignored)
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
TIER="${MMACCEL_TIER:-full}"

log() { echo "[setup_env] $*"; }

while [ $# -gt 0 ]; do
  case "$1" in
    --tier) TIER="${2:-}"; shift 2 || shift ;;
    --tier=*) TIER="${1#*=}"; shift ;;
    -h|--help) sed -n 2,26p "$0" | cut -c3-; exit 0 ;;
    *) echo "setup_env.sh: unknown argument '$1'; allowed: --tier core|full" >&2; exit 2 ;;
  esac
done
case "$TIER" in
  core|full) ;;
  *) echo "setup_env.sh: tier '$TIER' is not a tier; allowed: core, full" >&2; exit 2 ;;
esac

# ---------------------------------------------------------------- environment
stamp_value="$(cat requirements/*.txt tools/setup_env.sh setup.py 2>/dev/null | sha256sum | cut -c1-16)"
stamp_ok() { [ -f "$VENV/.mmaccel-setup-$1" ] && [ "$(cat "$VENV/.mmaccel-setup-$1")" = "$stamp_value" ]; }

if stamp_ok "$TIER" || { [ "$TIER" = core ] && stamp_ok full; }; then
  log "environment up to date ($VENV, $TIER tier)"
else
  if [ ! -x "$VENV/bin/python" ]; then
    log "creating $VENV"
    "$PYTHON" -m venv "$VENV"
  fi
  PY="$VENV/bin/python"
  PIP=("$PY" -m pip --disable-pip-version-check)
  has_dist() { "$PY" -c "import importlib.metadata as m, sys; m.version(sys.argv[1])" "$1" 2>/dev/null; }
  "${PIP[@]}" install -q --upgrade pip wheel 'setuptools<70'

  # numpy<2 in the environments this script builds: MMDetection 3.3 and MMSegmentation
  # 1.2 predate NumPy 2, and every test ran on this stack. The core tier also runs on
  # numpy 2 (the offline install uses the system's; tests/test_install trains with it).
  log "installing torch and torchvision (requirements/torch.txt)"
  "${PIP[@]}" install -q -r requirements/torch.txt 'numpy<2'

  if [ "$TIER" = full ]; then
    if has_dist mmcv-lite; then
      log "replacing mmcv-lite by mmcv with its ops (both provide the mmcv module)"
      "${PIP[@]}" uninstall -q -y mmcv-lite
    fi
    torch_tag="$("$PY" -c 'import sys, torch; v = torch.__version__.split("+")[0]; print("torch%s-cp%d%d" % (v, *sys.version_info[:2]))')"
    cuda=0
    if command -v nvidia-smi >/dev/null 2>&1 && nvidia-smi -L >/dev/null 2>&1; then cuda=1; fi
    wheel_dir="$CACHE/wheels/$torch_tag-$([ $cuda = 1 ] && echo cuda || echo cpu)"
    mkdir -p "$wheel_dir"

    if ! "$PY" -c "import mmcv, mmcv.ops, sys; sys.exit(mmcv.__version__ != '$MMCV_VERSION')" 2>/dev/null; then
      wheel="$(ls "$wheel_dir"/mmcv-"$MMCV_VERSION"-*.whl 2>/dev/null | head -n1 || true)"
      if [ -z "$wheel" ]; then
        log "compiling mmcv $MMCV_VERSION with its ops (about 9 minutes on 2 cores; cached in $wheel_dir)"
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
  fi

  # The core requirements; where the compiled mmcv is installed (the full tier) it
  # stands for mmcv-lite, which would overwrite its files.
  core_reqs="$(mktemp)"
  if has_dist mmcv; then
    grep -v '^mmcv-lite' requirements/core.txt >"$core_reqs"
  else
    cp requirements/core.txt "$core_reqs"
  fi
  if [ "$TIER" = full ]; then
    log "installing the full tier (requirements/core.txt, full.txt, tests.txt)"
    "${PIP[@]}" install -q -r "$core_reqs" -r requirements/full.txt -r requirements/tests.txt 'numpy<2'
  else
    log "installing the core tier (requirements/core.txt)"
    "${PIP[@]}" install -q -r "$core_reqs" 'numpy<2'
  fi
  rm -f "$core_reqs"
  "${PIP[@]}" install -q --no-deps --no-build-isolation -e .

  "$PY" -c "import mmaccel, mmpretrain, kornia, torchvision, mmcv, sys; sys.exit(mmcv.__version__ != '$MMCV_VERSION')"
  if [ "$TIER" = full ]; then
    "$PY" -c "import mmdet, mmseg, mmcv.ops"
  fi
  echo "$stamp_value" >"$VENV/.mmaccel-setup-$TIER"
  log "environment ready ($TIER tier)"
fi

# ----------------------------------------------------------------------- data
if [ "${MMACCEL_SKIP_DATA:-0}" != 1 ]; then
  bash "$ROOT/tools/dataset_converters/prepare_fashion_mnist.sh"
fi
