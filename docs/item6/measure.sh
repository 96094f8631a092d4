#!/usr/bin/env bash
# Issue 12 item 6 measurement: one quick sparsenas run to the sparse space, the variants on copies, a spos judge.
# Resumable: rerun it (each `run` resumes its stages; check-selection continues from its partial file).
# Then: python3 docs/item6/analyse.py $ITEM6_DIR
set -u
DIR=${ITEM6_DIR:-/work/item6}; mkdir -p "$DIR"; B=${BIN:-$(cd "$(dirname "$0")/../.." && pwd)/build/sparsenas}; cd "$DIR"
log() { echo "$(date -u +%FT%TZ) $*" >> item6.log; }
log start base
$B run --preset quick --out base --stop-after sparse_space --threads 2 > base.out 2> base.err || { log FAILED base; exit 1; }
log done base
$B run --preset quick --method spos --teacher base --out judge --stop-after supernet --threads 2 > judge.out 2> judge.err || { log FAILED judge; exit 1; }
log done judge
echo '{"predictor": {"target": "val_loss"}}' > loss.json
echo '{"predictor": {"early": {"objective": "rank:pairwise"}}}' > rank.json
echo '{"sparse_space": {"rerank_pool": 10}}' > rerank.json
for v in loss rank rerank; do
  [ -d $v ] || cp -r base $v
  $B run --preset quick --config $v.json --out $v --stop-after sparse_space --threads 2 > $v.out 2> $v.err || { log FAILED $v; exit 1; }
  log done $v
done
for v in base loss rank rerank; do
  $B check-selection --run $v --on judge --split test --out check-$v.json --json > check-$v.out 2> check-$v.err || { log FAILED check $v; exit 1; }
  log done check $v
done
log all done
