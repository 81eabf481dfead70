#!/usr/bin/env bash
# Every transfer evaluation of one pre-training checkpoint, and one summary:
#
#   bash tools/benchmarks/run_all.sh CHECKPOINT [options]
#
# Runs, each through its own tool or launcher, and times:
#   knn          tools/benchmarks/knn.py on Fashion-MNIST (every stage, k 20 and 200)
#   linear       tools/benchmarks/linear.py, linear probe of the final features
#   stages       tools/benchmarks/linear.py, linear probes of the stem and every stage
#   det, det-frozen   Faster R-CNN C4 on the mini VOC set (VOC07 trainval -> test),
#                     fine-tuned and frozen (tools/benchmarks/mmdetection/train.sh)
#   seg, seg-frozen   PSPNet (and FCN with --seg-decoders "pspnet fcn") on the mini
#                     VOC set (VOC12 train+aug -> val) (tools/benchmarks/mmsegmentation/train.sh)
# and writes WORK_DIR/summary.md and WORK_DIR/summary.json (evaluation, metric,
# value, setting, wall time). A failed evaluation is listed as failed, with its
# tool's `error: ...` line on stderr; the others still run, and the script then
# exits with status 1. A checkpoint that is not one, or a config file that is
# missing, stops the script before any evaluation, with one `error:` line.
#
# CHECKPOINT is a pre-training checkpoint (backbone.* keys; one-channel
# Fashion-MNIST models are fine): kNN and the probes read it as it is, detection
# and segmentation an RGB export (tools/model_converters/extract_backbone.py
# --in-channels 3, written to WORK_DIR/backbone_rgb.pth).
#
# Options (defaults: the full-width ResNet-18 64 px regime, the mini configs' sizes):
#   --work-dir DIR       default work_dirs/benchmarks/run_all/<checkpoint folder>_<name>
#   --only "LIST"        evaluations to run, from: knn linear stages det det-frozen seg seg-frozen
#   --config CFG         config whose backbone and data kNN uses (default: the
#                        linear config: full-width ResNet-18, Fashion-MNIST at 64 px)
#   --knn-args "ARGS"    extra knn.py arguments, e.g. "--bank-size 10000 --precise-bn 4000"
#   --linear-config CFG  (configs/benchmarks/classification/fmnist/resnet18_1xb256-linear-steplr-6e_fmnist-64px.py)
#   --stages-config CFG  (configs/benchmarks/classification/fmnist/resnet18_1xb256-multi-stage-linear-steplr-6e_fmnist-64px.py)
#   --linear-args "ARGS" extra linear.py arguments for both probes, e.g.
#                        "--cfg-options train_cfg.max_epochs=2"
#   --voc DIR            mini VOC devkit (data/mini-voc/VOCdevkit); made when missing by
#                        tools/dataset_converters/make_mini_voc.py with --voc-args "ARGS"
#   --det-iters N        detection iterations (2000); the steps stay at 3/4 and 11/12
#   --seg-iters N        segmentation iterations (2000), poly schedule over N
#   --batch N            images per batch (per process) for detection and segmentation (8)
#   --seg-decoders "L"   segmentation decoders, from: pspnet fcn (pspnet)
#   --gpus N             processes per detection/segmentation run (1; torchrun when > 1)
#   --det-args, --seg-args "ARGS"  extra --cfg-options key=value pairs for those runs
set -euo pipefail

usage() { sed -n 2,46p "$0" | cut -c3- >&2; exit 2; }
[ $# -ge 1 ] || usage
case "$1" in -h|--help) usage ;; esac
CHECKPOINT=$1
shift

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
PYTHON="${PYTHON:-python}"
[ -x "$ROOT/.venv/bin/python" ] && [ -z "${VIRTUAL_ENV:-}" ] && PYTHON="$ROOT/.venv/bin/python"
export PYTHON PYTHONPATH="$ROOT:${PYTHONPATH:-}"

WORK_DIR=""
ONLY="knn linear stages det det-frozen seg seg-frozen"
CONFIG=""
KNN_ARGS=""
LINEAR_CONFIG=configs/benchmarks/classification/fmnist/resnet18_1xb256-linear-steplr-6e_fmnist-64px.py
STAGES_CONFIG=configs/benchmarks/classification/fmnist/resnet18_1xb256-multi-stage-linear-steplr-6e_fmnist-64px.py
LINEAR_ARGS=""
VOC=data/mini-voc/VOCdevkit
VOC_ARGS=""
DET_ITERS=2000
SEG_ITERS=2000
BATCH=8
SEG_DECODERS=pspnet
GPUS=1
DET_ARGS=""
SEG_ARGS=""
while [ $# -gt 0 ]; do
  [ $# -ge 2 ] || { echo "error: $1 needs a value" >&2; exit 2; }
  case "$1" in
    --work-dir) WORK_DIR=$2 ;;
    --only) ONLY=$2 ;;
    --config) CONFIG=$2 ;;
    --knn-args) KNN_ARGS=$2 ;;
    --linear-config) LINEAR_CONFIG=$2 ;;
    --stages-config) STAGES_CONFIG=$2 ;;
    --linear-args) LINEAR_ARGS=$2 ;;
    --voc) VOC=$2 ;;
    --voc-args) VOC_ARGS=$2 ;;
    --det-iters) DET_ITERS=$2 ;;
    --seg-iters) SEG_ITERS=$2 ;;
    --batch) BATCH=$2 ;;
    --seg-decoders) SEG_DECODERS=$2 ;;
    --gpus) GPUS=$2 ;;
    --det-args) DET_ARGS=$2 ;;
    --seg-args) SEG_ARGS=$2 ;;
    *) echo "error: unknown option $1 (see --help)" >&2; exit 2 ;;
  esac
  shift 2
done
CONFIG=${CONFIG:-$LINEAR_CONFIG}
for e in $ONLY; do
  case "$e" in knn|linear|stages|det|det-frozen|seg|seg-frozen) ;;
    *) echo "error: --only: unknown evaluation '$e'; allowed: knn linear stages det det-frozen seg seg-frozen" >&2; exit 2 ;;
  esac
done
for d in $SEG_DECODERS; do
  case "$d" in pspnet|fcn) ;;
    *) echo "error: --seg-decoders: unknown decoder '$d'; allowed: pspnet fcn" >&2; exit 2 ;;
  esac
done
for n in "$DET_ITERS" "$SEG_ITERS" "$BATCH" "$GPUS"; do
  [[ "$n" =~ ^[1-9][0-9]*$ ]] || { echo "error: --det-iters, --seg-iters, --batch and --gpus take positive integers, got '$n'" >&2; exit 2; }
done
[ -f "$CHECKPOINT" ] || { echo "error: $CHECKPOINT: no such checkpoint" >&2; exit 1; }
wants() { [[ " $ONLY " == *" $1 "* ]]; }
need_config() { [ -f "$2" ] || { echo "error: $1 $2: no such config file" >&2; exit 1; }; }
if wants knn; then need_config --config "$CONFIG"; fi
if wants linear; then need_config --linear-config "$LINEAR_CONFIG"; fi
if wants stages; then need_config --stages-config "$STAGES_CONFIG"; fi
# a file that holds no backbone weights stops here, not in every evaluation
"$PYTHON" -c 'import sys
from mmaccel.evaluation.backbone_checkpoint import read_backbone
from mmaccel.utils import report_errors
report_errors(lambda argv: read_backbone(argv[0]))(sys.argv[1:])' "$CHECKPOINT" || exit 1
if [ -z "$WORK_DIR" ]; then
  WORK_DIR="work_dirs/benchmarks/run_all/$(basename "$(dirname "$(realpath "$CHECKPOINT")")")_$(basename "$CHECKPOINT" .pth)"
fi
mkdir -p "$WORK_DIR"
RUNS="$WORK_DIR/runs.tsv"
: >"$RUNS"

# run NAME KIND SETTING RUN_DIR COMMAND...: run, time, record (never stops the
# script); runs.tsv gets name, kind, setting, run dir, seconds, status, command
run() {
  local name=$1 kind=$2 setting=$3 dir=$4 start status=ok
  shift 4
  mkdir -p "$dir"
  echo "[run_all] $name: $*"
  start=$(date +%s%N)
  "$@" >"$dir/run_all.log" 2>&1 || status=failed
  printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$name" "$kind" "$setting" "$dir" \
    "$(awk "BEGIN { printf \"%.1f\", ($(date +%s%N) - $start) / 1e9 }")" \
    "$status" "$*" >>"$RUNS"
  if [ "$status" != ok ]; then  # the tool's own line, else where to look
    local why
    why="$(grep -m1 '^error: ' "$dir/run_all.log" || true)"
    echo "error: $name failed: ${why#error: }${why:+; }log: $dir/run_all.log" >&2
  fi
}

# ------------------------------------------------------------ classification
if wants knn; then
  # shellcheck disable=SC2086
  run knn knn "Fashion-MNIST, frozen, $(basename "$CONFIG" .py)" "$WORK_DIR/knn" \
    "$PYTHON" tools/benchmarks/knn.py "$CONFIG" "$CHECKPOINT" --work-dir "$WORK_DIR/knn" $KNN_ARGS
fi
if wants linear; then
  # shellcheck disable=SC2086
  run linear linear "Fashion-MNIST, frozen, $(basename "$LINEAR_CONFIG" .py)" \
    "$WORK_DIR/linear" "$PYTHON" tools/benchmarks/linear.py "$LINEAR_CONFIG" "$CHECKPOINT" \
    --work-dir "$WORK_DIR/linear" $LINEAR_ARGS
fi
if wants stages; then
  # shellcheck disable=SC2086
  run stages stages "Fashion-MNIST, frozen, $(basename "$STAGES_CONFIG" .py)" \
    "$WORK_DIR/stages" "$PYTHON" tools/benchmarks/linear.py "$STAGES_CONFIG" "$CHECKPOINT" \
    --work-dir "$WORK_DIR/stages" $LINEAR_ARGS
fi

# ------------------------------------------------- detection and segmentation
if wants det || wants det-frozen || wants seg || wants seg-frozen; then
  BACKBONE="$WORK_DIR/backbone_rgb.pth"
  "$PYTHON" tools/model_converters/extract_backbone.py "$CHECKPOINT" "$BACKBONE" --in-channels 3
  if [ ! -f "$VOC/VOC2007/ImageSets/Main/test.txt" ]; then
    [ "$(basename "$VOC")" = VOCdevkit ] || { echo "error: --voc $VOC must end in VOCdevkit" >&2; exit 2; }
    echo "[run_all] making the mini VOC set in $VOC"
    # shellcheck disable=SC2086
    "$PYTHON" tools/dataset_converters/make_mini_voc.py --out-dir "$(dirname "$VOC")" $VOC_ARGS
  fi
fi

COMMON=("train_dataloader.batch_size=$BATCH" "val_dataloader.batch_size=$BATCH")
DET=configs/benchmarks/mmdetection/mini_voc
m1=$(( DET_ITERS * 3 / 4 )); m2=$(( DET_ITERS * 11 / 12 ))
DET_OPTS=("${COMMON[@]}" "train_dataloader.dataset.data_root=$VOC/" "val_dataloader.dataset.data_root=$VOC/"
  "train_cfg.max_iters=$DET_ITERS" "train_cfg.val_interval=$DET_ITERS"
  "param_scheduler.0.end=$(( DET_ITERS < 500 ? DET_ITERS / 10 + 1 : 50 ))"
  "param_scheduler.1.end=$DET_ITERS" "param_scheduler.1.milestones=[$m1,$m2]"
  "default_hooks.checkpoint.interval=$DET_ITERS")
for mode in det det-frozen; do
  wants $mode || continue
  frozen=""; backbone=fine-tuned
  [ $mode = det-frozen ] && frozen=-frozen && backbone=frozen
  cfg=$DET/faster-rcnn_r18-c4${frozen}_1xb8-2k_mini-voc07.py
  # shellcheck disable=SC2086
  run $mode det "mini VOC07 trainval -> test, $backbone, $DET_ITERS iters x $BATCH x $GPUS" \
    "$WORK_DIR/$mode" bash tools/benchmarks/mmdetection/train.sh "$cfg" "$BACKBONE" "$GPUS" \
    --work-dir "$WORK_DIR/$mode" --cfg-options "${DET_OPTS[@]}" $DET_ARGS
done

SEG=configs/benchmarks/mmsegmentation/mini_voc
SEG_OPTS=("${COMMON[@]}" "train_dataloader.dataset.datasets.0.data_root=$VOC/VOC2012"
  "train_dataloader.dataset.datasets.1.data_root=$VOC/VOC2012" "val_dataloader.dataset.data_root=$VOC/VOC2012"
  "train_cfg.max_iters=$SEG_ITERS" "train_cfg.val_interval=$SEG_ITERS"
  "param_scheduler.0.end=$SEG_ITERS" "default_hooks.checkpoint.interval=$SEG_ITERS")
for decoder in $SEG_DECODERS; do
  for mode in seg seg-frozen; do
    wants $mode || continue
    frozen=""; backbone=fine-tuned
    [ $mode = seg-frozen ] && frozen=-frozen && backbone=frozen
    cfg=$SEG/${decoder}_r18-d8${frozen}_1xb8-2k_mini-voc12aug-128x128.py
    name=$decoder${frozen}
    # shellcheck disable=SC2086
    run "$name" seg "mini VOC12 train+aug -> val, $decoder, $backbone, $SEG_ITERS iters x $BATCH x $GPUS" \
      "$WORK_DIR/$name" bash tools/benchmarks/mmsegmentation/train.sh "$cfg" "$BACKBONE" "$GPUS" \
      --work-dir "$WORK_DIR/$name" --cfg-options "${SEG_OPTS[@]}" $SEG_ARGS
  done
done

"$PYTHON" tools/benchmarks/summarize.py "$WORK_DIR"
# exit status 1 if an evaluation failed (its status: the 6th field of runs.tsv)
! awk -F'\t' '$6 == "failed" { found = 1 } END { exit !found }' "$RUNS"
