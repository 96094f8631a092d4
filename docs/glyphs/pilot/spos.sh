#!/usr/bin/env bash
# Issue 24 pilot, part 2 (after train_ends.sh): on a `quick` spos supernet trained on candidate C (4 epochs on all
# the training images, KD from the 12-epoch largest network of train_ends.sh), 30 random networks of one MACs
# interval (the interval of 16 equal ones over the space's MACs range that holds the median of 2,000 random
# networks), each evaluated on the whole test split with per-image correctness (`eval --correct`); and the
# per-image correctness of the smallest and largest networks trained alone (for paired intervals).
# Usage: C=latin62 [WAIT=file] bash spos.sh   (in the pilot directory: data/, out/, res/, bin/). Resumes.
set -u
cd "${PILOT_DIR:-$(dirname "$0")}"
BIN=$PWD/bin/sparsenas
c=$C; declare -A NCLS=([latin62]=62 [cjk500]=500)
space=(--space ofa-mbv3-s1 --width-mult 0.5 --resolution 28 --in-channels 1 --classes ${NCLS[$c]})
while [ -n "${WAIT:-}" ] && ! grep -q "${WAIT}" pilot.log; do sleep 20; done
while [ ! -f res/$c-max-e12.json ]; do sleep 20; done
mkdir -p res/correct logs
for e in 4 12; do for a in min max; do
  f=res/correct/$c-$a-e$e.json; [ -f $f ] && continue
  "$BIN" eval --checkpoint out/$c-$a-e$e/checkpoint.pt --split test --threads 1 --correct $f > /dev/null 2>> logs/eval-$c.log
done; done
out=out/spos-$c
if [ ! -f res/spos-$c.supernet.done ]; then
  echo '{"supernet": {"epochs": 4}}' > out/spos-over.json
  echo "$(date -u +%FT%TZ) start spos-$c" >> pilot.log
  "$BIN" run --preset quick --method spos --config out/spos-over.json --data glyphs --data-path data/$c \
      --train-limit 0 --teacher out/$c-max-e12 --threads 1 --stop-after supernet --out $out 2> logs/spos-$c.log \
    && touch res/spos-$c.supernet.done && echo "$(date -u +%FT%TZ) done spos-$c" >> pilot.log
fi
[ -f res/spos-$c.supernet.done ] || { echo "spos-$c failed: logs/spos-$c.log" >&2; exit 1; }
if [ ! -f res/spos-$c-archs.jsonl ]; then
  "$BIN" space sample "${space[@]}" -n 2000 --seed 24 --with-costs > res/spos-$c-samples.jsonl
  "$BIN" space info "${space[@]}" --json > res/spos-$c-space.json
  /usr/bin/python3 - "$c" <<'PY'
import json, sys, statistics
c = sys.argv[1]
info = json.load(open(f"res/spos-{c}-space.json"))
lo, hi = info["smallest"]["macs"], info["largest"]["macs"]
rows = [json.loads(l) for l in open(f"res/spos-{c}-samples.jsonl")]
width = (hi - lo) / 16
k = min(15, int((statistics.median(r["macs"] for r in rows) - lo) // width))
a, b = lo + k * width, lo + (k + 1) * width
chosen = [r for r in rows if a <= r["macs"] < b][:30]
assert len(chosen) == 30, len(chosen)
with open(f"res/spos-{c}-archs.jsonl", "w") as f:
    for r in chosen: f.write(json.dumps(r) + "\n")
json.dump({"interval": k, "of": 16, "macs_from": a, "macs_to": b, "space_macs": [lo, hi]},
          open(f"res/spos-{c}-interval.json", "w"))
PY
fi
ckpt=$(ls $out/supernet.pt 2>/dev/null || ls $out/supernet/checkpoint.pt)
i=0
while read -r line; do
  f=res/correct/spos-$c-$i.json
  if [ ! -f $f ]; then
    arch=$(/usr/bin/python3 -c 'import json,sys; print(json.dumps(json.loads(sys.argv[1])["arch"]))' "$line")
    "$BIN" eval --checkpoint "$ckpt" --arch "$arch" --split test --threads 1 --correct $f > /dev/null 2>> logs/eval-$c.log
  fi
  i=$((i + 1))
done < res/spos-$c-archs.jsonl
echo "$(date -u +%FT%TZ) spos $c evaluated" >> pilot.log
