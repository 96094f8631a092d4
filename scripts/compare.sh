#!/usr/bin/env bash
# The method comparison of BENCHMARKS.md (issues 4 and 12): trains one teacher (the largest network
# alone, `sparsenas train --arch max`, on the preset's data split) and gives it to every method and
# seed (`sparsenas run --teacher`), so that no method wins by training its teacher further; runs the
# methods one after another (never two at once: 2 cores), then `sparsenas compare`, whose cost
# tables count the shared teacher once.
# Rerunning resumes: a finished teacher is kept, an interrupted one continues from its checkpoint,
# and finished stages of every run are skipped.
# Settings by environment:
#   SNAS_PRESET (quick), SNAS_SEEDS ("0", or SNAS_SEED), SNAS_METHODS ("sparsenas compofa ofa random-subspace"),
#   SNAS_TEACHER_EPOCHS (28), SNAS_TEACHER_SEED (0), SNAS_OUT (runs/compare-<preset>).
# 28 teacher epochs: the budget that reached 92.06% test top-1 on all of Fashion-MNIST (BENCHMARKS.md,
# "Teacher"; there in three runs: 15 epochs at lr 0.1, 8 at 0.05, 5 at 0.01 without augmentation).
# Here it is one cosine schedule from the preset's teacher learning rate, on the preset's training split.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
PRESET="${SNAS_PRESET:-quick}"
SEEDS="${SNAS_SEEDS:-${SNAS_SEED:-0}}"
METHODS="${SNAS_METHODS:-sparsenas compofa ofa random-subspace}"
TEACHER_EPOCHS="${SNAS_TEACHER_EPOCHS:-28}"
TEACHER_SEED="${SNAS_TEACHER_SEED:-0}"
OUT="${SNAS_OUT:-runs/compare-$PRESET}"
# The preset's space and width multiplier (the protocol), which `train` takes as flags and which
# name the teacher's folder (a teacher of another space would be refused by every run).
mapfile -t space_flags < <(./build/sparsenas run --preset "$PRESET" --print-config |
  python3 -c 'import json, sys; c = json.load(sys.stdin); print("--space", c["space"], "--width-mult", c["width_mult"], sep="\n")')
[ "${#space_flags[@]}" -eq 4 ] || { echo "compare: could not read the space of preset $PRESET" >&2; exit 1; }
SPACE_TAG="$(basename "${space_flags[1]}" .json)-w${space_flags[3]}"
TEACHER="$OUT/teacher-$SPACE_TAG-e$TEACHER_EPOCHS-seed$TEACHER_SEED"
mkdir -p "$OUT"

# The teacher trains on the runs' own training split (the preset's data section), with the
# preset's teacher recipe and SNAS_TEACHER_EPOCHS epochs.
if [ -f "$TEACHER/result.json" ]; then
  echo "compare: teacher $TEACHER is trained (delete it to train again)" >&2
else
  ./build/sparsenas run --preset "$PRESET" --seed "$TEACHER_SEED" --print-config |
    python3 -c 'import json, sys; c = json.load(sys.stdin); json.dump({"train": c["teacher"], "data": c["data"]}, sys.stdout, indent=2)' \
      > "$OUT/teacher-config.json"
  resume=()
  if [ -f "$TEACHER/checkpoint.pt" ]; then resume=(--resume); fi
  ./build/sparsenas train --arch max "${space_flags[@]}" --config "$OUT/teacher-config.json" --epochs "$TEACHER_EPOCHS" \
    --out "$TEACHER" "${resume[@]}" >&2
fi

dirs=()
for seed in $SEEDS; do
  for method in $METHODS; do
    ./build/sparsenas run --preset "$PRESET" --method "$method" --seed "$seed" --teacher "$TEACHER" \
      --out "$OUT/$method-seed$seed"
    dirs+=("$OUT/$method-seed$seed")
  done
done
./build/sparsenas compare "${dirs[@]}" --out "$OUT/compare"
echo "compare: $OUT/compare/compare.md" >&2
