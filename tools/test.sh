#!/usr/bin/env bash
# Runs the test suite: bash tools/test.sh [pytest args], e.g. -k foundation.
# Sets everything up first (tools/setup_env.sh; quick when already done), then
# lints (flake8, isort) and fails on a violation.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
bash tools/setup_env.sh --tier full
# Lint: OpenMMLab's flake8 and isort settings, in setup.cfg.
if ! .venv/bin/python -m flake8 mmaccel tools tests configs setup.py; then
  echo "tools/test.sh: flake8 found the violations above (settings: setup.cfg)" >&2
  exit 1
fi
if ! .venv/bin/python -m isort --check-only --diff mmaccel tools tests setup.py; then
  echo "tools/test.sh: isort: imports out of order (diff above); fix with" \
    ".venv/bin/python -m isort mmaccel tools tests setup.py" >&2
  exit 1
fi
# One thread per core; subprocess tests inherit it.
export OMP_NUM_THREADS="${OMP_NUM_THREADS:-$(nproc)}"
exec .venv/bin/python -m pytest tests -q -p no:cacheprovider "$@"
