# Generates tests/testdata/ofa_reference.json: reference MAC / parameter counts
# measured with the ORIGINAL Once-for-All code (github.com/mit-han-lab/once-for-all).
#
# How it was run (torch 1.13, CPU only, Debian python):
#   git --git-dir=<mirror of mit-han-lab/once-for-all> archive HEAD | tar -x -C /tmp/ofa
#   /usr/bin/python3 tests/testdata/make_ofa_reference.py /tmp/ofa \
#       tests/testdata/ofa_reference.json f03b2673db313b9167e2a1c2b7a5cad540cc1313
#
# Arguments: <ofa work tree> <output json> <commit sha of the OFA tree>
#
# OFA itself is NOT modified.  The only interventions:
#   * `ofa.utils.my_dataloader` is replaced by an empty module in sys.modules
#     before import (it pulls in PIL/torchvision for data loading only).
#   * For in_channels=1 the supernet's first conv (`first_conv.conv`, 3->C
#     hard-coded in OFA) is replaced by nn.Conv2d(1, C, 3, stride 2, pad 1,
#     bias=False) and `first_conv.in_channels` is set to 1.
#
# Quantities per case:
#   macs_analytic      OFA's {MBv3,ProxylessNAS}LatencyTable.count_flops_given_config
#                      on get_active_net_config() (returns MFLOPs; converted back to
#                      an int). NB: it hard-codes 3 input channels for the first conv.
#   macs_analytic_in_channels_fixed
#                      the same number with the first conv term recomputed for the
#                      real in_channels (identical to macs_analytic for in_channels=3).
#   macs_profiler      ofa.utils.flops_counter.profile() on
#                      get_active_subnet(preserve_weight=True), eval mode, batch 1,
#                      run with torch default dtype float64 (model .double()) so the
#                      profiler's per-module accumulators are exact.
#   macs_profiler_fp32 the same profile() in stock float32 (what OFA users get;
#                      float32 accumulation can be off by a few units for large nets).
#   params             sum(p.numel()) over the extracted static subnet.
#   supernet_params    sum(p.numel()) over the whole supernet (for information).
import copy
import json
import random
import sys
import types

import torch
import torch.nn as nn

ofa_root, out_path, commit = sys.argv[1], sys.argv[2], sys.argv[3]
sys.path.insert(0, ofa_root)
torch.set_num_threads(2)

_stub = types.ModuleType("ofa.utils.my_dataloader")
_stub.__all__ = []
sys.modules["ofa.utils.my_dataloader"] = _stub

from ofa.imagenet_classification.elastic_nn.networks import (  # noqa: E402
    OFAMobileNetV3,
    OFAProxylessNASNets,
)
from ofa.nas.efficiency_predictor.latency_lookup_table import (  # noqa: E402
    MBv3LatencyTable,
    ProxylessNASLatencyTable,
)
from ofa.utils.flops_counter import profile  # noqa: E402

KS, E, D = [3, 5, 7], [3, 4, 6], [2, 3, 4]
SETTINGS = [(3, 224, 1000), (3, 28, 10), (1, 28, 10), (3, 32, 10)]


def build(space, in_ch, classes):
    cls = OFAMobileNetV3 if space == "ofa-mbv3" else OFAProxylessNASNets
    net = cls(n_classes=classes, dropout_rate=0, width_mult=1.0,
              ks_list=KS, expand_ratio_list=E, depth_list=D)
    if in_ch != 3:
        old = net.first_conv.conv
        net.first_conv.conv = nn.Conv2d(in_ch, old.out_channels, old.kernel_size,
                                        stride=old.stride, padding=old.padding,
                                        bias=old.bias is not None)
        net.first_conv.in_channels = in_ch
    net.eval()
    return net


def arch_lengths(net):
    return len(net.blocks) - 1, len(net.block_group_info)


def archs_for(space):
    net = build(space, 3, 10)
    n_blk, n_stage = arch_lengths(net)
    archs = []
    d_max = [4] * n_stage
    d_min = [2] * n_stage
    if space == "proxyless":  # last stage has a single block; OFA forces d[-1] = 1
        d_max[-1] = 1
        d_min[-1] = 1
    archs.append(("max", {"ks": [7] * n_blk, "e": [6] * n_blk, "d": d_max}))
    archs.append(("min", {"ks": [3] * n_blk, "e": [3] * n_blk, "d": d_min}))
    for k in range(5):
        random.seed(k)
        a = net.sample_active_subnet()
        # cross-check against plain uniform draws in the same order
        random.seed(k)
        ks = [random.choice(KS) for _ in range(n_blk)]
        e = [random.choice(E) for _ in range(n_blk)]
        d = [random.choice(D) for _ in range(n_stage)]
        if space == "proxyless":
            d[-1] = 1
        assert a == {"ks": ks, "e": e, "d": d}, (a, ks, e, d)
        archs.append(("random%d" % k, {"ks": list(map(int, a["ks"])),
                                       "e": list(map(int, a["e"])),
                                       "d": list(map(int, a["d"]))}))
    return archs


def analytic(space, net, res, in_ch):
    cfg = net.get_active_net_config()
    table = MBv3LatencyTable if space == "ofa-mbv3" else ProxylessNASLatencyTable
    mflops = table.count_flops_given_config(copy.deepcopy(cfg), res)
    macs = int(round(mflops * 1e6))
    s = (res + 1) // 2
    c0 = cfg["first_conv"]["out_channels"]
    fixed = macs - 3 * c0 * 9 * s * s + in_ch * c0 * 9 * s * s
    return macs, fixed


def profiled(subnet, in_ch, res):
    x_shape = (1, in_ch, res, res)
    fp32 = profile(copy.deepcopy(subnet), x_shape)[0]
    prev = torch.get_default_dtype()
    torch.set_default_dtype(torch.float64)
    try:
        fp64 = profile(copy.deepcopy(subnet).double(), x_shape)[0]
    finally:
        torch.set_default_dtype(prev)
    return int(round(fp64)), int(round(fp32))


def mbv3_widths(subnet):
    out = {
        "first_conv": {"in": subnet.first_conv.conv.in_channels,
                       "out": subnet.first_conv.conv.out_channels,
                       "kernel": subnet.first_conv.conv.kernel_size[0],
                       "stride": subnet.first_conv.conv.stride[0],
                       "act": subnet.first_conv.act_func},
        "blocks": [],
    }
    for b in subnet.blocks:
        c = b.conv
        ib = c.inverted_bottleneck
        dw = c.depth_conv
        se = getattr(dw, "se", None)
        out["blocks"].append({
            "in": c.in_channels,
            "mid": dw.conv.in_channels,
            "out": c.out_channels,
            "expand_conv": ib is not None,
            "kernel": dw.conv.kernel_size[0],
            "stride": dw.conv.stride[0],
            "act": c.act_func,
            "se_mid": se.fc.reduce.out_channels if se is not None else None,
            "residual": b.shortcut is not None,
        })
    out["final_expand"] = {"in": subnet.final_expand_layer.conv.in_channels,
                           "out": subnet.final_expand_layer.conv.out_channels,
                           "bn": subnet.final_expand_layer.use_bn}
    out["feature_mix"] = {"in": subnet.feature_mix_layer.conv.in_channels,
                          "out": subnet.feature_mix_layer.conv.out_channels,
                          "bn": subnet.feature_mix_layer.use_bn,
                          "bias": subnet.feature_mix_layer.conv.bias is not None}
    out["classifier"] = {"in": subnet.classifier.linear.in_features,
                         "out": subnet.classifier.linear.out_features,
                         "bias": subnet.classifier.linear.bias is not None}
    out["bn"] = subnet.get_bn_param()
    return out


def main():
    cases = []
    supernet_params = {}
    widths = None
    bn = {}
    for space in ["ofa-mbv3", "proxyless"]:
        archs = archs_for(space)
        for in_ch, res, classes in SETTINGS:
            net = build(space, in_ch, classes)
            key = "%s/%d/%d/%d" % (space, in_ch, res, classes)
            supernet_params[key] = sum(p.numel() for p in net.parameters())
            bn[space] = net.get_bn_param()
            for name, arch in archs:
                net.set_active_subnet(ks=arch["ks"], e=arch["e"], d=arch["d"])
                m_an, m_an_fixed = analytic(space, net, res, in_ch)
                subnet = net.get_active_subnet(preserve_weight=True)
                subnet.eval()
                params = sum(p.numel() for p in subnet.parameters())
                m_pr, m_pr32 = profiled(subnet, in_ch, res)
                # sanity: forward works and gives right logits shape
                with torch.no_grad():
                    y = subnet(torch.zeros(1, in_ch, res, res))
                assert tuple(y.shape) == (1, classes)
                cases.append({
                    "space": space, "in_channels": in_ch, "resolution": res,
                    "num_classes": classes, "name": name, "arch": arch,
                    "macs_analytic": m_an,
                    "macs_analytic_in_channels_fixed": m_an_fixed,
                    "macs_profiler": m_pr, "macs_profiler_fp32": m_pr32,
                    "params": params,
                    "supernet_params": supernet_params[key],
                })
                print(space, in_ch, res, classes, name, m_an, m_an_fixed, m_pr,
                      m_pr32, params, flush=True)
                if space == "ofa-mbv3" and (in_ch, res, classes) == (3, 224, 1000) \
                        and name == "max":
                    widths = mbv3_widths(subnet)
    doc = {
        "source": "mit-han-lab/once-for-all@%s" % commit,
        "generated_by": "tests/testdata/make_ofa_reference.py: OFA supernets "
                        "(width_mult=1.0, ks=[3,5,7], e=[3,4,6], d=[2,3,4], "
                        "dropout 0) -> set_active_subnet -> analytic "
                        "count_flops_given_config, flops_counter.profile on "
                        "get_active_subnet(preserve_weight=True), param numel; "
                        "torch %s, CPU" % torch.__version__,
        "notes": [
            "arch ks/e are per-block lists over ALL supernet blocks except the first "
            "(fixed) block: ks[i]/e[i] configure blocks[i+1]; stage s, block j -> "
            "index s*max_depth + j. Entries of blocks beyond d[s] are ignored.",
            "proxyless: 21 ks/e entries, 6 depths; stage 6 has a single block, so "
            "d[5] is clamped to 1 (sample_active_subnet forces d[-1]=1).",
            "random<k>: random.seed(k); supernet.sample_active_subnet() (== uniform "
            "random.choice draws: all ks, then all e, then all d).",
            "macs_analytic hard-codes 3 input channels for the first conv; see "
            "macs_analytic_in_channels_fixed.",
            "in_channels=1: supernet first_conv.conv replaced by a 1-input Conv2d.",
        ],
        "bn_param": bn,
        "supernet_params": supernet_params,
        "cases": cases,
        "mbv3_max_widths_224": widths,
    }
    with open(out_path, "w") as f:
        json.dump(doc, f, indent=1)
        f.write("\n")


if __name__ == "__main__":
    main()
