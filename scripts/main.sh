#!/usr/bin/env bash
# The main job: installs, builds, then runs the SparseNAS pipeline (`sparsenas run`, preset quick)
# on Fashion-MNIST and prints where its report is. Rerunning the same command resumes an unfinished
# run (finished stages are skipped, a training stage continues from its last checkpoint).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
OUT="${SNAS_OUT:-runs/fashion-mnist-quick}"
PRESET="${SNAS_PRESET:-quick}"
case "$PRESET" in
  glyphs-*)  # the glyphs presets read data/glyphs-latin62: make it (a no-op when it is up to date)
    ./build/sparsenas dataset glyphs --classes latin62 --out data/glyphs-latin62 ;;
esac
./build/sparsenas run --preset "$PRESET" --out "$OUT" --json
echo "main: report at $OUT/report.md (family: $OUT/family.csv; try: build/sparsenas search --run $OUT --max-macs 8e6)" >&2
