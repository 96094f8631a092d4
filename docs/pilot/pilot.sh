#!/usr/bin/env bash
# Issue 12 pilot: the smallest and the largest network of each candidate protocol, trained alone with one budget
# (12,000 training images, 2,000 validation, 15 epochs (EPOCHS), batch 128, lr 0.1 cosine; the `train` defaults otherwise),
# tested on all 10,000 Fashion-MNIST test images. One thread each; resumes.
# WARMUP=N adds N epochs of linear warm-up (part of EPOCHS); CANDIDATES="D A" picks and orders the candidates;
# TRAIN_LIMIT=N trains on N images (default 12000; 0 = all the training images left after the 2,000 held out);
# ARCHS="max" runs one end only (two scripts, ARCHS=min and ARCHS=max, train both ends at once on 2 cores).
set -u
cd "$(dirname "$0")"  # out/, res/, logs/ are written beside this script
BIN=${BIN:-$PWD/../../build/sparsenas}
common=(--in-channels 1 --classes 10 --epochs ${EPOCHS:-15} --warmup-epochs ${WARMUP:-0} --train-limit ${TRAIN_LIMIT:-12000} --val-size 2000 --threads 1 --json)
tag=e${EPOCHS:-15}; [ "${WARMUP:-0}" -gt 0 ] && tag=${tag}w${WARMUP}
[ "${TRAIN_LIMIT:-12000}" != 12000 ] && tag=${tag}n${TRAIN_LIMIT}
run() { # name arch space [extra...]
  local name=$1 arch=$2 space=$3; shift 3
  [ -f "res/$name-$arch-$tag.json" ] && return
  local extra=()
  [ -f "out/$name-$arch-$tag/checkpoint.pt" ] && extra=(--resume)
  echo "$(date -u +%FT%TZ) start $name-$arch" >> pilot.log
  if "$BIN" train --space "$space" --arch "$arch" "${common[@]}" "$@" "${extra[@]}" --out "out/$name-$arch-$tag" \
      > "res/$name-$arch-$tag.tmp" 2> "logs/$name-$arch-$tag.log"; then
    mv "res/$name-$arch-$tag.tmp" "res/$name-$arch-$tag.json"
    echo "$(date -u +%FT%TZ) done $name-$arch" >> pilot.log
  else
    echo "$(date -u +%FT%TZ) FAILED $name-$arch" >> pilot.log
  fi
}
mkdir -p res logs out
for c in ${CANDIDATES:-A D C F B}; do
  for arch in ${ARCHS:-min max}; do
    case $c in
      A) run A-stem2 $arch ofa-mbv3 --resolution 28 ;;
      D) run D-stem1-w0.5 $arch ofa-mbv3-s1.json --resolution 28 --width-mult 0.5 ;;
      E) run E-stem1-w0.25 $arch ofa-mbv3-s1.json --resolution 28 --width-mult 0.25 ;;
      C) run C-up56 $arch ofa-mbv3 --resolution 56 --image-size 56 ;;
      F) run F-stage1s1 $arch ofa-mbv3-stage1s1.json --resolution 28 ;;
      B) run B-stem1 $arch ofa-mbv3-s1.json --resolution 28 ;;
      *) echo "pilot: unknown candidate $c (expected A, B, C, D, E or F)" >&2; exit 2 ;;
    esac
  done
done
echo "$(date -u +%FT%TZ) all done" >> pilot.log
