#!/usr/bin/env bash
# The GPU evidence in one command (issue 18): at most 6 minutes on one H100 from a
# clean node, install included. Every result is written into the output folder as
# soon as it exists, so a run that is cut off still returns what finished.
#
#   bash tools/analysis/gpu_evidence.sh [--seed N] [--out DIR] [--smoke] [options]
#
# 1. install: the core tier from a carried wheelhouse, offline
#    (tools/install/install_offline.sh WHEELHOUSE VENV: a venv over the node's torch),
#    then an import check; prints the GPU, the driver and torch (env.json).
# 2. speed: ResNet-50 at 224 px, batch 64, bfloat16 autocast and channels-last,
#    MoCo v2 and SimCLR against the paper's defaults, partial back-propagation
#    alone and pbp-ramp (tools/analysis/gpu_evidence.py speed; speed.json).
# 3. race: full-width ResNet-18 on Fashion-MNIST at 224 px (augmented on the GPU),
#    baseline, paper defaults and pbp-ramp, each trained for the same wall-clock
#    budget (tools/train.py --time-budget), kNN top-1 at regular shares of the
#    budget; one record per run appended to docs/results/gpu.json (records.json,
#    gpu.json, train.log). MoCo v2 first, SimCLR when its three runs still fit.
# 4. the largest batch that fits, if time is left; then a short table (table.md).
#
# Output folder: --out, else $OUT (the device machine's), else work_dirs/gpu_evidence.
# --smoke: tiny models, a few seconds of training, on the CPU; no install unless
# --install; results stay in the output folder (never docs/results/gpu.json).
# Options:
#   --seed N          the race's seed (one per call; default 0)
#   --budget DUR      training budget of each race run (default 40s; smoke 4s)
#   --limit S         wall seconds for the whole kit (default 340; smoke 600)
#   --methods "M..."  race methods in order (default "mocov2 simclr"; smoke "mocov2")
#   --stages "S..."   of: install speed race maxbatch (default: all four)
#   --wheelhouse DIR  the core tier's wheels (default .whl/cp312, from
#                     tools/install/build_wheelhouse.sh)
#   --venv DIR        where the install goes (default /tmp/mmaccel-venv)
#   --data-gz DIR     Fashion-MNIST's four .gz files, extracted when
#                     data/fashion-mnist lacks them (default data/fashion-mnist-gz)
#   --install / --no-install   force the install step on or off
# Environment: PYTHON, the interpreter to use without the install step (default
# .venv/bin/python, else python3); PYTHON_SYS, the one the install's venv is made
# from (default python3).
set -uo pipefail # not -e: a failed stage is reported and the next one runs
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$ROOT"
T0=$(date +%s)

SEED=0 SMOKE=0 BUDGET="" LIMIT="" OUTDIR="${OUT:-work_dirs/gpu_evidence}"
METHODS="mocov2 simclr" STAGES="install speed race maxbatch"
WHEELHOUSE=".whl/cp312" VENV="/tmp/mmaccel-venv" DATA_GZ="data/fashion-mnist-gz"
INSTALL=auto METHODS_GIVEN=0
while [ $# -gt 0 ]; do
  case "$1" in
    --seed) SEED="$2"; shift 2 ;;
    --out) OUTDIR="$2"; shift 2 ;;
    --smoke) SMOKE=1; shift ;;
    --budget) BUDGET="$2"; shift 2 ;;
    --limit) LIMIT="$2"; shift 2 ;;
    --methods) METHODS="$2" METHODS_GIVEN=1; shift 2 ;;
    --stages) STAGES="$2"; shift 2 ;;
    --wheelhouse) WHEELHOUSE="$2"; shift 2 ;;
    --venv) VENV="$2"; shift 2 ;;
    --data-gz) DATA_GZ="$2"; shift 2 ;;
    --install) INSTALL=1; shift ;;
    --no-install) INSTALL=0; shift ;;
    -h|--help) sed -n '2,/^set -uo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    *) echo "error: unknown option $1 (see --help)" >&2; exit 2 ;;
  esac
done
case "$SEED" in ''|*[!0-9]*) echo "error: --seed must be a non-negative integer; got '$SEED'" >&2; exit 2 ;; esac
if [ "$SMOKE" = 1 ]; then BUDGET="${BUDGET:-4s}" LIMIT="${LIMIT:-600}" SMOKE_FLAG=--smoke
  [ $METHODS_GIVEN = 1 ] || METHODS="mocov2" # the smoke race: MoCo v2's three runs
else BUDGET="${BUDGET:-40s}" LIMIT="${LIMIT:-340}" SMOKE_FLAG=""; fi
has_stage() { case " $STAGES " in *" $1 "*) return 0 ;; esac; return 1; }
left() { echo $((T0 + LIMIT - $(date +%s))); }
say() { echo "[gpu_evidence] $(date +%T) +$(($(date +%s) - T0))s $*"; }

mkdir -p "$OUTDIR"
OUTDIR="$(cd "$OUTDIR" && pwd)"
exec > >(tee -a "$OUTDIR/evidence.log") 2>&1
export PYTHONUNBUFFERED=1
STATUS=()  # one line per stage, printed with the table

say "seed $SEED, race budget $BUDGET per run, limit ${LIMIT}s, output $OUTDIR$([ "$SMOKE" = 1 ] && echo ', SMOKE (CPU, tiny)')"

# ------------------------------------------------------------------ 1. install
if [ "$INSTALL" = auto ]; then
  INSTALL=0
  if [ "$SMOKE" = 0 ] && has_stage install && [ -z "${PYTHON:-}" ]; then INSTALL=1; fi
fi
if [ "$INSTALL" = 1 ]; then
  tic=$(date +%s)
  if [ ! -f tools/install/install_offline.sh ]; then
    say "install: tools/install/install_offline.sh is missing"; exit 1
  fi
  say "install: core tier from $WHEELHOUSE into $VENV (offline)"
  # (the node's python3 is itself a venv's: the installer then lets the new venv
  # see that venv's torch through a .pth file)
  if PYTHON="${PYTHON_SYS:-python3}" bash tools/install/install_offline.sh "$WHEELHOUSE" "$VENV"; then
    PY="$VENV/bin/python"
    STATUS+=("install: core tier in $(($(date +%s) - tic)) s")
  else
    # No venv (a Python without ensurepip, say): the same wheels into a folder on
    # PYTHONPATH, as the device machine's notes do it; the import check follows.
    say "install: the venv failed; the wheels go into $VENV.site (pip --target) instead"
    ${PYTHON_SYS:-python3} -m pip install -q --isolated --disable-pip-version-check --no-index \
      --no-deps --no-compile --no-cache-dir --upgrade --target "$VENV.site" \
      --find-links "$WHEELHOUSE" -r "$WHEELHOUSE/requirements.txt" || { say "install FAILED"; exit 1; }
    export PYTHONPATH="$VENV.site:$ROOT${PYTHONPATH:+:$PYTHONPATH}"
    PY="${PYTHON_SYS:-python3}"
    STATUS+=("install: core tier in $(($(date +%s) - tic)) s (pip --target; the venv failed)")
  fi
else
  PY="${PYTHON:-}"
  if [ -z "$PY" ]; then
    if [ -x .venv/bin/python ]; then PY=.venv/bin/python; else PY=python3; fi
  fi
fi
if ! has_stage speed; then # else the speed stage writes env.json first
  "$PY" tools/analysis/gpu_evidence.py env --out "$OUTDIR" $SMOKE_FLAG ||
    { say "import check FAILED ($PY)"; exit 1; }
fi

# -------------------------------------------------------------------- 2. speed
if has_stage speed; then
  # pairs start until 110 s after the kit began (300 s in the smoke), which leaves
  # the race its three runs
  if [ "$SMOKE" = 1 ]; then speed_end=$((T0 + 300)); else speed_end=$((T0 + 110)); fi
  say "speed: ResNet-50 pairs, started until +$((speed_end - T0))s (and env.json)"
  # the smoke also tries its largest batches (16 to 64) here, in the same process
  "$PY" tools/analysis/gpu_evidence.py speed --out "$OUTDIR" $SMOKE_FLAG --seed "$SEED" \
    $([ "$SMOKE" = 1 ] && has_stage maxbatch && echo --max-batch) --deadline "$speed_end" && STATUS+=("speed: done") ||
    { say "speed FAILED"; STATUS+=("speed: FAILED (see evidence.log)"); }
fi

# --------------------------------------------------------------------- 3. race
# Configs: full-width ResNet-18 at 224 px on the in-memory Fashion-MNIST with the
# kornia device augmentation (issue 18, part 2), kNN at shares of the budget.
race_config() { # METHOD SETTING
  case "$2" in
    baseline) echo "configs/benchmarks/gpu/${1}_resnet18_1xb64-coslr-budget_fmnist-224px-knn.py" ;;
    accel-uniform) echo "configs/benchmarks/gpu/accel-${1}_resnet18_1xb64-coslr-budget_fmnist-224px-knn.py" ;;
    pbp-only-ramp) echo "configs/benchmarks/gpu/accel-${1}_resnet18_1xb64-coslr-budget_fmnist-224px-knn_pbp-ramp.py" ;;
  esac
}
# Smoke: the same configs at 32 px on 512 training images, batch 16, evaluated on
# 200 images at half the budget and at its end, no checkpoint (the precise BN hook
# is custom_hooks[$1], the kNN hook the next one).
smoke_opts() {
  local k=$(($1 + 1))
  echo data_preprocessor.transforms.0.0.scale=32 data_preprocessor.test_size=32 \
    default_hooks.checkpoint.save_last=False \
    train_dataloader.batch_size=16 train_dataloader.num_workers=0 \
    train_dataloader.persistent_workers=False +train_dataloader.dataset.indices=512 \
    "custom_hooks.$1.num_images=64" "custom_hooks.$1.dataloader.dataset.indices=200" \
    "custom_hooks.$1.budget_interval=0.5" "custom_hooks.$k.budget_interval=0.5" \
    "custom_hooks.$k.train_dataloader.dataset.indices=200" \
    "+custom_hooks.$k.val_dataloader.dataset.indices=200"
}
seconds_of() { # 90s, 45m, 1h30m, 75 -> whole seconds (train.py checks the value)
  local v="$1" s=0
  [[ "$v" =~ ^([0-9]+)h ]] && { s=$((s + 3600 * BASH_REMATCH[1])); v="${v#*h}"; }
  [[ "$v" =~ ^([0-9]+)m ]] && { s=$((s + 60 * BASH_REMATCH[1])); v="${v#*m}"; }
  [[ "$v" =~ ^([0-9]+)s?$ ]] && s=$((s + BASH_REMATCH[1]))
  echo "$s"
}
budget_s=$(seconds_of "$BUDGET")
if has_stage race; then
  if [ ! -s data/fashion-mnist/train-images-idx3-ubyte ] && [ -f "$DATA_GZ/train-images-idx3-ubyte.gz" ]; then
    say "data: extracting Fashion-MNIST from $DATA_GZ"
    FASHION_MNIST_SRC="$(cd "$DATA_GZ" && pwd)" bash tools/dataset_converters/prepare_fashion_mnist.sh
  fi
  if ! grep -qs -- "'--time-budget'" tools/train.py mmaccel/apis/train.py; then
    say "race: tools/train.py has no --time-budget (issue 19): skipped"
    STATUS+=("race: SKIPPED, no --time-budget")
  elif [ ! -s data/fashion-mnist/train-images-idx3-ubyte ]; then
    say "race: no Fashion-MNIST in data/fashion-mnist nor $DATA_GZ: skipped"
    STATUS+=("race: SKIPPED, no data")
  else
    est=$((budget_s + 30)) # one run: start-up, budget, evaluations; refined below
    first=1
    for method in $METHODS; do
      # the first method's runs start while one still fits; a later method only
      # when all three of its runs do
      if [ $first = 0 ] && [ "$(left)" -lt $((3 * est)) ]; then
        say "race: $method skipped, $(left) s left, its three runs need about $((3 * est)) s"
        STATUS+=("race $method: SKIPPED (time)"); continue
      fi
      first=0 done_runs=0
      for setting in baseline accel-uniform pbp-only-ramp; do
        if [ "$(left)" -lt "$est" ]; then
          say "race: $method $setting skipped, $(left) s left, a run needs about $est s"
          continue
        fi
        config="$(race_config "$method" "$setting")"
        work="work_dirs/gpu_evidence/race/${method}_${setting}_s${SEED}$([ "$SMOKE" = 1 ] && echo _smoke)"
        rm -rf "$work"
        cmd=("$PY" tools/train.py "$config" --work-dir "$work" --time-budget "$BUDGET"
             --amp --amp-dtype bfloat16 --channels-last
             --cfg-options randomness.seed="$SEED")
        # shellcheck disable=SC2207
        [ "$SMOKE" = 1 ] && cmd+=($(smoke_opts "$([ "$setting" = baseline ] && echo 0 || echo 1)"))
        say "race: $method $setting: ${cmd[*]}"
        tic=$(date +%s)
        mkdir -p "$(dirname "$work")"
        timeout $((budget_s * 2 + 180)) "${cmd[@]}" >"$work.log" 2>&1
        rc=$?
        if [ $rc != 0 ] && [ "$SMOKE" = 1 ] && grep -q "shorter than one training iteration" "$work.log"; then
          # a loaded CPU: the smoke's first step outlasted its budget; once more with
          # twice the budget (only in the smoke: a race's runs share one budget)
          say "race: $method $setting: the first step outlasted $BUDGET; again with $((2 * budget_s))s"
          rm -rf "$work"
          cmd[6]="$((2 * budget_s))s" # the value of --time-budget
          timeout $((budget_s * 4 + 180)) "${cmd[@]}" >"$work.log" 2>&1
          rc=$?
        fi
        { echo "===== $method $setting seed $SEED (exit $rc)"; cat "$work.log"; } >>"$OUTDIR/train.log"
        if [ $rc != 0 ]; then
          say "race: $method $setting FAILED (exit $rc):"; tail -n 15 "$work.log"
          continue
        fi
        "$PY" tools/analysis/gpu_evidence.py record "$work" --out "$OUTDIR" $SMOKE_FLAG \
          --method "$method" --setting "$setting" --seed "$SEED" --config "$config" \
          --time-budget "${cmd[6]}" --command "${cmd[*]}" && done_runs=$((done_runs + 1))
        took=$(($(date +%s) - tic))
        [ $took -gt $est ] && est=$took
        say "race: $method $setting took ${took} s"
      done
      STATUS+=("race $method: $done_runs of 3 runs recorded")
    done
  fi
fi

# ------------------------------------------------------------ 4. largest batch
if has_stage maxbatch && [ "$SMOKE" = 0 ]; then # the smoke's speed stage does it
  if [ "$(left)" -gt 40 ]; then
    say "largest batch (ResNet-50, baseline and paper defaults, $(($(left) - 15)) s at most)"
    "$PY" tools/analysis/gpu_evidence.py speed --out "$OUTDIR" --seed "$SEED" \
      --only-max-batch --deadline $(($(date +%s) + $(left) - 15)) ||
      say "largest batch FAILED"
  else
    say "largest batch: skipped, $(left) s left"
  fi
fi

# -------------------------------------------------------------------- 5. table
echo
"$PY" tools/analysis/gpu_report.py --dir "$OUTDIR" | tee "$OUTDIR/table.md"
for line in "${STATUS[@]}"; do echo "- $line"; done | tee -a "$OUTDIR/table.md"
say "done in $(($(date +%s) - T0)) s; results in $OUTDIR"
