#!/usr/bin/env bash
# Issue 12 item 6, a second search seed: the same pairs and predictors, sparse_space.evolution.seed 1 (after
# measure.sh). Then: mkdir s1, link base1/loss1/rank1 and check-*1.json there as base/loss/rank, analyse.py s1 loss rank.
set -u
DIR=${ITEM6_DIR:-/work/item6}; B=${BIN:-$(cd "$(dirname "$0")/../.." && pwd)/build/sparsenas}; cd "$DIR"
log() { echo "$(date -u +%FT%TZ) $*" >> item6.log; }
for v in base loss rank; do
  [ -d ${v}1 ] || cp -r $v ${v}1
  case $v in
    base) c='{"sparse_space": {"evolution": {"seed": 1}}}' ;;
    loss) c='{"predictor": {"target": "val_loss"}, "sparse_space": {"evolution": {"seed": 1}}}' ;;
    rank) c='{"predictor": {"early": {"objective": "rank:pairwise"}}, "sparse_space": {"evolution": {"seed": 1}}}' ;;
  esac
  echo "$c" > ${v}1.json
  $B run --preset quick --config ${v}1.json --out ${v}1 --stop-after sparse_space --threads 2 > ${v}1.out 2> ${v}1.err || { log FAILED ${v}1; exit 1; }
  $B check-selection --run ${v}1 --on judge --split test --out check-${v}1.json --json > check-${v}1.out 2> check-${v}1.err || { log FAILED check ${v}1; exit 1; }
  log done check ${v}1
done
log seed1 done
