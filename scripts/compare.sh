#!/usr/bin/env bash
# The method comparison of BENCHMARKS.md (issue 4): runs each method on Fashion-MNIST with the same
# preset and seed, one after another (never two at once: 2 cores), then `sparsenas compare`.
# Rerunning resumes (finished stages are skipped). Settings by environment:
#   SNAS_PRESET (quick), SNAS_SEED (0), SNAS_METHODS ("sparsenas compofa ofa"),
#   SNAS_OUT (runs/compare-<preset>-seed<seed>).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
PRESET="${SNAS_PRESET:-quick}"
SEED="${SNAS_SEED:-0}"
METHODS="${SNAS_METHODS:-sparsenas compofa ofa}"
OUT="${SNAS_OUT:-runs/compare-$PRESET-seed$SEED}"
dirs=()
for method in $METHODS; do
  ./build/sparsenas run --preset "$PRESET" --method "$method" --seed "$SEED" --out "$OUT/$method"
  dirs+=("$OUT/$method")
done
./build/sparsenas compare "${dirs[@]}" --out "$OUT/compare"
echo "compare: $OUT/compare/compare.md" >&2
