#!/usr/bin/python3
"""The pilot's table: for each candidate and budget tag with both ends finished, the test top-1 of the
smallest and the largest network, their difference with a 95% interval (normal approximation for two
independent binomial proportions on the test images), the MACs range and the seconds per epoch: the median
of the per-epoch times in the run's log (`<name>.log` beside its JSON) when there is one, else the training
seconds over the epochs (which include any time the process was stopped).

usage: docs/pilot/table.py [RESULTS_DIR]   (default: docs/pilot/results)"""
import glob
import json
import math
import os
import re
import sys

results = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "results")
runs = {}
for path in sorted(glob.glob(os.path.join(results, "*.json"))):
    m = re.match(r"(.+)-(min|max)-(e\d+.*)\.json$", os.path.basename(path))
    if m:
        runs.setdefault((m.group(1), m.group(3)), {})[m.group(2)] = json.load(open(path))

print("| candidate | budget | MACs min–max | test top-1 min | test top-1 max | max − min, points (95% CI) "
      "| train s/epoch min / max |")
print("|---|---|---|---:|---:|---:|---:|")
for (name, tag), ends in sorted(runs.items()):
    if set(ends) != {"min", "max"}:
        continue
    lo, hi = ends["min"], ends["max"]
    p1, n1 = lo["test"]["top1"], lo["test"]["images"]
    p2, n2 = hi["test"]["top1"], hi["test"]["images"]
    diff = 100 * (p2 - p1)
    half = 196 * math.sqrt(p1 * (1 - p1) / n1 + p2 * (1 - p2) / n2)
    def epoch(end):
        log = os.path.join(results, f"{name}-{end}-{tag}.log")
        if os.path.exists(log):
            text = open(log, errors="replace").read().replace("\r", "\n")
            times = sorted(float(t) for t in re.findall(r"\| ([0-9.]+) s, [0-9]+ img/s", text))
            if times:
                return times[(len(times) - 1) // 2]
        return ends[end]["train_seconds"] / ends[end]["epochs"]
    print(f"| {name} | {tag} | {lo['macs'] / 1e6:.2f}M–{hi['macs'] / 1e6:.2f}M | {100 * p1:.2f}% | {100 * p2:.2f}% "
          f"| **{diff:+.2f}** ({diff - half:+.2f}, {diff + half:+.2f}) | {epoch('min'):.1f} / {epoch('max'):.1f} |")
