#!/usr/bin/env python3
"""Issue 12 item 6: each selection option against the paper's default, judged on one whole-space supernet.

Reads check-<variant>.json (sparsenas check-selection --run <variant> --on judge) and <variant>/predictors.csv.
For each option: the mean judge top-1 of its sparse space minus the default's, paired by MACs interval, with a 95%
bootstrap interval over intervals (10,000 resamples, seed 0); and each selection's own check (selected - random).
Usage: analyse.py DIR [variant ...]   (DIR holds the check files and the run directories)
"""
import csv, json, random, statistics, sys, os

def by_interval(path):
    j = json.load(open(path))
    out = {}
    for n in j["networks"]:
        if n["selected"]:
            out.setdefault(n["interval"], []).append(n["top1"])
    return j, {k: statistics.mean(v) for k, v in out.items()}

def gbdt_tau(run):
    with open(os.path.join(run, "predictors.csv")) as f:
        for row in csv.DictReader(f):
            if row["predictor"] == "gbdt":
                return float(row["kendall_tau"])
    return float("nan")

def main():
    d = sys.argv[1]
    variants = sys.argv[2:] or ["loss", "rank", "rerank"]
    base_json, base = by_interval(os.path.join(d, "check-base.json"))
    rng = random.Random(0)
    print("| selection | held-out τ (gbdt) | selected − random on the judge, points (95% CI) | "
          "mean judge top-1 of the sparse space | − default, points (95% CI, paired by interval) | intervals |")
    print("|---|---:|---:|---:|---:|---:|")
    for v in ["base"] + variants:
        j, acc = by_interval(os.path.join(d, f"check-{v}.json"))
        own = j["overall"]["difference"]
        lo, hi = own["ci95"] if own["ci95"] else (float("nan"), float("nan"))
        mean_acc = statistics.mean(acc.values())
        common = sorted(set(acc) & set(base))
        diffs = [acc[i] - base[i] for i in common]
        if v == "base":
            cmp = "—"
        else:
            boot = sorted(statistics.mean(rng.choice(diffs) for _ in diffs) for _ in range(10000))
            cmp = f"{100 * statistics.mean(diffs):+.2f} ({100 * boot[249]:+.2f}, {100 * boot[9749]:+.2f})"
        name = "default (paper)" if v == "base" else v
        print(f"| {name} | {gbdt_tau(os.path.join(d, v)):.3f} | {100 * own['value']:+.2f} ({100 * lo:+.2f}, {100 * hi:+.2f}) "
              f"| {100 * mean_acc:.2f}% | {cmp} | {len(common)} |")

if __name__ == "__main__":
    main()
