#!/usr/bin/env python3
"""Issue 24 pilot tables from a pilot directory (train_ends.sh and spos.sh results): per candidate and budget,
the smallest and largest networks trained alone (test top-1, the paired 95% interval of their difference over the
same test images, MACs, seconds per epoch); and the 30 random networks of one MACs interval on the spos supernet
(spread of test top-1, split-half noise of one measurement, the spread with the noise taken out).
Usage: /usr/bin/python3 analyse.py PILOT_DIR   (standard library only)"""
import json, math, os, statistics, sys

d = sys.argv[1] if len(sys.argv) > 1 else "."

def bits(path, split="test"):
    c = json.load(open(path))
    n = c["splits"][split]["images"]
    hexs = c["networks"][0][split]
    out = []
    for ch in hexs:
        v = int(ch, 16)
        out += [(v >> s) & 1 for s in (3, 2, 1, 0)]
    return out[:n], c["splits"][split]["fingerprint"]

def paired(a, b):  # b - a, in points, normal approximation over images
    dd = [y - x for x, y in zip(a, b)]
    m = statistics.fmean(dd); se = statistics.stdev(dd) / math.sqrt(len(dd))
    return 100 * m, 100 * (m - 1.96 * se), 100 * (m + 1.96 * se)

print("| candidate | budget | MACs min-max | test top-1 min | test top-1 max | max - min, points (95% CI) | val top-1 min / max | s/epoch min / max |")
print("|---|---|---|---:|---:|---:|---:|---:|")
for c in ("latin62", "cjk500"):
    for e in (4, 12):
        r = {}
        for a in ("min", "max"):
            p = os.path.join(d, "res", f"{c}-{a}-e{e}.json")
            q = os.path.join(d, "res", "correct", f"{c}-{a}-e{e}.json")
            if os.path.exists(p) and os.path.exists(q):
                r[a] = (json.load(open(p)), bits(q))
        if len(r) < 2:
            continue
        (jmin, (bmin, fmin)), (jmax, (bmax, fmax)) = r["min"], r["max"]
        assert fmin == fmax, "not the same test images"
        m, lo, hi = paired(bmin, bmax)
        t = lambda j: 100 * j["test"]["top1"]
        v = lambda j: 100 * j["val"]["top1"]
        s = lambda j: j["train_seconds"] / j["epochs"]
        print(f"| {c} | {e} epochs | {jmin['macs']/1e6:.2f}M-{jmax['macs']/1e6:.2f}M | {t(jmin):.2f}% | {t(jmax):.2f}% "
              f"| **{m:+.2f}** ({lo:+.2f}, {hi:+.2f}) | {v(jmin):.2f}% / {v(jmax):.2f}% | {s(jmin):.0f} / {s(jmax):.0f} |")

print()
print("| candidate | interval (MACs) | networks | test images | mean top-1 | spread (sd) | noise of one (split-half) | spread without noise | best - median | range |")
print("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|")
for c in ("latin62", "cjk500"):
    ip = os.path.join(d, "res", f"spos-{c}-interval.json")
    if not os.path.exists(ip):
        continue
    iv = json.load(open(ip))
    accs, even, odd, fps = [], [], [], set()
    for i in range(30):
        q = os.path.join(d, "res", "correct", f"spos-{c}-{i}.json")
        if not os.path.exists(q):
            break
        b, fp = bits(q); fps.add(fp)
        accs.append(statistics.fmean(b)); even.append(statistics.fmean(b[0::2])); odd.append(statistics.fmean(b[1::2]))
    if len(accs) < 3:
        continue
    assert len(fps) == 1
    n = len(b); ne, no = len(b[0::2]), len(b[1::2])
    spread = statistics.stdev(accs)
    noise = statistics.stdev([x - y for x, y in zip(even, odd)]) * math.sqrt(ne * no) / n
    true = math.sqrt(max(0.0, spread ** 2 - noise ** 2))
    med = statistics.median(accs)
    print(f"| {c} | {iv['interval']+1} of {iv['of']} ({iv['macs_from']/1e6:.2f}M-{iv['macs_to']/1e6:.2f}M) | {len(accs)} | {n} "
          f"| {100*statistics.fmean(accs):.2f}% | {100*spread:.2f} | {100*noise:.2f} | **{100*true:.2f}** "
          f"| {100*(max(accs)-med):+.2f} | {100*(max(accs)-min(accs)):.2f} |")
