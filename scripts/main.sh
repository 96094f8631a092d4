#!/usr/bin/env bash
# The main job: installs, builds, then trains and evaluates the largest ofa-mbv3 network on
# Fashion-MNIST (until the SparseNAS pipeline lands, this network is what `sparsenas run` will
# use as its teacher). Rerunning resumes an unfinished run and re-evaluates a finished one.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
OUT="${SNAS_OUT:-runs/fashion-mnist-teacher}"
EPOCHS="${SNAS_EPOCHS:-15}"
if [ -f "$OUT/result.json" ]; then
  echo "main: $OUT is finished; evaluating its checkpoint again" >&2
  ./build/sparsenas eval --checkpoint "$OUT/checkpoint.pt" --split both --json
elif [ -f "$OUT/checkpoint.pt" ]; then
  ./build/sparsenas train --space ofa-mbv3 --arch max --epochs "$EPOCHS" --out "$OUT" --resume --json
else
  ./build/sparsenas train --space ofa-mbv3 --arch max --epochs "$EPOCHS" --out "$OUT" --json
fi
echo "main: results in $OUT/result.json" >&2
