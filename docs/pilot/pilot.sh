#!/usr/bin/env bash
# Issue 12 pilot: the smallest and the largest network of each candidate protocol, trained alone with one budget
# (12,000 training images, 2,000 validation, 15 epochs (EPOCHS), batch 128, lr 0.1 cosine; the `train` defaults otherwise),
# tested on all 10,000 Fashion-MNIST test images. One thread each; resumes.
set -u
cd "$(dirname "$0")"  # out/, res/, logs/ are written beside this script
BIN=${BIN:-$PWD/../../build/sparsenas}
common=(--in-channels 1 --classes 10 --epochs ${EPOCHS:-15} --train-limit 12000 --val-size 2000 --threads 1 --json)
run() { # name arch space [extra...]
  local name=$1 arch=$2 space=$3; shift 3
  [ -f "res/$name-$arch-e${EPOCHS:-15}.json" ] && return
  local extra=()
  [ -f "out/$name-$arch-e${EPOCHS:-15}/checkpoint.pt" ] && extra=(--resume)
  echo "$(date -u +%FT%TZ) start $name-$arch" >> pilot.log
  if "$BIN" train --space "$space" --arch "$arch" "${common[@]}" "$@" "${extra[@]}" --out "out/$name-$arch-e${EPOCHS:-15}" \
      > "res/$name-$arch-e${EPOCHS:-15}.tmp" 2> "logs/$name-$arch-e${EPOCHS:-15}.log"; then
    mv "res/$name-$arch-e${EPOCHS:-15}.tmp" "res/$name-$arch-e${EPOCHS:-15}.json"
    echo "$(date -u +%FT%TZ) done $name-$arch" >> pilot.log
  else
    echo "$(date -u +%FT%TZ) FAILED $name-$arch" >> pilot.log
  fi
}
mkdir -p res logs out
for arch in min max; do run A-stem2 $arch ofa-mbv3 --resolution 28; done
for arch in min max; do run D-stem1-w0.5 $arch ofa-mbv3-s1.json --resolution 28 --width-mult 0.5; done
for arch in min max; do run C-up56 $arch ofa-mbv3 --resolution 56 --image-size 56; done
for arch in min max; do run F-stage1s1 $arch ofa-mbv3-stage1s1.json --resolution 28; done
for arch in min max; do run B-stem1 $arch ofa-mbv3-s1.json --resolution 28; done
echo "$(date -u +%FT%TZ) all done" >> pilot.log
