#!/usr/bin/env bash
# Installs the core tier on a machine without network, from a wheelhouse that
# tools/install/build_wheelhouse.sh wrote elsewhere:
#
#   bash tools/install/install_offline.sh WHEELHOUSE [VENV]
#
# VENV (default .venv/ in this checkout) is created with --system-site-packages, so it
# sees the system's torch, torchvision, numpy and cv2 (on the GPU node: torch
# 2.11.0+cu130, numpy 2.x, opencv-python-headless), unless it exists already. Into it go
# exactly the wheels of WHEELHOUSE/requirements.txt (--no-index --no-deps: the lock was
# resolved when the wheelhouse was built) and this checkout, through a .pth file: what an
# editable install writes, without needing setuptools offline. No pip configuration file
# or PIP_* variable takes part, so nothing but WHEELHOUSE is read. Ends with an import
# check that names what is missing. PYTHON (default python3) creates the venv.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
if [ $# -lt 1 ] || [ $# -gt 2 ]; then
  sed -n 2,14p "$0" | cut -c3- >&2
  exit 2
fi
WHEELHOUSE="$(cd "$1" && pwd)"
VENV="${2:-$ROOT/.venv}"
PYTHON="${PYTHON:-python3}"
log() { echo "[install_offline] $*"; }

if [ ! -f "$WHEELHOUSE/requirements.txt" ]; then
  echo "install_offline.sh: $WHEELHOUSE/requirements.txt not found; build the wheelhouse with" \
    "tools/install/build_wheelhouse.sh" >&2
  exit 1
fi
if [ ! -x "$VENV/bin/python" ]; then
  log "creating $VENV (with the system's site-packages)"
  "$PYTHON" -m venv --system-site-packages "$VENV"
  # A PYTHON that is itself a venv's (the GPU node's python3 is /opt/torch/.venv's):
  # --system-site-packages then shows the base interpreter's packages, not that
  # venv's torch, so its site-packages go in through a .pth file (after the new
  # venv's own).
  parent_site="$("$PYTHON" -c 'import site, sys; print("\n".join(site.getsitepackages()) if sys.prefix != sys.base_prefix else "")')"
  if [ -n "$parent_site" ]; then
    log "$PYTHON is a venv's: its site-packages are seen through parent-venv.pth"
    echo "$parent_site" >"$("$VENV/bin/python" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')/parent-venv.pth"
  fi
fi
PY="$VENV/bin/python"
tag="$("$PY" -c 'import sys; print("cp%d%d" % sys.version_info[:2])')"
if ! grep -q "($tag)" "$WHEELHOUSE/BUILD-INFO"; then
  echo "install_offline.sh: $WHEELHOUSE is not built for this Python ($tag):" \
    "$(head -n1 "$WHEELHOUSE/BUILD-INFO")" >&2
  exit 1
fi

log "installing $(grep -vc '^#' "$WHEELHOUSE/requirements.txt") wheels from $WHEELHOUSE"
PIP_CONFIG_FILE=/dev/null "$PY" -m pip --isolated --disable-pip-version-check install -q \
  --no-index --find-links "$WHEELHOUSE" --no-deps -r "$WHEELHOUSE/requirements.txt"
site="$("$PY" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')"
echo "$ROOT" >"$site/mmaccel-checkout.pth"

"$PY" - <<'EOF'
import importlib
import sys

missing = []
for name in ('torch', 'torchvision', 'numpy', 'cv2', 'mmengine', 'mmcv', 'mmpretrain',
             'kornia', 'mmaccel'):
    try:
        importlib.import_module(name)
    except Exception as e:  # noqa: BLE001  (any failure: name it)
        missing.append(f'{name} ({type(e).__name__}: {e})')
if missing:
    sys.exit('install_offline.sh: cannot import ' + '; '.join(missing) + '. torch, '
             'torchvision, numpy and cv2 (opencv-python-headless) come from the system; '
             'the rest from the wheelhouse')
import mmcv, numpy, torch  # noqa: E402
print(f'[install_offline] ready: torch {torch.__version__}, numpy {numpy.__version__}, '
      f'mmcv {mmcv.__version__} (no compiled ops), Python {sys.version.split()[0]}')
EOF
