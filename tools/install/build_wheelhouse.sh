#!/usr/bin/env bash
# Writes the core tier's wheels for a machine without network, where
# tools/install/install_offline.sh installs them:
#
#   bash tools/install/build_wheelhouse.sh [--python 3.12] [--out DIR]
#
# Run it where PyPI is reachable, with any Python >= 3.11 that has pip (PYTHON, default
# python3). The target is CPython --python (default 3.12) on manylinux x86_64 (glibc >= 2.17).
# DIR (default .whl/cpXY/, git-ignored) receives:
#   *.whl              every distribution of the core tier (requirements/core.txt) for the
#                      target, as pip resolves it with torch and torchvision
#                      (requirements/torch.txt), less what the target brings (below);
#                      sdist-only packages are built into (pure-Python) wheels
#   requirements.txt   the lock: name==version of each wheel, which the installer
#                      installs with --no-deps, exactly as resolved here
#   BUILD-INFO         the target, the sources' hash and what was left out
# A DIR built from the same requirement files and script is reused as it is.
#
# Left out, because the target brings them (tools/install/wheelhouse_lock.py):
# - torch and torchvision, with what only they need (the CUDA libraries, triton, sympy,
#   jinja2, ...): the target's own build runs (the GPU node: torch 2.11.0+cu130).
# - numpy and pillow, which torchvision needs too. No numpy<2 here: the node's torch,
#   torchvision and opencv are built against its numpy 2.x, which a numpy 1.x in the venv
#   would shadow; the core tier trains with numpy 2 (tests/test_install, Python 3.12);
#   and numpy is about 18 MB of the 64 MiB that a GPU run may carry. numpy<2 stays for
#   tools/setup_env.sh's environments (the full tier's MMDetection 3.3 and
#   MMSegmentation 1.2 predate NumPy 2).
# - opencv-python: mmengine and mmcv-lite declare it, but any cv2 serves them, and its
#   wheel (about 60 MB) alone would fill the budget. The target needs a cv2 of its own
#   (the GPU node has opencv-python-headless); the installer checks that it imports.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
PYTHON="${PYTHON:-python3}"
TARGET=3.12
OUT=""
while [ $# -gt 0 ]; do
  case "$1" in
    --python) TARGET="${2:-}"; shift 2 || shift ;;
    --python=*) TARGET="${1#*=}"; shift ;;
    --out) OUT="${2:-}"; shift 2 || shift ;;
    --out=*) OUT="${1#*=}"; shift ;;
    -h|--help) sed -n 2,30p "$0" | cut -c3-; exit 0 ;;
    *) echo "build_wheelhouse.sh: unknown argument '$1'; allowed: --python X.Y, --out DIR" >&2; exit 2 ;;
  esac
done
case "$TARGET" in
  3.1[1-9]) ;;
  *) echo "build_wheelhouse.sh: --python $TARGET is not supported; allowed: 3.11 or later (kornia needs 3.11)" >&2; exit 2 ;;
esac
TAG="cp${TARGET/./}"
OUT="${OUT:-$ROOT/.whl/$TAG}"
log() { echo "[wheelhouse] $*"; }

source_hash="$(cat "$ROOT"/requirements/{torch,core}.txt "$ROOT"/tools/install/{build_wheelhouse.sh,wheelhouse_lock.py} | sha256sum | cut -c1-16)"
if [ -f "$OUT/requirements.txt" ] && grep -qx "sources: $source_hash" "$OUT/BUILD-INFO" 2>/dev/null; then
  log "up to date: $OUT ($(du -sh "$OUT" | cut -f1))"
  exit 0
fi
if [ -d "$OUT" ] && [ ! -f "$OUT/BUILD-INFO" ] && [ -n "$(ls -A "$OUT")" ]; then
  echo "build_wheelhouse.sh: $OUT holds files and no BUILD-INFO; it is not a wheelhouse, and is left as it is" >&2
  exit 1
fi

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
PIP=("$PYTHON" -m pip --disable-pip-version-check)
PLATFORMS=()
for glibc in $(seq 28 -1 17); do PLATFORMS+=(--platform "manylinux_2_${glibc}_x86_64"); done
PLATFORMS+=(--platform manylinux2014_x86_64 --platform manylinux2010_x86_64 --platform manylinux1_x86_64)
FOR_TARGET=(--python-version "$TARGET" --implementation cp --abi "$TAG" "${PLATFORMS[@]}" --only-binary=:all:)
mkdir -p "$work/built"

resolve() {  # resolve($report, extra pip args...): what pip would install, as JSON
  local report=$1
  shift
  "${PIP[@]}" install -q --dry-run --ignore-installed --report "$report" \
    --target "$work/target" "$@" -r "$ROOT/requirements/torch.txt" -r "$ROOT/requirements/core.txt"
}

log "resolving requirements/core.txt with torch.txt for CPython $TARGET, manylinux x86_64"
if ! resolve "$work/report.json" "${FOR_TARGET[@]}" --find-links "$work/built" 2>"$work/resolve.err"; then
  # A requirement without a wheel for the target: build wheels from the sdists that this
  # interpreter's resolution uses, then resolve again (pure-Python wheels serve any target).
  log "a requirement has no wheel for $TAG; building wheels from sdists"
  resolve "$work/local.json" --prefer-binary
  "$PYTHON" - "$work/local.json" >"$work/sdists.txt" <<'EOF'
import json, sys
for item in json.load(open(sys.argv[1]))['install']:
    if not item['download_info']['url'].endswith('.whl'):
        print(f"{item['metadata']['name']}=={item['metadata']['version']}")
EOF
  [ -s "$work/sdists.txt" ] || { cat "$work/resolve.err" >&2; exit 1; }
  "${PIP[@]}" wheel -q --no-deps -w "$work/built" -r "$work/sdists.txt"
  for w in "$work"/built/*.whl; do
    case "$w" in
      *-none-any.whl) ;;
      *) echo "build_wheelhouse.sh: $(basename "$w") is not pure Python; it cannot serve $TAG" >&2; exit 1 ;;
    esac
  done
  resolve "$work/report.json" "${FOR_TARGET[@]}" --find-links "$work/built"
fi

# The lock: what the core packages need, less what the target brings (see the top).
"$PYTHON" "$ROOT/tools/install/wheelhouse_lock.py" "$work/report.json" "$TARGET" \
  "$ROOT/requirements/core.txt" >"$work/lock.txt"

rm -rf "$OUT.part"
mkdir -p "$OUT.part"
log "downloading $(grep -vc '^#' "$work/lock.txt") wheels"
"${PIP[@]}" download -q --no-deps "${FOR_TARGET[@]}" --find-links "$work/built" \
  -d "$OUT.part" -r "$work/lock.txt" 2>"$work/download.err" || { cat "$work/download.err" >&2; exit 1; }
# Where a project also publishes a pure-Python wheel of the same version, take that one:
# the same code without its optional compiled accelerators, and smaller (fonttools,
# which matplotlib needs: 1.2 MB instead of 5.4 MB).
for w in "$OUT.part"/*.whl; do
  case "$w" in *-none-any.whl) continue ;; esac
  name_version="$(basename "$w" | cut -d- -f1-2 | sed 's/-/==/')"
  if "${PIP[@]}" download -q --no-deps --only-binary=:all: --python-version "$TARGET" \
      --implementation py --abi none --platform any -d "$work/pure" "$name_version" 2>/dev/null; then
    rm "$w"
    mv "$work"/pure/*.whl "$OUT.part/"
  fi
done
cp "$work/lock.txt" "$OUT.part/requirements.txt"
{
  echo "target: CPython $TARGET ($TAG), manylinux x86_64 (glibc >= 2.17)"
  echo "built: $(date -u +%Y-%m-%dT%H:%M:%SZ) with $("${PIP[@]}" --version | cut -d' ' -f1-2)"
  echo "left out (the target brings them): $(sed -n 's/^# left out: //p' "$work/lock.txt" | tr '\n' ' ')"
  echo "sources: $source_hash"
} >"$OUT.part/BUILD-INFO"
rm -rf "$OUT"
mv "$OUT.part" "$OUT"
log "wrote $OUT: $(ls "$OUT"/*.whl | wc -l) wheels, $(du -sh "$OUT" | cut -f1)"
