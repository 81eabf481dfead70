#!/usr/bin/env bash
# Linear probe (final features or every stage) in one process, CPU or one GPU:
#   bash tools/benchmarks/classification/train_linear.sh CONFIG PRETRAIN [linear.py args]
# PRETRAIN: a pre-training checkpoint or an exported backbone. Extra arguments go
# to tools/benchmarks/linear.py: --data-root DIR, --work-dir DIR, --cfg-options ...
set -euo pipefail
CONFIG=$1
PRETRAIN=$2

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../../.." && pwd)"
PYTHON="${PYTHON:-python}"
[ -x "$ROOT/.venv/bin/python" ] && [ -z "${VIRTUAL_ENV:-}" ] && PYTHON="$ROOT/.venv/bin/python"

PYTHONPATH="$ROOT:${PYTHONPATH:-}" \
"$PYTHON" "$ROOT/tools/benchmarks/linear.py" "$CONFIG" "$PRETRAIN" "${@:3}"
