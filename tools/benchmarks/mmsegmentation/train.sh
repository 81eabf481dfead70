#!/usr/bin/env bash
# VOC12 segmentation transfer (PSPNet or FCN) from a pre-trained backbone:
#
#   bash tools/benchmarks/mmsegmentation/train.sh CONFIG BACKBONE GPUS [tools/train.py args]
#
# CONFIG    configs/benchmarks/mmsegmentation/{voc12aug,mini_voc}/*.py (PSPNet or
#           FCN; frozen or fine-tuned; R50 or R18)
# BACKBONE  an exported backbone: tools/model_converters/extract_backbone.py
#           CHECKPOINT OUT --in-channels 3 (checked by tools/benchmarks/check_backbone.py)
# GPUS      1: one process (tools/train.py); N > 1: N processes through torchrun
#           (tools/dist_train.sh; gloo on CPU). Several machines: GPUS per machine,
#           and NNODES, NODE_RANK, MASTER_ADDR, PORT set on each.
# The backbone initialises the plain ResNet through --cfg-options; later
# --cfg-options or --work-dir among the extra arguments add to or replace it.
# Work dir: $WORK_DIR, or work_dirs/benchmarks/mmsegmentation/<config name>/<backbone name>.
set -euo pipefail
if [ $# -lt 3 ]; then
  sed -n 4,15p "$0" | cut -c3- >&2
  exit 2
fi
CONFIG=$1
BACKBONE=$2
GPUS=$3
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../../.." && pwd)"
PYTHON="${PYTHON:-python}"
[ -x "$ROOT/.venv/bin/python" ] && [ -z "${VIRTUAL_ENV:-}" ] && PYTHON="$ROOT/.venv/bin/python"
export PYTHONPATH="$ROOT:${PYTHONPATH:-}"
WORK_DIR=${WORK_DIR:-work_dirs/benchmarks/mmsegmentation/$(basename "$CONFIG" .py)/$(basename "$BACKBONE" .pth)}

WIDTH=64  # the stem width the run builds, from a base_channels option
for a in "${@:4}"; do
  case "$a" in model.backbone.base_channels=*) WIDTH=${a#*=} ;; esac
done
"$PYTHON" "$ROOT/tools/benchmarks/check_backbone.py" "$BACKBONE" "$WIDTH"
ARGS=(--work-dir "$WORK_DIR" --cfg-options
      "model.backbone.init_cfg.checkpoint=$BACKBONE")
if [ "$GPUS" = 1 ] && [ "${NNODES:-1}" = 1 ]; then
  "$PYTHON" "$ROOT/tools/train.py" "$CONFIG" "${ARGS[@]}" "${@:4}"
else
  PYTHON="$PYTHON" bash "$ROOT/tools/dist_train.sh" "$CONFIG" "$GPUS" "${ARGS[@]}" "${@:4}"
fi
