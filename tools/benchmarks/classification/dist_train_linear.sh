#!/usr/bin/env bash
# Linear probe (final features or every stage) in GPUS processes with torchrun:
#   bash tools/benchmarks/classification/dist_train_linear.sh CONFIG PRETRAIN GPUS [linear.py args]
# The probe configs name their batch per process (e.g. 8xb32: 8 processes of 32).
# Several machines: set NNODES, NODE_RANK, MASTER_ADDR and PORT on each, as for
# tools/dist_train.sh. Without a GPU it runs GPUS processes on CPU (gloo).
set -euo pipefail
CONFIG=$1
PRETRAIN=$2
GPUS=$3
NNODES=${NNODES:-1}
NODE_RANK=${NODE_RANK:-0}
PORT=${PORT:-29500}
MASTER_ADDR=${MASTER_ADDR:-"127.0.0.1"}

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../../.." && pwd)"
PYTHON="${PYTHON:-python}"
[ -x "$ROOT/.venv/bin/python" ] && [ -z "${VIRTUAL_ENV:-}" ] && PYTHON="$ROOT/.venv/bin/python"
export OMP_NUM_THREADS=${OMP_NUM_THREADS:-$(( ($(nproc) + GPUS - 1) / GPUS ))}

PYTHONPATH="$ROOT:${PYTHONPATH:-}" \
"$PYTHON" -m torch.distributed.run \
    --nnodes="$NNODES" \
    --node_rank="$NODE_RANK" \
    --master_addr="$MASTER_ADDR" \
    --nproc_per_node="$GPUS" \
    --master_port="$PORT" \
    "$ROOT/tools/benchmarks/linear.py" \
    "$CONFIG" "$PRETRAIN" \
    --launcher pytorch "${@:4}"
