#!/usr/bin/env bash
# Runs the test suite: bash tools/test.sh [pytest args], e.g. -k foundation.
# Sets everything up first (tools/setup_env.sh; quick when already done).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
bash tools/setup_env.sh --tier full
# One thread per core; subprocess tests inherit it.
export OMP_NUM_THREADS="${OMP_NUM_THREADS:-$(nproc)}"
exec .venv/bin/python -m pytest tests -q -p no:cacheprovider "$@"
