#!/usr/bin/env python3
"""Sums oneDNN's verbose log (ONEDNN_VERBOSE=1) per primitive: kind, implementation, propagation,
kernel size / stride (convolutions) and memory format, with the share of the summed time.

    ONEDNN_VERBOSE=1 build/bench/sparsenas_nn_bench --benchmark_filter=... 2>&1 | bench/onednn_summary.py [--wall-ms MS]

Lines from warm-up and timed iterations alike are summed; compare shares, not absolute times.
--wall-ms: the wall time of the same run, to print oneDNN's share of it."""
import re
import sys
from collections import defaultdict


def main() -> None:
    wall_ms = float(sys.argv[sys.argv.index("--wall-ms") + 1]) if "--wall-ms" in sys.argv else None
    total = defaultdict(float)
    calls = defaultdict(int)
    isa = set()
    for line in sys.stdin:
        if not re.match(r"^(onednn|dnnl)_verbose,", line):
            continue
        f = line.rstrip("\n").split(",")
        if f[1] == "info" and "cpu,runtime" not in line:
            isa.add(",".join(f[2:]))
        if f[1] != "exec":
            continue
        kind, impl, prop, mem, desc, ms = f[3], f[4], f[5], f[6], f[-2], float(f[-1])
        key = kind
        if kind == "convolution":
            m = re.search(r"g(\d+)ic(\d+)oc(\d+)", desc)
            kh = re.search(r"kh(\d+)", desc)
            sh = re.search(r"sh(\d+)", desc)
            depthwise = m and m.group(1) != "1" and m.group(1) == m.group(2) == m.group(3)
            key = "%s %sx%s s%s" % ("depthwise" if depthwise else "conv", kh.group(1) if kh else "?",
                                    kh.group(1) if kh else "?", sh.group(1) if sh else "?")
        src = re.search(r"src_f32::blocked:(\w+)", mem)
        fmt = src.group(1) if src else ""
        k = (key, prop, impl, fmt)
        total[k] += ms
        calls[k] += 1
    grand = sum(total.values())
    for line in sorted(isa):
        print("#", line)
    print("| primitive | propagation | implementation | src format | calls | ms | share of oneDNN |")
    print("|---|---|---|---|---:|---:|---:|")
    for k, ms in sorted(total.items(), key=lambda kv: -kv[1]):
        if ms / grand < 0.005:
            continue
        print("| %s | %s | %s | %s | %d | %.1f | %.1f%% |" % (k[0], k[1], k[2], k[3], calls[k], ms, 100 * ms / grand))
    print("oneDNN total: %.1f ms" % grand + ("" if wall_ms is None else ", %.0f%% of %.0f ms wall" % (100 * grand / wall_ms, wall_ms)))


if __name__ == "__main__":
    main()
