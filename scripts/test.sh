#!/usr/bin/env bash
# Installs, builds and runs the tests: all of them (CI and the README's test command), or with
# --fast all but those labelled "slow" (over ~10 s each; about 2 minutes on 2 cores). Tests labelled
# "gpu" skip themselves without a GPU. Other arguments go to ctest (e.g. -R cli).
set -euo pipefail
cd "$(dirname "$0")/.."
filter=()
if [ "${1:-}" = "--fast" ]; then
  filter=(-LE slow)
  shift
fi
bash scripts/setup.sh
export OMP_WAIT_POLICY=PASSIVE
ctest --test-dir "${SNAS_BUILD_DIR:-build}" --output-on-failure "${filter[@]}" -j 2 "$@"
