#!/usr/bin/env bash
# Issue 24 pilot: per candidate (latin62, cjk500) the smallest and largest network of ofa-mbv3-s1 x0.5 trained alone
# at two budgets (E epochs, 1 of warm-up, lr 0.1 cosine, all training images, 1 thread); spos.sh does the rest.
# LANE=a|b picks one of two queues (one per core). Resumes.
set -u
cd "$(dirname "$0")"
BIN=$PWD/bin/sparsenas
mkdir -p res logs out
declare -A NCLS=([latin62]=62 [cjk500]=500)
train() { # cand arch epochs
  local c=$1 a=$2 e=$3 name=$1-$2-e$3
  [ -f res/$name.json ] && return 0
  local extra=(); [ -f out/$name/checkpoint.pt ] && extra=(--resume)
  echo "$(date -u +%FT%TZ) start $name" >> pilot.log
  if "$BIN" train --space ofa-mbv3-s1 --resolution 28 --width-mult 0.5 --in-channels 1 --classes ${NCLS[$c]} \
      --arch $a --epochs $e --warmup-epochs 1 --data glyphs --data-path data/$c --threads 1 --json "${extra[@]}" \
      --out out/$name > res/$name.tmp 2> logs/$name.log; then
    mv res/$name.tmp res/$name.json; echo "$(date -u +%FT%TZ) done $name" >> pilot.log
  else echo "$(date -u +%FT%TZ) FAILED $name" >> pilot.log; fi
}
case ${LANE:-a} in
  a) train latin62 max 12; train cjk500 max 12 ;;
  b) for c in latin62 cjk500; do train $c min 4; train $c max 4; train $c min 12; done ;;
esac
echo "$(date -u +%FT%TZ) lane ${LANE:-a} done" >> pilot.log
