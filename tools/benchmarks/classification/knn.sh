#!/usr/bin/env bash
# Weighted kNN top-1 per stage and k, one process:
#   bash tools/benchmarks/classification/knn.sh CONFIG PRETRAIN [knn.py args]
# Extra arguments go to tools/benchmarks/knn.py: --k 20 200, --exits stem 1 2 3 4,
# --data-root DIR, --size S, --precise-bn N, --bank-size N, --cfg-options ...
set -euo pipefail
CONFIG=$1
PRETRAIN=$2

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../../.." && pwd)"
PYTHON="${PYTHON:-python}"
[ -x "$ROOT/.venv/bin/python" ] && [ -z "${VIRTUAL_ENV:-}" ] && PYTHON="$ROOT/.venv/bin/python"

PYTHONPATH="$ROOT:${PYTHONPATH:-}" \
"$PYTHON" "$ROOT/tools/benchmarks/knn.py" "$CONFIG" "$PRETRAIN" "${@:3}"
