#!/usr/bin/env bash
# Runs quality experiments one after another and records each in
# docs/results/quality.json (tools/analysis/quality_record.py).
#
#   bash tools/analysis/run_quality.sh LIST
#
# LIST has one run per line:
#   METHOD SETTING SEED CONFIG [--time-budget DURATION] [--cfg-options ...]
# (blank lines and lines starting with # are skipped). Each run trains with one
# thread (OMP_NUM_THREADS, default 1) into work_dirs/quality/METHOD_SETTING_sSEED,
# for the config's epochs or, with --time-budget (90s, 45m, 1h30m), for that much
# training time, its schedules fitted to the budget (README, "Training to a time
# budget"): runs of different speeds then compare at one budget.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$ROOT"
export OMP_NUM_THREADS="${OMP_NUM_THREADS:-1}"
mkdir -p work_dirs/quality
while read -r method setting seed config rest; do
  [[ -z "${method:-}" || "$method" == \#* ]] && continue
  work="work_dirs/quality/${method}_${setting}_s${seed}"
  if [ -f "$work/done" ]; then echo "[quality] $work done already"; continue; fi
  budget=()
  if [[ "$rest" == --time-budget\ * ]]; then  # a per-run budget, then options
    rest="${rest#--time-budget }"
    budget=(--time-budget "${rest%% *}")
    [[ "$rest" == *\ * ]] && rest="${rest#* }" || rest=""
  fi
  cmd="OMP_NUM_THREADS=$OMP_NUM_THREADS python tools/train.py $config --work-dir $work ${budget[*]} --cfg-options randomness.seed=$seed ${rest#--cfg-options }"
  echo "[quality] $(date +%T) $cmd"
  # shellcheck disable=SC2086
  .venv/bin/python tools/train.py "$config" --work-dir "$work" \
    ${budget[@]+"${budget[@]}"} \
    --cfg-options randomness.seed="$seed" ${rest#--cfg-options } \
    > "$work.log" 2>&1 || { echo "[quality] $work failed: see $work.log"; continue; }
  # two lists run side by side: the lock keeps one record from overwriting
  # the other's read-modify-write of quality.json
  flock work_dirs/quality/.record.lock \
    .venv/bin/python tools/analysis/quality_record.py "$work" --method "$method" \
    --setting "$setting" --seed "$seed" --config "$config" --command "$cmd"
  touch "$work/done"
done < "$1"
