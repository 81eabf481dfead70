#!/usr/bin/env bash
# Transfer of one quality run to a data set it never saw (issue 20): kNN (k=20, 200) and a
# linear probe per stage on scikit-learn's digits (tools/dataset_converters/prepare_digits.py),
# batch-norm statistics re-estimated on the digits' bank first, added to its record in
# docs/results/quality.json as transfer.digits.
#   bash tools/analysis/transfer_digits.sh WORK_DIR METHOD SETTING SEED CONFIG [OUT_JSON]
# WORK_DIR is the run's work directory (its last_checkpoint is evaluated), CONFIG its config.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
PY="${PYTHON:-$ROOT/.venv/bin/python}"
[ $# -ge 5 ] || { echo "usage: $0 WORK_DIR METHOD SETTING SEED CONFIG [OUT_JSON]" >&2; exit 2; }
work=$1 method=$2 setting=$3 seed=$4 config=$5 out=${6:-$ROOT/docs/results/quality.json}
[ -s "$work/last_checkpoint" ] || { echo "error: $work has no last_checkpoint" >&2; exit 1; }
ckpt=$(cat "$work/last_checkpoint")
"$PY" "$ROOT/tools/dataset_converters/prepare_digits.py" --out-dir "$ROOT/data/digits" >/dev/null
rm -rf "$work/transfer_digits"
OMP_NUM_THREADS=${OMP_NUM_THREADS:-1} "$PY" "$ROOT/tools/benchmarks/knn.py" "$config" "$ckpt" \
  --data-root "$ROOT/data/digits" --exits stem 1 2 3 4 --k 20 200 --linear --precise-bn 899 \
  --num-workers 0 --work-dir "$work/transfer_digits"
# two transfers may run side by side: the lock keeps one record from overwriting the
# other's read-modify-write of the JSON (as in run_quality.sh)
mkdir -p "$ROOT/work_dirs/quality"
flock "$ROOT/work_dirs/quality/.record.lock" \
  "$PY" "$ROOT/tools/analysis/quality_record.py" --transfer "$(ls "$work"/transfer_digits/knn_*.json | tail -1)" \
  --method "$method" --setting "$setting" --seed "$seed" --out "$out"
