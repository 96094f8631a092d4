#!/usr/bin/env bash
# Installs, builds and runs the unit tests (CTest labels "slow" and "gpu" are left out).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
export OMP_WAIT_POLICY=PASSIVE
ctest --test-dir "${SNAS_BUILD_DIR:-build}" --output-on-failure -LE "slow|gpu" -j 2 "$@"
