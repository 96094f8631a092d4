# Runs Once-for-All's own code (the unmodified `ofa` package on PYTHONPATH) beside sparsenas for
# tests/nn/ofa_state_dict_test.cpp, in both directions:
#   export: loads the state dict sparsenas wrote (OURS) into OFA's network and records OFA's logits;
#   import: gives a fresh OFA network random weights and BN statistics, saves it as OFA's code
#           saves checkpoints (CKPT_OUT) and records OFA's logits, for sparsenas to import.
#
# Usage: /usr/bin/python3 ofa_parity.py CASE.json OURS.pt OUT.pt CKPT_OUT.pt
# CASE.json: {"network": nn::ofa_network(space), "archs": [{"ks","e","d"}, ...], "resolution": R,
#             "batch": N, "seed": S, "old_names": bool, "legacy_copy": bool}
# OUT.pt (a dict of tensors): "inputs" [N, C, R, R]; "export_logits" and "import_logits",
# [archs, N, classes] each; "export_keys_ok" (1 when OURS held exactly OFA's keys).
# With "old_names", CKPT_OUT names blocks as OFA's published checkpoints do
# (`.mobile_inverted_conv.`); with "legacy_copy", CKPT_OUT.legacy.pt holds the same checkpoint in
# the pre-1.6 format.
import json
import sys

import torch
import torch.nn as nn

from ofa.imagenet_classification.elastic_nn.networks import OFAMobileNetV3, OFAProxylessNASNets


def build(net_args):
    cls = {"OFAMobileNetV3": OFAMobileNetV3, "OFAProxylessNASNets": OFAProxylessNASNets}[net_args["class"]]
    net = cls(
        n_classes=net_args["n_classes"],
        bn_param=tuple(net_args["bn_param"]),
        dropout_rate=0,
        width_mult=net_args["width_mult"],
        ks_list=net_args["ks_list"],
        expand_ratio_list=net_args["expand_ratio_list"],
        depth_list=net_args["depth_list"],
    )
    first = net_args.get("first_conv")
    if first:
        # OFA hard-codes 3 input channels and stride 2; swap the convolution object, not its code.
        old = net.first_conv.conv
        net.first_conv.conv = nn.Conv2d(first["in_channels"], old.out_channels, old.kernel_size,
                                        stride=first["stride"], padding=old.padding, bias=False)
    return net


def randomize(net, gen):
    with torch.no_grad():
        for name, t in net.state_dict().items():
            if name.endswith("running_mean"):
                t.copy_(torch.randn(t.shape, generator=gen) * 0.1)
            elif name.endswith("running_var"):
                t.copy_(torch.rand(t.shape, generator=gen) + 0.5)
            elif name.endswith("bn.weight"):
                t.copy_(torch.rand(t.shape, generator=gen) + 0.5)
            elif name.endswith("_matrix"):
                t.add_(torch.randn(t.shape, generator=gen) * 0.05)
            elif name.endswith(".bias"):  # SE and classifier biases (convolutions keep OFA's init)
                t.copy_(torch.randn(t.shape, generator=gen) * 0.1)


def logits(net, archs, x):
    net.eval()
    out = []
    with torch.no_grad():
        for a in archs:
            net.set_active_subnet(ks=a["ks"], e=a["e"], d=a["d"])
            out.append(net(x))
    return torch.stack(out)


def main():
    case_path, ours_path, out_path, ckpt_path = sys.argv[1:5]
    with open(case_path) as f:
        case = json.load(f)
    net_args = case["network"]
    torch.manual_seed(case["seed"])
    gen = torch.Generator().manual_seed(case["seed"])
    channels = net_args.get("first_conv", {}).get("in_channels", 3)
    x = torch.randn(case["batch"], channels, case["resolution"], case["resolution"], generator=gen)

    net = build(net_args)
    ours = torch.load(ours_path)["state_dict"]
    keys_ok = set(ours.keys()) == set(net.state_dict().keys())
    net.load_state_dict(ours)
    export_logits = logits(net, case["archs"], x)

    other = build(net_args)
    randomize(other, gen)
    state = other.state_dict()
    if case.get("old_names"):
        state = {k.replace(".conv.", ".mobile_inverted_conv.", 1) if k.startswith("blocks.") else k: v
                 for k, v in state.items()}
    checkpoint = {"state_dict": state, "epoch": 1, "best_acc": 0.0}
    torch.save(checkpoint, ckpt_path)
    if case.get("legacy_copy"):
        torch.save(checkpoint, ckpt_path + ".legacy.pt", _use_new_zipfile_serialization=False)
    import_logits = logits(other, case["archs"], x)

    torch.save({"inputs": x, "export_logits": export_logits, "import_logits": import_logits,
                "export_keys_ok": torch.tensor(int(keys_ok))}, out_path)


if __name__ == "__main__":
    main()
