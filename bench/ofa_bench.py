#!/usr/bin/env python3
"""The original Once-for-All (Python) on nn_bench's workloads, for issue 16's comparison.

OFA's own model code (OFAMobileNetV3, k 3/5/7, e 3/4/6, d 2/3/4) is imported unchanged from a checkout
of github.com/mit-han-lab/once-for-all; only its data-loader package (PIL/torchvision, never called
here) is replaced by an empty module. Workloads as bench/nn_bench.cpp: 28x28 Fashion-MNIST-shaped
inputs, 10 classes, batch 128; a training step is forward, cross-entropy, backward and SGD
(Nesterov 0.9, lr 0.05, weight decay 3e-5 without BN and bias, as OFA's no_decay_keys="bn#bias");
evaluation is the supernet in eval mode without gradients at batch 500. OFA's stem takes 3 channels:
the grayscale batch is repeated to 3 (56k more MACs per image in the stem: 0.4% of the largest
network's 14.2M, 1.5% of the smallest's 3.7M). Channels-last as in issue 16's table (model and input
converted). OPENBLAS_NUM_THREADS=1 as sparsenas pins it (the kernel-transform matmuls).

Run (Debian's LibTorch 1.13 Python; machine to itself):
  OPENBLAS_NUM_THREADS=1 /usr/bin/python3 bench/ofa_bench.py --ofa /tmp/ofa_src --repetitions 3
Prints one line per workload: median img/s over the repetitions, and every repetition.
"""
import argparse
import os
import random
import statistics
import sys
import time
import types


def parse_args():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--ofa", required=True, help="root of a once-for-all checkout (holds the ofa/ package)")
    p.add_argument("--repetitions", type=int, default=3)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--train-seconds", type=float, default=3.0, help="minimum time of one training repetition")
    p.add_argument("--eval-seconds", type=float, default=2.0, help="minimum time of one evaluation repetition")
    p.add_argument("--nchw", action="store_true", help="keep PyTorch's default NCHW layout")
    p.add_argument("--only", default="",
                   help="comma-separated subset of: train_max,train_min,train_fresh,eval_max,eval_min")
    return p.parse_args()


def main():
    args = parse_args()
    os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")  # as nn::configure_cpu_threads does for sparsenas
    sys.path.insert(0, os.path.abspath(args.ofa))
    # ofa.utils imports its data loaders (PIL, torchvision); nothing here uses them.
    sys.modules["ofa.utils.my_dataloader"] = types.ModuleType("ofa.utils.my_dataloader")
    import torch
    import torch.nn.functional as F
    from ofa.imagenet_classification.elastic_nn.networks.ofa_mbv3 import OFAMobileNetV3

    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    random.seed(0)
    fmt = torch.contiguous_format if args.nchw else torch.channels_last

    def make_net():
        net = OFAMobileNetV3(n_classes=10, dropout_rate=0.1, width_mult=1.0, ks_list=[3, 5, 7],
                             expand_ratio_list=[3, 4, 6], depth_list=[2, 3, 4])
        return net.to(memory_format=fmt)

    def batch(n):
        return torch.randn(n, 1, 28, 28).repeat(1, 3, 1, 1).contiguous(memory_format=fmt)

    def timed(step, images_per_call, seconds):
        n, start = 0, time.perf_counter()
        while True:
            step()
            n += 1
            elapsed = time.perf_counter() - start
            if elapsed >= seconds:
                return images_per_call * n / elapsed

    def train(which):
        net = make_net()
        net.train()
        no_decay = ["bn", "bias"]
        params = [
            {"params": list(net.get_parameters(no_decay, mode="exclude")), "weight_decay": 3e-5},
            {"params": list(net.get_parameters(no_decay, mode="include")), "weight_decay": 0},
        ]
        opt = torch.optim.SGD(params, 0.05, momentum=0.9, nesterov=True)
        x, y = batch(128), torch.randint(0, 10, (128,))

        def step():
            if which == "max":
                net.set_max_net()
            elif which == "min":
                net.set_active_subnet(ks=3, e=3, d=2)
            else:
                net.sample_active_subnet()  # a new random network each step, as OFA's training
            opt.zero_grad()
            F.cross_entropy(net(x), y).backward()
            opt.step()

        for _ in range(32 if which == "fresh" else 2):  # warm-up, as nn_bench
            step()
        return [timed(step, 128, args.train_seconds) for _ in range(args.repetitions)]

    def evaluate(which):
        net = make_net()
        net.eval()
        if which == "max":
            net.set_max_net()
        else:
            net.set_active_subnet(ks=3, e=3, d=2)
        x = batch(500)
        with torch.no_grad():
            net(x)
            return [timed(lambda: net(x), 500, args.eval_seconds) for _ in range(args.repetitions)]

    workloads = {
        "train_max": ("train step, largest (k7 e6 d4)", lambda: train("max")),
        "train_min": ("train step, smallest (k3 e3 d2)", lambda: train("min")),
        "train_fresh": ("train step, new random network each step", lambda: train("fresh")),
        "eval_max": ("eval, largest, batch 500", lambda: evaluate("max")),
        "eval_min": ("eval, smallest, batch 500", lambda: evaluate("min")),
    }
    only = [w for w in args.only.split(",") if w]
    for key, (label, run) in workloads.items():
        if only and key not in only:
            continue
        rates = run()
        print(f"{key}\t{label}\t{statistics.median(rates):.1f} img/s\t(" +
              ", ".join(f"{r:.1f}" for r in rates) + ")", flush=True)
    print(f"torch {torch.__version__}, threads {torch.get_num_threads()}, "
          f"{'NCHW' if args.nchw else 'channels-last'}", flush=True)


if __name__ == "__main__":
    main()
